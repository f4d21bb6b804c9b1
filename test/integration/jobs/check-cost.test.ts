import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRunRecord } from '../../../src/commands/new-run-record.ts';
import { parseCatalog } from '../../../src/config/load-catalog.ts';
import { createCostMeter } from '../../../src/cost/measure-cost.ts';
import type { CostMeasurement } from '../../../src/cost/types.ts';
import { SqlStatementClient } from '../../../src/diff/databricks/sql-statement-client.ts';
import { checkCost, type CheckCostJob } from '../../../src/jobs/check-cost.ts';
import type { JobDeps } from '../../../src/jobs/job-deps.ts';
import { AuditLog } from '../../../src/store/audit-log.ts';
import { keyspace } from '../../../src/store/redis.ts';
import type { RunRecord } from '../../../src/store/run-record.ts';
import { RunStore } from '../../../src/store/run-store.ts';
import { startFakeSqlWarehouse, type FakeSqlWarehouse } from '../../fakes/databricks-sql-server.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';

/**
 * Issue 16 item 1, the `cost-check` job with real Redis: billing rows arrive hours after a run, so
 * a pending cost is looked up again with a doubling delay (30 min first, at most 6 h apart) for up
 * to 48 h after the run, then recorded as unknown; a cost that cannot be known is logged once, not
 * per run. The clock is the test's, and each enqueued look is run when its delay has passed.
 */
const H = 3600_000;
const T0 = Date.UTC(2026, 6, 1, 6);
const catalog = parseCatalog(`
pipelines:
  nightly:
    channel: C0NIGHT
    target: { engine: databricks, jobId: 42 }
`);
const redis = testRedis();
const prefix = uniquePrefix('check-cost');
const keys = keyspace(prefix);

let clock = T0;
let measurement: CostMeasurement;
const enqueued: Array<{ data: CheckCostJob; delay: number }> = [];
const rerenders: string[] = [];
const warnings: Array<{ fields: Record<string, unknown>; msg: string }> = [];
let deps: JobDeps;
let warehouse: FakeSqlWarehouse;
/** What the fake warehouse answers the billing statement: a failure while set, else no rows. */
let warehouseError: { error_code: string; message: string } | undefined;

beforeAll(async () => {
  warehouse = await startFakeSqlWarehouse({ token: 'dapi-cost', answer: () => (warehouseError ? { error: warehouseError } : { columns: [], rows: [] }) });
  deps = {
    catalog,
    redis,
    keys,
    runs: new RunStore(redis, keys),
    audit: new AuditLog(redis, keys),
    logger: { warn: (fields: Record<string, unknown>, msg: string) => warnings.push({ fields, msg }) },
    queues: {
      costCheck: async (data: CheckCostJob, delay: number) => void enqueued.push({ data, delay }),
      status: async (id: string) => void rerenders.push(id),
      parallelStatus: async (id: string) => void rerenders.push(id),
    },
    measureCost: async () => measurement,
    costTiming: { retryMs: 30 * 60_000, waitMs: 48 * H },
    now: () => clock,
  } as unknown as JobDeps;
});

afterAll(async () => {
  await warehouse?.close();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

async function endedRun(period: string): Promise<RunRecord> {
  const run = newRunRecord({ pipelineName: 'nightly', pipeline: catalog.pipelines.nightly!, side: 'target', period, params: {}, env: 'dev', requestedBy: 'U0ALICE', now: T0 - H });
  await deps.runs.create(run, { actor: 'U0ALICE', action: 'run.created' });
  return deps.runs.update(run.id, (r) => ({ ...r, state: 'succeeded', externalId: '77', startedAt: T0 - H, endedAt: T0 }), { actor: 'bot', action: 'run.state' });
}
const look = (data: CheckCostJob) => checkCost(deps, { data } as Job<CheckCostJob>);
/** Runs the first look at the run's end, then every look it enqueues when its delay has passed; returns the delays. */
async function followLooks(runId: string, onLook: (at: number) => void = () => {}): Promise<number[]> {
  const delays: number[] = [];
  clock = T0;
  enqueued.length = 0;
  onLook(clock);
  await look({ runId, epoch: 0, attempt: 0 });
  for (let next = enqueued.shift(); next; next = enqueued.shift()) {
    delays.push(next.delay);
    if (delays.length > 100) throw new Error(`still looking ${(clock - T0) / H} h after the run`);
    clock += next.delay;
    onLook(clock);
    await look(next.data);
  }
  return delays;
}
const costEvents = async (runId: string) =>
  (await redis.xrange(`${prefix}:audit:nightly`, '-', '+'))
    .map(([, f]) => JSON.parse(f[1]!) as { action: string; subject: string; after?: { cost?: { status: string; amount?: number } } })
    .filter((e) => e.action === 'run.cost' && e.subject === runId)
    .map((e) => e.after?.cost);

describe('the cost-check job', () => {
  it('looks again with a doubling delay, at most 6 h apart, and gives up as unknown 48 h after the run', async () => {
    const run = await endedRun('2026-06');
    measurement = { kind: 'pending', method: 'databricks-billing', reason: 'no billing records for the run yet' };
    rerenders.length = 0;
    const delays = await followLooks(run.id);

    expect(delays.map((d) => d / H)).toEqual([0.5, 1, 2, 4, 6, 6, 6, 6, 6, 6, 4.5]);
    expect(clock - T0).toBe(48 * H);
    const stored = (await deps.runs.get(run.id))!.cost!;
    expect(stored).toMatchObject({ status: 'unknown', method: 'databricks-billing' });
    expect(stored.reason).toBe('no billing records for the run yet; Cutover stopped looking 48 h after the run');
    // Recorded (and the message re-rendered) only when it changed: pending once, then unknown.
    expect((await costEvents(run.id)).map((c) => c?.status)).toEqual(['pending', 'unknown']);
    expect(rerenders).toHaveLength(2);
  });

  it('records the figure once the billing rows arrive, and looks once more a day after the run for late rows', async () => {
    const run = await endedRun('2026-05');
    const known = (amount: number): CostMeasurement => ({ kind: 'known', method: 'databricks-billing', cost: { amount, currency: 'USD', dbus: amount * 10, note: 'list price', items: [] } });
    const delays = await followLooks(run.id, (at) => {
      measurement = at < T0 + 3 * H ? { kind: 'pending', method: 'databricks-billing', reason: 'no billing records yet' } : at < T0 + 24 * H ? known(16) : known(17.5);
    });

    // 0.5 + 1 + 2 h: found at 3.5 h, then the settling look at 24 h.
    expect(delays.map((d) => d / H)).toEqual([0.5, 1, 2, 20.5]);
    expect((await costEvents(run.id)).map((c) => [c?.status, c?.amount])).toEqual([
      ['pending', undefined],
      ['known', 16],
      ['known', 17.5],
    ]);
    expect((await deps.runs.get(run.id))!.cost).toMatchObject({ status: 'known', amount: 17.5 });
  });

  it('says why a cost cannot be known once per pipeline and reason, not per run, and never fails the job', async () => {
    const reason = `no SQL warehouse is configured (${prefix})`;
    measurement = { kind: 'unknown', method: 'databricks-billing', reason };
    warnings.length = 0;
    const runs = [await endedRun('2026-01'), await endedRun('2026-02'), await endedRun('2026-03')];
    for (const run of runs) expect(await followLooks(run.id)).toEqual([]);
    for (const run of runs) expect((await deps.runs.get(run.id))!.cost).toMatchObject({ status: 'unknown', reason });
    expect(warnings.filter((w) => w.fields.reason === reason)).toHaveLength(1);

    measurement = { kind: 'unknown', method: 'databricks-billing', reason: `${reason}, again otherwise` };
    await followLooks((await endedRun('2026-04')).id);
    expect(warnings.filter((w) => String(w.fields.reason).startsWith(reason))).toHaveLength(2);
  });

  it('records a cost the warehouse refuses to give (no access to the billing tables) as unknown with the reason, said once, instead of failing every run’s job', async () => {
    const sql = new SqlStatementClient({ host: warehouse.url, warehouseId: 'wh-1', getToken: async () => 'dapi-cost', pollIntervalMs: 5 });
    const meter = createCostMeter({ catalog, billing: (statement, opts) => sql.query(statement, opts), now: () => clock });
    const before = deps.measureCost;
    deps.measureCost = meter;
    try {
      warehouseError = { error_code: 'PERMISSION_DENIED', message: `[INSUFFICIENT_PERMISSIONS] User does not have USE SCHEMA on Schema 'system.billing' (${prefix})` };
      warnings.length = 0;
      const runs = [await endedRun('2025-11'), await endedRun('2025-12')];
      for (const run of runs) expect(await followLooks(run.id)).toEqual([]);
      for (const run of runs) {
        const cost = (await deps.runs.get(run.id))!.cost!;
        expect(cost.status).toBe('unknown');
        expect(cost.reason).toContain('INSUFFICIENT_PERMISSIONS');
        // Which source refused is stored beside its words, so the message can name it.
        expect(cost.method).toBe('databricks-billing');
      }
      expect(warnings.filter((w) => String(w.fields.reason).includes(prefix))).toHaveLength(1);

      // A warehouse that is down is an outage, not an answer: the job throws and BullMQ retries it.
      warehouseError = { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'The service at /api/2.0/sql/statements is temporarily unavailable' };
      const outage = await endedRun('2025-10');
      await expect(look({ runId: outage.id, epoch: 0, attempt: 0 })).rejects.toMatchObject({ retryable: true });
      expect((await deps.runs.get(outage.id))!.cost).toBeUndefined();
    } finally {
      deps.measureCost = before;
      warehouseError = undefined;
    }
  });
});
