import { afterAll, describe, expect, it } from 'vitest';
import { newRunRecord } from '../../../src/commands/new-run-record.ts';
import { parseCatalog } from '../../../src/config/load-catalog.ts';
import type { RunCost } from '../../../src/cost/types.ts';
import { catalogVersionOf } from '../../../src/cutover/index.ts';
import { loadPlan } from '../../../src/cutover/load-plan.ts';
import { CutoverStore } from '../../../src/store/cutover-store.ts';
import { DqAlertStore } from '../../../src/store/dq-alert-store.ts';
import { ParallelStore } from '../../../src/store/parallel-store.ts';
import { keyspace } from '../../../src/store/redis.ts';
import { RunStore } from '../../../src/store/run-store.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';

/**
 * Issue 16 item 4 with real Redis: the cost gate's evidence is the cost recorded on each run of
 * the clean parallel runs (`RunRecord.cost`, written by the cost-check job), read by `loadPlan`,
 * which both the bot and the go-live report use. The gate's rules are in test/unit/cutover/cost-gate.test.ts.
 */
const catalog = parseCatalog(`
pipelines:
  go-live:
    channel: C0GO
    stage: parallel
    legacy: { engine: emr, clusterId: j-LEGACY1, step: { name: go, args: [spark-submit] } }
    target: { engine: databricks, jobId: 9 }
    cutover:
      approvers: { users: [U0BOB], min: 1 }
      steps:
        - id: cheaper
          gate: { costRatioAtMost: 0.8, overLastRuns: 2 }
`);
const config = catalog.pipelines['go-live']!;
const redis = testRedis();
const prefix = uniquePrefix('cost-gate');
const keys = keyspace(prefix);
const runs = new RunStore(redis, keys);
const parallels = new ParallelStore(redis, keys);
const src = { catalog, runs, parallels, cutover: new CutoverStore(redis, keys), dqAlerts: new DqAlertStore(redis, keys), now: Date.now };
const BOT = { actor: 'cutover', action: 'run.cost' } as const;
const known = (amount: number): RunCost => ({ status: 'known', method: 'databricks-billing', amount, currency: 'USD', note: 'list price', epoch: 0, at: Date.now() });

afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

/** A clean, finished parallel run of `period` whose two runs cost `legacy` and `target`. */
async function cleanParallel(period: string, legacy: RunCost, target: RunCost): Promise<{ legacyId: string; targetId: string }> {
  const now = Date.now();
  const run = (side: 'legacy' | 'target', cost: RunCost) => ({ ...newRunRecord({ pipelineName: 'go-live', pipeline: config, side, period, params: {}, env: 'dev', requestedBy: 'U0ALICE', now }), state: 'succeeded' as const, startedAt: now - 60_000, endedAt: now, cost });
  const [l, t] = [run('legacy', legacy), run('target', target)];
  const id = `p-${period.replace('-', '')}-${prefix.slice(-8)}`;
  const p = { v: 1 as const, id, kind: 'parallel' as const, pipeline: 'go-live', period, requestedBy: 'U0ALICE', channel: 'C0GO', legacyRunId: l.id, targetRunId: t.id, state: 'done' as const, outputs: {}, verdict: 'clean' as const, createdAt: now, endedAt: now, updatedAt: now, version: 1, catalogVersion: catalogVersionOf(config) };
  await parallels.create(p, { actor: 'U0ALICE', action: 'parallel.created' }, { records: [l, t], who: { actor: 'U0ALICE', action: 'run.created' } });
  return { legacyId: l.id, targetId: t.id };
}
const costGate = async () => (await loadPlan(src, 'go-live')).steps[0]!.gates.find((g) => g.gate === 'costRatio')!;

describe('the cost gate reads the costs recorded on the runs', () => {
  it('is unknown, then met, then unmet as the recorded costs change', async () => {
    const pending: RunCost = { status: 'pending', method: 'databricks-billing', reason: 'no billing rows yet', epoch: 0, at: Date.now() };
    const may = await cleanParallel('2026-05', known(50), pending);
    await cleanParallel('2026-04', known(40), known(30));
    let gate = await costGate();
    expect(gate.met).toBe(false);
    expect(gate.reason).toContain('2026-05 Databricks cost pending');

    await runs.update(may.targetId, (r) => ({ ...r, cost: known(40) }), BOT); // 40 ≤ 0.8 × 50
    gate = await costGate();
    expect(gate).toMatchObject({ met: true, runs: [{ period: '2026-05', legacy: 50, target: 40 }, { period: '2026-04', legacy: 40, target: 30 }] });

    await runs.update(may.targetId, (r) => ({ ...r, cost: known(41) }), BOT); // 41 > 0.8 × 50
    gate = await costGate();
    expect(gate.met).toBe(false);
    expect(gate.reason).toContain('2026-05 Databricks 41 > 0.8 × legacy 50');
  });
});
