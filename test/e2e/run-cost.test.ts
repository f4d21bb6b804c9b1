import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMR_CLUSTER_TAG } from '../../src/cost/cost-explorer.ts';
import type { RunRecord } from '../../src/store/run-record.ts';
import { FakeCostExplorer } from '../fakes/cost-explorer-server.ts';
import { FakeDatabricks } from '../fakes/databricks-server.ts';
import { startFakeSqlWarehouse, type FakeBillingTables, type FakeSqlWarehouse } from '../fakes/databricks-sql-server.ts';
import { FakeEmr } from '../fakes/emr-server.ts';
import { FakeSlack } from '../fakes/slack-server.ts';
import { eventually, SIGNING_SECRET, startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../helpers/redis.ts';
import { postSigned, slashCommandBody } from '../helpers/slack-requests.ts';
import { runCutoverCli } from '../helpers/cli-process.ts';
import { REDIS_URL } from '../helpers/redis.ts';

/**
 * Issue 16 end to end: the real app measures each run of a parallel run. The Databricks side
 * from the billing tables of a fake SQL warehouse that has no rows at first (the message says
 * "cost pending") and then has them; the EMR side from a shared cluster's ListInstances
 * timelines, or for a transient cluster from Cost Explorer by the cluster tag.
 */
const CHANNEL = 'C0COST';
/** $1 per instance-second (2880 + 720 per hour), so a few seconds of step make a readable figure. */
const CATALOG = `
pipelines:
  shared-monthly:
    channel: ${CHANNEL}
    stage: parallel
    legacy:
      engine: emr
      clusterId: j-SHARED1
      step: { name: shared, args: [spark-submit, s3://jobs/shared.py] }
      cost: { cluster: shared, instancePrices: { m5.xlarge: { ec2: 2880, emr: 720 } } }
    target: { engine: databricks, jobId: 41 }
  transient-monthly:
    channel: ${CHANNEL}
    stage: parallel
    legacy:
      engine: emr
      clusterId: j-TRANS1
      step: { name: transient, args: [spark-submit, s3://jobs/transient.py] }
      cost: { cluster: transient }
    target: { engine: databricks, jobId: 42 }
`;

const slack = new FakeSlack();
const databricks = new FakeDatabricks({ tokens: ['dapi-cost'] });
const billing: FakeBillingTables = { usage: [], prices: [] };
const redis = testRedis();
const prefix = uniquePrefix('e2e-cost');
let emr: FakeEmr;
let ce: FakeCostExplorer;
let warehouse: FakeSqlWarehouse;
let app: AppProcess;

beforeAll(async () => {
  [emr, ce, warehouse] = await Promise.all([
    FakeEmr.start({ clusters: ['j-SHARED1', 'j-TRANS1'] }),
    FakeCostExplorer.start(),
    startFakeSqlWarehouse({ token: 'dapi-cost', answer: () => ({ error: { error_code: 'BAD_REQUEST', message: 'unexpected statement' } }), billing }),
  ]);
  const [slackUrl, dbUrl] = await Promise.all([slack.start(), databricks.start()]);
  databricks.forwardSqlTo(warehouse.url);
  databricks.addJob({ jobId: 41, tasks: ['build'] });
  databricks.addJob({ jobId: 42, tasks: ['build'] });
  app = await startAppProcess({
    catalogYaml: CATALOG,
    prefix,
    env: {
      SLACK_API_URL: slackUrl,
      DATABRICKS_HOST: dbUrl,
      DATABRICKS_TOKEN: 'dapi-cost',
      DATABRICKS_WAREHOUSE_ID: 'wh-billing',
      AWS_ENDPOINT_URL_EMR: emr.url,
      AWS_ENDPOINT_URL_COST_EXPLORER: ce.url,
      CUTOVER_COST_RETRY_MS: '300',
    },
  });
});

afterAll(async () => {
  await app?.stop();
  await Promise.all([slack.stop(), databricks.stop(), emr?.close(), ce?.close(), warehouse?.close()]);
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

async function parallel(pipeline: string, period: string) {
  const id = `par-${pipeline}`;
  await postSigned(`${app.url}/slack/events`, slashCommandBody({ text: `parallel ${pipeline} --period ${period}`, userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl(id) }), { secret: SIGNING_SECRET });
  await eventually(() => slack.responses.find((r) => r.id === id), 10_000, 'ack reply');
  return () => slack.messages.find((m) => m.channel === CHANNEL && !m.thread_ts && (m.text ?? '').includes(pipeline));
}
const text = (m: { blocks?: unknown[] } | undefined) => JSON.stringify(m?.blocks ?? []);
const run = async (pipeline: string, side: 'legacy' | 'target'): Promise<RunRecord> => {
  const ids = await redis.zrange(`${prefix}:runs:pipeline:${pipeline}`, '0', '-1');
  const runs = await Promise.all(ids.map(async (id) => JSON.parse((await redis.get(`${prefix}:run:${id}`))!) as RunRecord));
  return runs.find((r) => r.side === side)!;
};

describe('cost per run, end to end', () => {
  it('goes from "cost pending" to the billing figures, and prices a shared cluster step from its instances', async () => {
    const now = Date.now();
    // Two m5.xlarge for the whole step, a third that ended before it: only the first two count.
    emr.setInstances('j-SHARED1', [
      { id: 'ci-M', type: 'm5.xlarge', created: now - 3600_000, ready: now - 3500_000, groupId: 'ig-MASTER' },
      { id: 'ci-C', type: 'm5.xlarge', created: now - 3600_000, ready: now - 3500_000, groupId: 'ig-CORE' },
      { id: 'ci-OLD', type: 'm5.xlarge', created: now - 7200_000, ready: now - 7100_000, ended: now - 3600_000, groupId: 'ig-TASK' },
    ]);
    const message = await parallel('shared-monthly', '2026-07');
    const pending = await eventually(() => (/cost pending/.test(text(message())) && /verdict|clean/.test(text(message())) ? message() : undefined), 60_000, 'cost pending');
    expect(text(pending)).toContain('cost');

    // The warehouse was asked for the run, with the Databricks run id bound as a parameter.
    const asked = await eventually(() => warehouse.executed.find((e) => e.statement?.includes('system.billing.usage')), 20_000, 'billing query');
    const runId = asked.parameters!.find((p) => p.name === 'job_run_id')!.value!;
    const day = (ms: number) => new Date(ms).toISOString();
    billing.prices = [
      { sku_name: 'PREMIUM_JOBS_COMPUTE', cloud: 'AWS', usage_unit: 'DBU', currency_code: 'USD', price_start_time: day(now - 30 * 86_400_000), price_end_time: day(now - 3600_000), default: 0.1 },
      { sku_name: 'PREMIUM_JOBS_COMPUTE', cloud: 'AWS', usage_unit: 'DBU', currency_code: 'USD', price_start_time: day(now - 3600_000), price_end_time: null, default: 0.15 },
      { sku_name: 'PREMIUM_JOBS_SERVERLESS_COMPUTE', cloud: 'AWS', usage_unit: 'DBU', currency_code: 'USD', price_start_time: day(now - 30 * 86_400_000), price_end_time: null, default: 0.45 },
    ];
    billing.usage = [
      { sku_name: 'PREMIUM_JOBS_COMPUTE', cloud: 'AWS', usage_unit: 'DBU', usage_quantity: 40, usage_start_time: day(now - 7200_000), usage_end_time: day(now - 3600_000), job_id: '41', job_run_id: runId },
      { sku_name: 'PREMIUM_JOBS_COMPUTE', cloud: 'AWS', usage_unit: 'DBU', usage_quantity: 50, usage_start_time: day(now - 1800_000), usage_end_time: day(now), job_id: '41', job_run_id: runId },
      { sku_name: 'PREMIUM_JOBS_SERVERLESS_COMPUTE', cloud: 'AWS', usage_unit: 'DBU', usage_quantity: 10, usage_start_time: day(now - 1800_000), usage_end_time: day(now), job_id: '41', job_run_id: runId },
      { sku_name: 'PREMIUM_JOBS_COMPUTE', cloud: 'AWS', usage_unit: 'DBU', usage_quantity: 999, usage_start_time: day(now - 1800_000), usage_end_time: day(now), job_id: '41', job_run_id: `${runId}9` },
    ];
    // By hand: 40 × 0.10 (the old price, valid then) + 50 × 0.15 + 10 × 0.45 = 4 + 7.5 + 4.5 = $16.00, 100 DBUs.
    const known = await eventually(() => (text(message()).includes('Databricks $16.00') ? message() : undefined), 20_000, 'Databricks figure in the message');
    const target = await run('shared-monthly', 'target');
    expect(target.cost).toMatchObject({ status: 'known', method: 'databricks-billing', dbus: 100 });
    expect(target.cost!.amount).toBeCloseTo(16, 9);

    // EMR: two instances over the whole step at $1 per instance-second.
    const legacy = await run('shared-monthly', 'legacy');
    const seconds = (legacy.endedAt! - legacy.startedAt!) / 1000;
    expect(legacy.cost).toMatchObject({ status: 'known', method: 'emr-share' });
    expect(legacy.cost!.amount).toBeCloseTo(2 * seconds, 6);
    const change = Math.round(((16 - 2 * seconds) / (2 * seconds)) * 100);
    expect(text(known)).toContain(`legacy $${(2 * seconds).toFixed(2)} vs Databricks $16.00`);
    expect(text(known)).toContain(change < 0 ? `−${-change} %` : `+${change} %`);
    expect(text(known)).toContain('share of the shared cluster');

    // The audit stream holds the recorded figures.
    const events = (await redis.xrange(`${prefix}:audit:shared-monthly`, '-', '+')).map(([, f]) => JSON.parse(f[1]!) as { action: string; subject: string; after?: { cost?: { amount?: number; status?: string } } });
    const costs = events.filter((e) => e.action === 'run.cost' && e.subject === target.id);
    expect(costs.map((e) => e.after?.cost?.status)).toEqual(['pending', 'known']);
    expect(costs.at(-1)?.after?.cost?.amount).toBeCloseTo(16, 9);
  });

  it('reads a transient cluster’s cost from Cost Explorer by its tag', async () => {
    ce.tags.set(EMR_CLUSTER_TAG, 'Active');
    const today = new Date().toISOString().slice(0, 10);
    ce.costs = [
      { tagKey: EMR_CLUSTER_TAG, tagValue: 'j-TRANS1', day: today, amount: 12.75 },
      { tagKey: EMR_CLUSTER_TAG, tagValue: 'j-OTHER', day: today, amount: 500 },
    ];
    const message = await parallel('transient-monthly', '2026-07');
    await eventually(() => (text(message()).includes('legacy $12.75') ? message() : undefined), 60_000, 'Cost Explorer figure');
    const legacy = await run('transient-monthly', 'legacy');
    expect(legacy.cost).toMatchObject({ status: 'known', method: 'cost-explorer', amount: 12.75 });
    expect(ce.calls('GetCostAndUsage').at(-1)?.body).toMatchObject({ Filter: { Tags: { Key: EMR_CLUSTER_TAG, Values: ['j-TRANS1'] } } });
  });
});

describe('/pipeline history chart', () => {
  it('sends the asker a PNG chart of duration and cost per period, privately', async () => {
    await postSigned(`${app.url}/slack/events`, slashCommandBody({ text: 'history shared-monthly', userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl('hist') }), { secret: SIGNING_SECRET });
    const reply = await eventually(() => slack.responses.find((r) => r.id === 'hist')?.body as { blocks: unknown[] } | undefined, 10_000, 'history reply');
    expect(JSON.stringify(reply.blocks)).toContain('cost: legacy $');
    expect(JSON.stringify(reply.blocks)).toContain('on its way to your DM');
    const file = await eventually(() => slack.files.find((f) => f.completed && f.filename === 'shared-monthly-history.png'), 20_000, 'chart upload');
    expect(file.channel_id).toBe('D0ALICE');
    const png = file.bytes!;
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(720);
    expect(slack.callsTo('conversations.open').at(-1)?.body).toMatchObject({ users: 'U0ALICE' });
  });
});

describe('the go-live report', () => {
  it('/pipeline report sends the asker one HTML document with the runs, costs and chart; cutover report writes the same from Redis', async () => {
    await postSigned(`${app.url}/slack/events`, slashCommandBody({ text: 'report shared-monthly', userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl('report') }), { secret: SIGNING_SECRET });
    const reply = await eventually(() => slack.responses.find((r) => r.id === 'report')?.body as { text: string } | undefined, 10_000, 'report reply');
    expect(reply.text).toContain('on its way to your DM');
    const file = await eventually(() => slack.files.find((f) => f.completed && /^shared-monthly-go-live-report-\d{4}-\d{2}-\d{2}\.html$/.test(f.filename)), 30_000, 'report upload');
    expect(file.channel_id).toBe('D0ALICE');
    const html = file.bytes!.toString('utf8');
    expect(html).toContain('<title>Go-live report: shared-monthly</title>');
    expect(html).toContain('<td>$16.00</td>');
    expect(html).toMatch(/<img class="chart" id="history-chart"[^>]+src="data:image\/png;base64,iVBORw0KGgo/);
    expect(html).toContain('run.cost');

    const out = `${process.env.TMPDIR ?? '/tmp'}/cutover-report-${prefix}.html`;
    const { writeFileSync, readFileSync } = await import('node:fs');
    const catalogFile = `${process.env.TMPDIR ?? '/tmp'}/cutover-report-${prefix}.yaml`;
    writeFileSync(catalogFile, CATALOG);
    const cli = await runCutoverCli(['report', '--catalog', catalogFile, '--pipeline', 'shared-monthly', '--out', out], { REDIS_URL, CUTOVER_REDIS_PREFIX: prefix });
    expect(cli.stderr).toContain('wrote the go-live report');
    expect(cli.code).toBe(0);
    const fromCli = readFileSync(out, 'utf8');
    expect(fromCli).toContain('<td>$16.00</td>');
    expect(fromCli).toContain('data:image/png;base64,');
  });
});
