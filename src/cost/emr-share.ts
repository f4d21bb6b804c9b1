import { ListInstancesCommand, type EMRClient, type Instance } from '@aws-sdk/client-emr';
import type { EmrCostConfig } from '../config/catalog-schema.ts';
import { toAwsApiError } from '../engines/emr/to-api-error.ts';
import { round } from './databricks-billing.ts';
import type { CostItem, CostMeasurement } from './types.ts';

/** One instance's life, as ListInstances gives it (instance groups and fleets alike). */
export interface InstanceSpan {
  type: string;
  /** Ready (or created) to ended; `end` undefined while it runs. */
  start: number;
  end?: number;
}

/**
 * A step's share of a long-running shared cluster: for each instance, the hours it overlapped the
 * step's window, times its type's price per instance-hour (EC2 plus the EMR charge, which is
 * `emr` or else `emrUplift` × `ec2`). Pure, so the hand computation in the tests checks it exactly.
 */
export function shareOfCluster(spans: readonly InstanceSpan[], window: { start: number; end: number }, prices: EmrCostConfig, clusterId: string): CostMeasurement {
  const method = 'emr-share' as const;
  const byType = new Map<string, number>();
  for (const s of spans) {
    const overlap = Math.min(s.end ?? window.end, window.end) - Math.max(s.start, window.start);
    if (overlap > 0) byType.set(s.type, (byType.get(s.type) ?? 0) + overlap / 3600_000);
  }
  const unpriced = [...byType.keys()].filter((t) => !prices.instancePrices[t]);
  if (unpriced.length > 0) return { kind: 'unknown', method, reason: `no price for instance type${unpriced.length === 1 ? '' : 's'} ${unpriced.sort().join(', ')} in the catalog's cost.instancePrices` };
  if (byType.size === 0) return { kind: 'unknown', method, reason: `cluster ${clusterId} had no instances while the step ran` };
  const items: CostItem[] = [...byType.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([type, hours]) => {
    const p = prices.instancePrices[type]!;
    const perHour = p.ec2 + (p.emr ?? prices.emrUplift * p.ec2);
    return { item: type, quantity: round(hours), unit: 'instance-hour', amount: round(hours * perHour) };
  });
  const amount = round(items.reduce((s, i) => s + i.amount, 0));
  const note = `share of shared cluster ${clusterId}: its instance-hours while the step ran × the catalog's EC2 prices plus the EMR charge`;
  return { kind: 'known', method, cost: { amount, currency: 'USD', note, items } };
}

/** Every instance the cluster ever had (ListInstances, all pages), as spans. */
export async function listInstanceSpans(client: EMRClient, clusterId: string, signal?: AbortSignal): Promise<InstanceSpan[]> {
  const spans: InstanceSpan[] = [];
  let marker: string | undefined;
  do {
    const out = await client.send(new ListInstancesCommand({ ClusterId: clusterId, Marker: marker }), { abortSignal: signal }).catch((err: unknown) => {
      throw toAwsApiError(err, 'emr', 'ListInstances', signal);
    });
    for (const i of out.Instances ?? []) {
      const span = toSpan(i);
      if (span) spans.push(span);
    }
    marker = out.Marker;
  } while (marker);
  return spans;
}

function toSpan(i: Instance): InstanceSpan | undefined {
  const t = i.Status?.Timeline;
  const start = t?.ReadyDateTime ?? t?.CreationDateTime;
  if (!i.InstanceType || !start) return undefined;
  return { type: i.InstanceType, start: start.getTime(), end: t?.EndDateTime?.getTime() };
}
