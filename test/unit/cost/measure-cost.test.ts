import { CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import { EMRClient } from '@aws-sdk/client-emr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogSchema } from '../../../src/config/catalog-schema.ts';
import { createCostExplorerSource, EMR_CLUSTER_TAG } from '../../../src/cost/cost-explorer.ts';
import { costMethodOf, createCostMeter } from '../../../src/cost/measure-cost.ts';
import { SqlStatementClient } from '../../../src/diff/databricks/sql-statement-client.ts';
import { AirflowClient } from '../../../src/engines/airflow/client.ts';
import { FakeAirflow } from '../../fakes/airflow-server.ts';
import { FakeCostExplorer } from '../../fakes/cost-explorer-server.ts';
import { startFakeSqlWarehouse, type FakeBillingTables, type FakeSqlWarehouse } from '../../fakes/databricks-sql-server.ts';
import { FakeEmr } from '../../fakes/emr-server.ts';
import { makeRun, T0 } from '../slack/run-fixture.ts';

const H = 3600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const catalog = catalogSchema.parse({
  pipelines: {
    'incites-monthly': {
      channel: 'C0PIPELINES',
      legacy: {
        engine: 'emr',
        clusterId: 'j-SHARED1',
        step: { name: 'incites', args: ['spark-submit'] },
        cost: { cluster: 'shared', instancePrices: { 'm5.xlarge': { ec2: 0.192, emr: 0.048 }, 'r5.2xlarge': { ec2: 0.504 } }, emrUplift: 0.25 },
      },
      target: { engine: 'databricks', jobId: 123 },
    },
    'billing-rollup': {
      channel: 'C0PIPELINES',
      legacy: { engine: 'emr', clusterId: 'j-TRANS1', step: { name: 'rollup', args: ['spark-submit'] }, cost: { cluster: 'transient' } },
      target: { engine: 'databricks', jobId: 9 },
    },
    // Airflow-run legacy pipelines are priced by the EMR cluster beneath them, as the catalog names it.
    'dag-on-shared': {
      channel: 'C0PIPELINES',
      legacy: { engine: 'airflow', dagId: 'rollup', cost: { engine: 'emr', cluster: 'shared', clusterId: 'j-SHARED1', instancePrices: { 'm5.xlarge': { ec2: 0.192, emr: 0.048 } } } },
      target: { engine: 'databricks', jobId: 10 },
    },
    'dag-own-cluster': {
      channel: 'C0PIPELINES',
      legacy: { engine: 'airflow', dagId: 'etl', cost: { engine: 'emr', cluster: 'transient', clusterIdFrom: { task: 'create_cluster' } } },
      target: { engine: 'databricks', jobId: 11 },
    },
    'dag-unpriced': {
      channel: 'C0PIPELINES',
      legacy: { engine: 'airflow', dagId: 'other' },
      target: { engine: 'databricks', jobId: 12 },
    },
  },
});

const billing: FakeBillingTables = { usage: [], prices: [] };
let warehouse: FakeSqlWarehouse;
let ce: FakeCostExplorer;
let emr: FakeEmr;
let airflow: FakeAirflow;
let airflowClient: AirflowClient;
let measure: ReturnType<typeof createCostMeter>;

beforeAll(async () => {
  [warehouse, ce, emr] = await Promise.all([
    startFakeSqlWarehouse({ token: 'dapi-cost', answer: () => ({ error: { error_code: 'BAD_REQUEST', message: 'not the billing query' } }), billing }),
    FakeCostExplorer.start(),
    FakeEmr.start({ clusters: ['j-SHARED1', 'j-TRANS1'] }),
  ]);
  airflow = await FakeAirflow.start({ dags: ['rollup', 'etl', 'other'] });
  airflowClient = new AirflowClient({ baseUrl: `${airflow.url}/api/v1/`, token: airflow.token, apiVersion: 'v1' });
  const sql = new SqlStatementClient({ host: warehouse.url, warehouseId: 'wh-1', getToken: async () => 'dapi-cost', pollIntervalMs: 5 });
  const credentials = { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' };
  measure = createCostMeter({
    catalog,
    billing: (statement, opts) => sql.query(statement, opts),
    costExplorer: createCostExplorerSource({ client: new CostExplorerClient({ region: 'us-east-1', endpoint: ce.url, credentials, maxAttempts: 1 }) }),
    emr: new EMRClient({ region: 'us-east-1', endpoint: emr.url, credentials, maxAttempts: 1 }),
    airflow: airflowClient,
    now: () => T0 + 10 * H,
  });
});
afterAll(async () => Promise.all([warehouse?.close(), ce?.close(), emr?.close(), airflow?.close()]));

describe('Databricks cost from the billing system tables', () => {
  const run = makeRun({ state: 'succeeded', externalId: '987654', startedAt: T0, endedAt: T0 + 2 * H, parallelId: 'p-x-000000' });

  it('is pending while system.billing.usage has no rows for the run', async () => {
    billing.usage = [];
    const m = await measure(run);
    expect(m).toMatchObject({ kind: 'pending', method: 'databricks-billing' });
  });

  it('sums DBUs × the list price valid at each record, per SKU, bound as parameters', async () => {
    billing.prices = [
      // The jobs price changed at T0 + 1 h: the first hour is priced at 0.15, the second at 0.20.
      { sku_name: 'PREMIUM_JOBS_COMPUTE', cloud: 'AWS', usage_unit: 'DBU', currency_code: 'USD', price_start_time: iso(T0 - 400 * 24 * H), price_end_time: iso(T0 + H), default: 0.15 },
      { sku_name: 'PREMIUM_JOBS_COMPUTE', cloud: 'AWS', usage_unit: 'DBU', currency_code: 'USD', price_start_time: iso(T0 + H), price_end_time: null, default: 0.2 },
      { sku_name: 'PREMIUM_JOBS_COMPUTE', cloud: 'AZURE', usage_unit: 'DBU', currency_code: 'USD', price_start_time: iso(T0 - 400 * 24 * H), price_end_time: null, default: 9 },
      { sku_name: 'PREMIUM_JOBS_SERVERLESS_COMPUTE_US_EAST', cloud: 'AWS', usage_unit: 'DBU', currency_code: 'USD', price_start_time: iso(T0 - 400 * 24 * H), price_end_time: null, default: 0.39, effective_list: 0.35 },
    ];
    const usage = (sku: string, start: number, dbus: number, runId = '987654', jobId = '123') => ({ sku_name: sku, cloud: 'AWS', usage_unit: 'DBU', usage_quantity: dbus, usage_start_time: iso(start), usage_end_time: iso(start + H), job_id: jobId, job_run_id: runId });
    billing.usage = [
      usage('PREMIUM_JOBS_COMPUTE', T0, 12.5),
      usage('PREMIUM_JOBS_COMPUTE', T0 + H, 10),
      usage('PREMIUM_JOBS_SERVERLESS_COMPUTE_US_EAST', T0 + H, 4),
      usage('PREMIUM_JOBS_COMPUTE', T0, 1000, '111111'), // another run
      usage('PREMIUM_JOBS_COMPUTE', T0, 1000, '987654', '77'), // the same run id in another job
    ];
    const m = await measure(run);
    // By hand: 12.5 × 0.15 + 10 × 0.20 + 4 × 0.35 (effective list) = 1.875 + 2 + 1.4 = 5.275 USD, 26.5 DBUs.
    expect(m.kind).toBe('known');
    if (m.kind !== 'known') return;
    expect(m.cost.amount).toBeCloseTo(5.275, 9);
    expect(m.cost.dbus).toBeCloseTo(26.5, 9);
    expect(m.cost.items.map((i) => [i.item, i.quantity])).toEqual([
      ['PREMIUM_JOBS_COMPUTE', 22.5],
      ['PREMIUM_JOBS_SERVERLESS_COMPUTE_US_EAST', 4],
    ]);
    expect(m.cost.note).toContain('list price');
    expect(m.cost.note).toContain('serverless SKUs include cloud compute');
    const sent = warehouse.executed.at(-1)!;
    expect(sent.parameters).toEqual([
      { name: 'job_run_id', value: '987654', type: 'STRING' },
      { name: 'job_id', value: '123', type: 'STRING' },
      { name: 'since', value: '2024-04-30', type: 'DATE' },
    ]);
    expect(sent.statement).not.toContain('987654');
  });

  it('is unknown, saying why, without a warehouse', async () => {
    const without = createCostMeter({ catalog, now: () => T0 });
    expect(await without(run)).toMatchObject({ kind: 'unknown', reason: expect.stringContaining('DATABRICKS_WAREHOUSE_ID') });
  });
});

describe('EMR cost', () => {
  it('takes a shared cluster step’s share from ListInstances timelines (groups and fleets) × catalog prices + EMR', async () => {
    const step = { start: T0 + 2 * H, end: T0 + 3.5 * H };
    emr.setInstances('j-SHARED1', [
      { id: 'ci-MASTER', type: 'm5.xlarge', created: T0 - 10 * H, ready: T0 - 9.9 * H, groupId: 'ig-MASTER' }, // whole window: 1.5 h
      { id: 'ci-CORE1', type: 'r5.2xlarge', created: T0, ready: T0 + 0.1 * H, ended: T0 + 3 * H, groupId: 'ig-CORE' }, // 1 h of the window
      { id: 'ci-TASK1', type: 'r5.2xlarge', created: T0 + 3 * H, ready: T0 + 3.25 * H, fleetId: 'if-TASK', market: 'SPOT' }, // 0.25 h
      { id: 'ci-OLD', type: 'c5.9xlarge', created: T0 - 20 * H, ready: T0 - 19 * H, ended: T0 - 5 * H, groupId: 'ig-OLD' }, // outside: no price needed
    ]);
    const run = makeRun({ engine: 'emr', side: 'legacy', state: 'succeeded', externalId: 'j-SHARED1/s-0000000000001', startedAt: step.start, endedAt: step.end });
    const m = await measure(run);
    // By hand: m5.xlarge 1.5 h × (0.192 + 0.048) = 0.36; r5.2xlarge 1.25 h × (0.504 + 0.25 × 0.504) = 1.25 × 0.63 = 0.7875.
    expect(m).toMatchObject({ kind: 'known', method: 'emr-share' });
    if (m.kind !== 'known') return;
    expect(m.cost.amount).toBeCloseTo(0.36 + 0.7875, 9);
    expect(m.cost.items).toEqual([
      { item: 'm5.xlarge', quantity: 1.5, unit: 'instance-hour', amount: 0.36 },
      { item: 'r5.2xlarge', quantity: 1.25, unit: 'instance-hour', amount: 0.7875 },
    ]);
    expect(emr.calls('ListInstances')[0]?.body).toMatchObject({ ClusterId: 'j-SHARED1' });
  });

  it('names the instance types the catalog has no price for', async () => {
    emr.setInstances('j-SHARED1', [{ id: 'ci-X', type: 'c6g.large', created: T0, ready: T0 }]);
    const run = makeRun({ pipeline: 'incites-monthly', engine: 'emr', side: 'legacy', state: 'succeeded', externalId: 'j-SHARED1/s-1', startedAt: T0, endedAt: T0 + H });
    expect(await measure(run)).toMatchObject({ kind: 'unknown', reason: expect.stringContaining('c6g.large') });
  });

  it('reads a transient cluster’s cost from Cost Explorer by its tag, and says once when the tag is not active', async () => {
    const run = makeRun({ pipeline: 'billing-rollup', engine: 'emr', side: 'legacy', state: 'succeeded', externalId: 'j-TRANS1/s-2', startedAt: T0 + 22 * H, endedAt: T0 + 26 * H });
    ce.tags.set(EMR_CLUSTER_TAG, 'Inactive');
    expect(await measure(run)).toMatchObject({ kind: 'unknown', method: 'cost-explorer', reason: expect.stringContaining('not activated') });
    expect(await measure({ ...run, id: 'r-next' })).toMatchObject({ kind: 'unknown', reason: expect.stringContaining('not activated') });
    expect(ce.calls('GetCostAndUsage')).toHaveLength(0);
    expect(ce.calls('ListCostAllocationTags')).toHaveLength(1); // asked once an hour, not once a run
  });
});

describe('Cost Explorer with the tag active', () => {
  it('is pending with no cost yet, then sums the tagged days', async () => {
    const client = new CostExplorerClient({ region: 'us-east-1', endpoint: ce.url, credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' }, maxAttempts: 1 });
    const byTag = createCostExplorerSource({ client });
    ce.tags.set(EMR_CLUSTER_TAG, 'Active');
    ce.costs = [];
    const window = { start: T0 + 22 * H, end: T0 + 26 * H }; // 2024-05-01 22:00 to 2024-05-02 02:00
    expect(await byTag('j-TRANS1', window)).toMatchObject({ kind: 'pending' });
    ce.costs = [
      { tagKey: EMR_CLUSTER_TAG, tagValue: 'j-TRANS1', day: '2024-05-01', amount: 3.25 },
      { tagKey: EMR_CLUSTER_TAG, tagValue: 'j-TRANS1', day: '2024-05-02', amount: 9.5 },
      { tagKey: EMR_CLUSTER_TAG, tagValue: 'j-OTHER', day: '2024-05-02', amount: 100 },
    ];
    const m = await byTag('j-TRANS1', window);
    expect(m).toMatchObject({ kind: 'known', method: 'cost-explorer', cost: { amount: 12.75, currency: 'USD' } });
    expect(ce.calls('GetCostAndUsage').at(-1)?.body).toMatchObject({
      TimePeriod: { Start: '2024-05-01', End: '2024-05-03' },
      Granularity: 'DAILY',
      Filter: { Tags: { Key: EMR_CLUSTER_TAG, Values: ['j-TRANS1'] } },
    });
  });
});

describe('Airflow: the cost source of the engine beneath, named in the catalog', () => {
  it('prices a DAG on a shared EMR cluster as that cluster’s share while the DAG run ran', async () => {
    emr.setInstances('j-SHARED1', [{ id: 'ci-M', type: 'm5.xlarge', created: T0 - 10 * H, ready: T0 - 9 * H, groupId: 'ig-MASTER' }]);
    const run = makeRun({ pipeline: 'dag-on-shared', engine: 'airflow', side: 'legacy', state: 'succeeded', externalId: 'rollup/manual__1', startedAt: T0, endedAt: T0 + 2 * H });
    // By hand: one m5.xlarge for 2 h × (0.192 + 0.048) = 0.48.
    expect(await measure(run)).toMatchObject({ kind: 'known', method: 'emr-share', cost: { amount: 0.48, items: [{ item: 'm5.xlarge', quantity: 2 }] } });
    expect(emr.calls('ListInstances').at(-1)?.body).toMatchObject({ ClusterId: 'j-SHARED1' });
  });

  it('reads the cluster a DAG created from its task’s XCom, then Cost Explorer by that cluster’s tag', async () => {
    airflow.script('etl', { outcome: 'success', tasks: [{ taskId: 'create_cluster', xcom: { return_value: 'j-EPHEM1' } }, { taskId: 'spark' }] });
    const { run: dagRun } = await airflowClient.triggerDagRun('etl', { dagRunId: 'cutover__cost1', conf: {} });
    ce.tags.set(EMR_CLUSTER_TAG, 'Active');
    ce.costs = [
      { tagKey: EMR_CLUSTER_TAG, tagValue: 'j-EPHEM1', day: '2024-05-01', amount: 7.5 },
      { tagKey: EMR_CLUSTER_TAG, tagValue: 'j-TRANS1', day: '2024-05-01', amount: 100 },
    ];
    const run = makeRun({ pipeline: 'dag-own-cluster', engine: 'airflow', side: 'legacy', state: 'succeeded', externalId: `etl/${dagRun.dag_run_id}`, startedAt: T0 + H, endedAt: T0 + 3 * H });
    const measureNow = createCostMeter({
      catalog,
      costExplorer: createCostExplorerSource({ client: new CostExplorerClient({ region: 'us-east-1', endpoint: ce.url, credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' }, maxAttempts: 1 }) }),
      airflow: airflowClient,
      now: () => T0 + 10 * H,
    });
    expect(await measureNow(run)).toMatchObject({ kind: 'known', method: 'cost-explorer', cost: { amount: 7.5 } });
    expect(airflow.requests.at(-1)?.path).toBe('/dags/etl/dagRuns/cutover__cost1/taskInstances/create_cluster/xcomEntries/return_value');
    expect(ce.calls('GetCostAndUsage').at(-1)?.body).toMatchObject({ Filter: { Tags: { Key: EMR_CLUSTER_TAG, Values: ['j-EPHEM1'] } } });
  });

  it('is unknown, saying what to set, when the catalog names no cost source for the DAG', async () => {
    const run = makeRun({ pipeline: 'dag-unpriced', engine: 'airflow', side: 'legacy', state: 'succeeded', externalId: 'other/manual__1', startedAt: T0, endedAt: T0 + H });
    expect(await measure(run)).toMatchObject({ kind: 'unknown', reason: expect.stringContaining('set legacy.cost') });
  });
});

describe('Cost Explorer refusing', () => {
  const window = { start: T0 + 22 * H, end: T0 + 26 * H };
  const source = () => createCostExplorerSource({ client: new CostExplorerClient({ region: 'us-east-1', endpoint: ce.url, credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' }, maxAttempts: 1 }) });

  it('is pending while Cost Explorer says the data is not available yet', async () => {
    ce.tags.set(EMR_CLUSTER_TAG, 'Active');
    ce.refuse.set('GetCostAndUsage', { status: 400, type: 'DataUnavailableException', message: 'Data is not available. Please try to adjust the time period.' });
    try {
      expect(await source()('j-TRANS1', window)).toMatchObject({ kind: 'pending', method: 'cost-explorer', reason: expect.stringContaining('DataUnavailableException') });
    } finally {
      ce.refuse.clear();
    }
  });

  it('throws a refusal that will not pass by itself (an IAM policy without ce:GetCostAndUsage) as not retryable, naming it', async () => {
    ce.tags.set(EMR_CLUSTER_TAG, 'Active');
    ce.refuse.set('GetCostAndUsage', { status: 400, type: 'AccessDeniedException', message: 'User: arn:aws:iam::123456789012:role/cutover is not authorized to perform: ce:GetCostAndUsage' });
    try {
      await expect(source()('j-TRANS1', window)).rejects.toMatchObject({ retryable: false, apiCode: 'AccessDeniedException', message: expect.stringContaining('ce:GetCostAndUsage') });
    } finally {
      ce.refuse.clear();
    }
  });
});

describe('the source of a run’s cost, from the catalog alone', () => {
  // What a refusal is stored with (audit16): the thrown error does not say which source it came
  // from. Each answer is the method the meter answers with for that pipeline in the tests above.
  it('names the same source the meter measures with, and none where the catalog names none', () => {
    const of = (pipeline: string, side: 'legacy' | 'target', engine: 'emr' | 'airflow' | 'databricks') => costMethodOf(catalog, { pipeline, side, engine });
    expect(of('incites-monthly', 'target', 'databricks')).toBe('databricks-billing');
    expect(of('incites-monthly', 'legacy', 'emr')).toBe('emr-share');
    expect(of('billing-rollup', 'legacy', 'emr')).toBe('cost-explorer');
    expect(of('dag-on-shared', 'legacy', 'airflow')).toBe('emr-share');
    expect(of('dag-own-cluster', 'legacy', 'airflow')).toBe('cost-explorer');
    expect(of('dag-unpriced', 'legacy', 'airflow')).toBeUndefined();
    expect(of('incites-monthly', 'legacy', 'airflow')).toBeUndefined(); // the catalog's engine changed under the run
  });
});
