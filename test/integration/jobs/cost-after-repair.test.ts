import { DelayedError, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRunRecord } from '../../../src/commands/new-run-record.ts';
import { parseCatalog } from '../../../src/config/load-catalog.ts';
import { createCostMeter } from '../../../src/cost/measure-cost.ts';
import type { RunCost } from '../../../src/cost/types.ts';
import { catalogVersionOf } from '../../../src/cutover/index.ts';
import { loadPlan } from '../../../src/cutover/load-plan.ts';
import { SqlStatementClient } from '../../../src/diff/databricks/sql-statement-client.ts';
import { createDatabricksEngine, DatabricksClient } from '../../../src/engines/databricks/index.ts';
import { isTerminal } from '../../../src/engines/types.ts';
import { checkCost, type CheckCostJob } from '../../../src/jobs/check-cost.ts';
import type { JobDeps } from '../../../src/jobs/job-deps.ts';
import { pollRun } from '../../../src/jobs/poll-run.ts';
import { repairRun } from '../../../src/jobs/repair-run.ts';
import { submitRun } from '../../../src/jobs/submit-run.ts';
import { createLogger } from '../../../src/logger.ts';
import { createCatalogSampleProtector } from '../../../src/pii/index.ts';
import { effectiveCost } from '../../../src/slack/cost-format.ts';
import { AuditLog } from '../../../src/store/audit-log.ts';
import { CutoverStore } from '../../../src/store/cutover-store.ts';
import { DqAlertStore } from '../../../src/store/dq-alert-store.ts';
import { ParallelStore } from '../../../src/store/parallel-store.ts';
import { keyspace } from '../../../src/store/redis.ts';
import { RunStore } from '../../../src/store/run-store.ts';
import { FakeDatabricks } from '../../fakes/databricks-server.ts';
import { startFakeSqlWarehouse, type FakeBillingTables, type FakeSqlWarehouse } from '../../fakes/databricks-sql-server.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';

/**
 * Issue 16, audit finding "repaired runs": a Databricks repair runs inside the same job run (same
 * `run_id`), so its DBUs bill to the same `usage_metadata.job_run_id`, hours later. The cost
 * measured before the repair is too low and must not stand, nor count toward the cost gate: the
 * repair puts the cost back to pending, and the look after the repaired run ends records a figure
 * only once billing rows of the repair are there, summed with the first attempt's.
 * Real jobs (submit, poll, repair, cost-check) over real Redis, a fake Databricks workspace and a
 * fake SQL warehouse that answers the billing statement from its tables.
 */
const catalog = parseCatalog(`
pipelines:
  repaired:
    channel: C0REP
    stage: parallel
    legacy: { engine: emr, clusterId: j-LEGACY1, step: { name: go, args: [spark-submit] } }
    target: { engine: databricks, jobId: 42 }
    cutover:
      approvers: { users: [U0BOB], min: 1 }
      steps:
        - id: cheaper
          gate: { costRatioAtMost: 0.8, overLastRuns: 1 }
`);
const config = catalog.pipelines.repaired!;
const databricks = new FakeDatabricks({ tokens: ['dapi-rep'], pollsPerStep: 1 });
const billing: FakeBillingTables = { usage: [], prices: [] };
const redis = testRedis();
const prefix = uniquePrefix('cost-repair');
const keys = keyspace(prefix);
const runs = new RunStore(redis, keys);
const parallels = new ParallelStore(redis, keys);
const costChecks: CheckCostJob[] = [];
let warehouse: FakeSqlWarehouse;
let deps: JobDeps;

beforeAll(async () => {
  const host = await databricks.start();
  databricks.addJob({ jobId: 42, tasks: ['load', 'transform'], outcome: { fail: { task: 'transform' } }, repairOutcome: 'succeed' });
  warehouse = await startFakeSqlWarehouse({ token: 'dapi-rep', answer: () => ({ error: { error_code: 'BAD_REQUEST', message: 'unexpected statement' } }), billing });
  const sql = new SqlStatementClient({ host: warehouse.url, warehouseId: 'wh-1', getToken: async () => 'dapi-rep', pollIntervalMs: 5 });
  const noop = async () => {};
  deps = {
    catalog,
    redis,
    keys,
    runs,
    parallels,
    audit: new AuditLog(redis, keys),
    logger: createLogger({ level: 'silent' }),
    engines: { databricks: createDatabricksEngine(new DatabricksClient({ host, auth: { token: 'dapi-rep' } })) },
    protect: createCatalogSampleProtector(catalog, undefined),
    queues: {
      costCheck: async (data: CheckCostJob) => void costChecks.push(data),
      status: noop,
      parallelStatus: noop,
      poll: noop,
      threadNote: noop,
      advanceParallel: noop,
      snsPublish: noop,
    },
    measureCost: createCostMeter({ catalog, billing: (statement, opts) => sql.query(statement, opts), now: Date.now }),
    costTiming: { retryMs: 30 * 60_000, waitMs: 48 * 3600_000 },
    pollIntervalMs: 60_000,
    now: Date.now,
  } as unknown as JobDeps;
});

afterAll(async () => {
  await databricks.stop();
  await warehouse?.close();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

const job = <T>(data: T) => ({ id: 'test', data, attemptsMade: 0, opts: { attempts: 2000 }, moveToDelayed: async () => {} }) as unknown as Job<T>;
/** Polls the run (as its poll job would) until it ends. */
async function pollToEnd(runId: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const run = await runs.require(runId);
    if (isTerminal(run.state)) return;
    await pollRun(deps, job({ runId, epoch: run.repairs }), 'lock-token').catch((err: unknown) => {
      if (!(err instanceof DelayedError)) throw err;
    });
  }
  throw new Error(`run ${runId} did not end`);
}
/** Runs every cost-check job enqueued so far, as the engine worker would. */
async function runCostChecks(): Promise<void> {
  for (let next = costChecks.shift(); next; next = costChecks.shift()) await checkCost(deps, job(next));
}
const iso = (ms: number) => new Date(ms).toISOString();
const usage = (dbus: number, start: number, end: number, jobRunId: string) => ({ sku_name: 'PREMIUM_JOBS_COMPUTE', cloud: 'AWS', usage_unit: 'DBU', usage_quantity: dbus, usage_start_time: iso(start), usage_end_time: iso(end), job_id: '42', job_run_id: jobRunId });
const costGate = async () => (await loadPlan({ catalog, runs, parallels, cutover: new CutoverStore(redis, keys), dqAlerts: new DqAlertStore(redis, keys), now: Date.now }, 'repaired')).steps[0]!.gates.find((g) => g.gate === 'costRatio')!;

describe('the cost of a repaired Databricks run', () => {
  it('goes back to pending at the repair, does not count toward the cost gate, and is measured again for all attempts once the repair’s billing rows are in', async () => {
    const now = Date.now();
    billing.prices = [{ sku_name: 'PREMIUM_JOBS_COMPUTE', cloud: 'AWS', usage_unit: 'DBU', currency_code: 'USD', price_start_time: iso(now - 30 * 86_400_000), price_end_time: null, default: 0.1 }];
    const legacyCost: RunCost = { status: 'known', method: 'emr-share', amount: 50, currency: 'USD', note: 'share', epoch: 0, at: now };
    const base = { pipelineName: 'repaired', pipeline: config, period: '2026-05', params: {}, env: 'dev', requestedBy: 'U0ALICE', now } as const;
    const legacy = { ...newRunRecord({ ...base, side: 'legacy' }), state: 'succeeded' as const, externalId: 'j-LEGACY1:s-1', startedAt: now - 60_000, endedAt: now, cost: legacyCost };
    const pid = `p-rep-${prefix.slice(-8)}`;
    const target = { ...newRunRecord({ ...base, side: 'target' }), parallelId: pid };
    const p = { v: 1 as const, id: pid, kind: 'parallel' as const, pipeline: 'repaired', period: '2026-05', requestedBy: 'U0ALICE', channel: 'C0REP', legacyRunId: legacy.id, targetRunId: target.id, state: 'done' as const, outputs: {}, verdict: 'clean' as const, createdAt: now, endedAt: now, updatedAt: now, version: 1, catalogVersion: catalogVersionOf(config) };
    await parallels.create(p, { actor: 'U0ALICE', action: 'parallel.created' }, { records: [legacy, target], who: { actor: 'U0ALICE', action: 'run.created' } });

    // The first attempt fails; its billing rows are in: 40 DBU × $0.10 = $4.00.
    await submitRun(deps, job({ runId: target.id }));
    await pollToEnd(target.id);
    const failed = await runs.require(target.id);
    expect(failed.state).toBe('failed');
    const jobRunId = failed.externalId!;
    billing.usage = [usage(40, failed.startedAt!, failed.endedAt!, jobRunId)];
    await runCostChecks();
    expect((await runs.require(target.id)).cost).toMatchObject({ status: 'known', amount: 4, dbus: 40, epoch: 0 });

    // Repaired: the $4.00 of the first attempt is not the run's cost any more, nor evidence for the gate.
    await repairRun(deps, job({ runId: target.id, by: 'U0ALICE' }));
    const repairing = await runs.require(target.id);
    expect(repairing.repairs).toBe(1);
    expect(repairing.cost).toMatchObject({ status: 'pending', method: 'databricks-billing', epoch: 1 });
    expect(effectiveCost(repairing)).toBe('pending');
    let gate = await costGate();
    expect(gate.met).toBe(false);
    expect(gate.reason).toContain('2026-05 Databricks cost pending');

    // The repaired run succeeds (same Databricks run id). Its first look finds only the first
    // attempt's rows: that is not the whole run's cost, so it stays pending.
    await pollToEnd(target.id);
    const repaired = await runs.require(target.id);
    expect(repaired.state).toBe('succeeded');
    expect(repaired.externalId).toBe(jobRunId);
    expect(costChecks).toEqual([{ runId: target.id, epoch: 1, attempt: 0 }]);
    await checkCost(deps, job(costChecks.shift()!));
    expect((await runs.require(target.id)).cost).toMatchObject({ status: 'pending', epoch: 1 });
    expect((await costGate()).met).toBe(false);

    // The repair's rows arrive under the same job_run_id: 50 DBU more. By hand: (40 + 50) × $0.10 = $9.00.
    billing.usage.push(usage(50, repaired.repairedAt!, Date.now(), jobRunId));
    await runCostChecks();
    expect((await runs.require(target.id)).cost).toMatchObject({ status: 'known', amount: 9, dbus: 90, epoch: 1 });
    gate = await costGate();
    expect(gate).toMatchObject({ met: true, runs: [{ period: '2026-05', legacy: 50, target: 9 }] });
    // Every look asked for the same run id, bound.
    const asked = warehouse.executed.filter((e) => e.statement?.includes('system.billing.usage')).map((e) => e.parameters?.find((x) => x.name === 'job_run_id')?.value);
    expect(new Set(asked)).toEqual(new Set([jobRunId]));
  });
});
