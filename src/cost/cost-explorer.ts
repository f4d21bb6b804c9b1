import { GetCostAndUsageCommand, ListCostAllocationTagsCommand, type CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import { toAwsApiError } from '../engines/emr/to-api-error.ts';
import { ApiError } from '../errors.ts';
import { round } from './databricks-billing.ts';
import type { CostItem, CostMeasurement } from './types.ts';

/** The tag EMR puts on every resource of a cluster; Cost Explorer groups by it once it is activated. */
export const EMR_CLUSTER_TAG = 'aws:elasticmapreduce:job-flow-id';

const DAY = 24 * 3600_000;
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface CostExplorerOptions {
  client: CostExplorerClient;
  /** How long an answer about the tag's activation is kept. Default 1 h. */
  tagCacheMs?: number;
  now?: () => number;
}

/**
 * A transient EMR cluster's cost: AWS Cost Explorer's unblended cost of everything tagged with
 * the cluster's id (EC2, EBS and the EMR charge) over the days the run spanned. Cost Explorer
 * is filled in up to a day later, so no cost yet is `pending`; a tag that is not activated as a
 * cost-allocation tag can never give a figure, so that is `unknown`, said once per hour at most.
 */
export function createCostExplorerSource({ client, tagCacheMs = 3600_000, now = Date.now }: CostExplorerOptions) {
  let tag: { active: boolean; reason?: string; at: number } | undefined;

  async function tagActive(signal?: AbortSignal): Promise<{ active: boolean; reason?: string }> {
    if (tag && now() - tag.at < tagCacheMs) return tag;
    const out = await send('ListCostAllocationTags', () => client.send(new ListCostAllocationTagsCommand({ TagKeys: [EMR_CLUSTER_TAG], Type: 'AWSGenerated' }), { abortSignal: signal }), signal);
    const found = out.CostAllocationTags?.find((t) => t.TagKey === EMR_CLUSTER_TAG);
    const active = found?.Status === 'Active';
    const reason = active ? undefined : `the cost-allocation tag ${EMR_CLUSTER_TAG} is ${found ? 'not activated' : 'unknown to this account'} (AWS Billing → Cost allocation tags), so Cost Explorer cannot give a cluster's cost`;
    tag = { active, reason, at: now() };
    return tag;
  }

  return async function measureCluster(clusterId: string, window: { start: number; end: number }, signal?: AbortSignal): Promise<CostMeasurement> {
    const method = 'cost-explorer' as const;
    const status = await tagActive(signal);
    if (!status.active) return { kind: 'unknown', method, reason: status.reason! };
    const items: CostItem[] = [];
    let token: string | undefined;
    let currency = 'USD';
    do {
      const out = await sendUnlessUnavailable(
        'GetCostAndUsage',
        () =>
          client.send(
            new GetCostAndUsageCommand({
              TimePeriod: { Start: isoDay(window.start), End: isoDay(window.end + DAY) },
              Granularity: 'DAILY',
              Metrics: ['UnblendedCost'],
              Filter: { Tags: { Key: EMR_CLUSTER_TAG, Values: [clusterId], MatchOptions: ['EQUALS'] } },
              NextPageToken: token,
            }),
            { abortSignal: signal },
          ),
        signal,
      );
      if (out === UNAVAILABLE) return { kind: 'pending', method, reason: `Cost Explorer has no data for cluster ${clusterId}'s days yet (DataUnavailableException; it is filled in up to a day later)` };
      for (const day of out.ResultsByTime ?? []) {
        const cost = day.Total?.UnblendedCost;
        const amount = Number(cost?.Amount ?? 0);
        if (cost?.Unit) currency = cost.Unit;
        if (amount !== 0) items.push({ item: day.TimePeriod?.Start ?? 'day', quantity: 1, unit: 'day', amount });
      }
      token = out.NextPageToken;
    } while (token);
    if (items.length === 0) return { kind: 'pending', method, reason: `no cost for cluster ${clusterId} in Cost Explorer yet (it is filled in up to a day later)` };
    const amount = round(items.reduce((s, i) => s + i.amount, 0));
    const note = `AWS Cost Explorer, unblended cost of cluster ${clusterId} (tag ${EMR_CLUSTER_TAG}): EC2, EBS and the EMR charge`;
    return { kind: 'known', method, cost: { amount, currency, note, items } };
  };
}

export type MeasureCluster = ReturnType<typeof createCostExplorerSource>;

const UNAVAILABLE = Symbol('DataUnavailableException');

/** Cost Explorer answers DataUnavailableException for days it has not filled in yet: not an error, not yet. */
async function sendUnlessUnavailable<T>(operation: string, call: () => Promise<T>, signal?: AbortSignal): Promise<T | typeof UNAVAILABLE> {
  try {
    return await send(operation, call, signal);
  } catch (err) {
    if (err instanceof ApiError && err.apiCode === 'DataUnavailableException') return UNAVAILABLE;
    throw err;
  }
}

async function send<T>(operation: string, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toAwsApiError(err, 'cost-explorer', operation, signal);
  }
}
