import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCatalog } from '../../../src/config/load-catalog.ts';
import { advanceBackfill } from '../../../src/jobs/advance-backfill.ts';
import type { JobDeps } from '../../../src/jobs/job-deps.ts';
import { Queues } from '../../../src/jobs/queues.ts';
import { periodsBetween, planAdvance, type BackfillRecord } from '../../../src/store/backfill-record.ts';
import { BackfillStore, newBackfillId } from '../../../src/store/backfill-store.ts';
import { keyspace } from '../../../src/store/redis.ts';
import { RunStore } from '../../../src/store/run-store.ts';
import { AuditLog } from '../../../src/store/audit-log.ts';
import { deletePrefix, REDIS_URL, testRedis, uniquePrefix } from '../../helpers/redis.ts';

const catalog = parseCatalog(`
pipelines:
  monthly:
    channel: C0CHANNEL
    stage: live
    target: { engine: databricks, jobId: 5, jobParameters: { period: "{{period}}" } }
`);
const redis = testRedis();
const queueRedis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const prefix = uniquePrefix('backfilladv');
const keys = keyspace(prefix);
const runs = new RunStore(redis, keys);
const backfills = new BackfillStore(redis, keys);
const audit = new AuditLog(redis, keys);
const queues = new Queues(queueRedis, keys.bullPrefix);
const deps = { runs, backfills, queues, catalog, now: Date.now } as unknown as JobDeps;
const advance = (id: string) => advanceBackfill(deps, { data: { backfillId: id } } as Job<{ backfillId: string }>);

function makeBackfill(over: Partial<BackfillRecord> = {}, from = '2026-01', to = '2026-06'): BackfillRecord {
  const now = Date.now();
  return {
    v: 1, id: newBackfillId(now), pipeline: 'monthly', from, to, side: 'target', engine: 'databricks', env: 'dev', concurrency: 2, continueOnFailure: false,
    requestedBy: 'U1', channel: 'C1', periods: periodsBetween(from, to).map((period) => ({ period, status: 'waiting', earlierRunIds: [] })),
    state: 'running', retries: 0, createdAt: now, updatedAt: now, version: 1, ...over,
  };
}
async function created(over: Partial<BackfillRecord> = {}): Promise<BackfillRecord> {
  const b = makeBackfill(over);
  await backfills.create(b, { actor: 'U1', action: 'backfill.created' });
  return b;
}
/** Runs of the backfill that exist, by what the intake stream was handed. */
async function intakeRuns(): Promise<string[]> {
  const entries = await redis.xrange(keys.intake, '-', '+');
  return entries.flatMap(([, f]) => (f[0] === 'run' ? [f[1]!] : []));
}

afterAll(async () => {
  await queues.close();
  await deletePrefix(redis, prefix);
  redis.disconnect();
  queueRedis.disconnect();
});

describe('advanceBackfill', () => {
  it('starts the two oldest periods as runs under the ids it recorded first, and a replay starts nothing more', async () => {
    const b = await created();
    await advance(b.id);
    const after = await backfills.require(b.id);
    const ids = after.periods.flatMap((p) => (p.runId ? [p.runId] : []));
    expect(after.periods.map((p) => p.status)).toEqual(['started', 'started', 'waiting', 'waiting', 'waiting', 'waiting']);
    for (const [i, id] of ids.entries()) {
      expect(await runs.require(id)).toMatchObject({ backfillId: b.id, period: `2026-0${i + 1}`, state: 'queued', pipeline: 'monthly', engine: 'databricks', requestedBy: 'U1' });
    }
    await advance(b.id);
    await advance(b.id);
    expect((await backfills.require(b.id)).version).toBe(after.version);
    expect((await intakeRuns()).filter((id) => ids.includes(id))).toHaveLength(2);
    expect((await runs.listByPipeline('monthly', 100)).filter((r) => r.backfillId === b.id)).toHaveLength(2);
  });

  it('starts each period once when many advance jobs run at the same time', async () => {
    const b = await created({ concurrency: 3 });
    await Promise.all(Array.from({ length: 10 }, () => advance(b.id)));
    const mine = (await runs.listByPipeline('monthly', 100)).filter((r) => r.backfillId === b.id);
    expect(mine.map((r) => r.period).sort()).toEqual(['2026-01', '2026-02', '2026-03']);
  });

  it('after a crash between recording a start and creating its run, creates exactly that run', async () => {
    const b = await created();
    // What a crashed advance leaves behind: the periods started in the record, no runs yet.
    const half = await backfills.update(b.id, (cur) => planAdvance(cur, new Map(), Date.now()), { actor: 'cutover', action: 'backfill.advance' });
    const ids = half.periods.flatMap((p) => (p.runId ? [p.runId] : []));
    expect(await runs.get(ids[0]!)).toBeUndefined();
    await advance(b.id);
    expect(await Promise.all(ids.map(async (id) => (await runs.get(id))?.period))).toEqual(['2026-01', '2026-02']);
    expect((await runs.listByPipeline('monthly', 100)).filter((r) => r.backfillId === b.id)).toHaveLength(2);
  });

  it('starts the next period when a run ends, stops at a failure, and audits every step', async () => {
    const b = await created();
    await advance(b.id);
    const [first, second] = (await backfills.require(b.id)).periods.map((p) => p.runId!);
    await runs.update(first!, (r) => ({ ...r, state: 'succeeded', endedAt: Date.now() }), { actor: 'cutover', action: 'run.state' });
    await advance(b.id);
    const third = (await backfills.require(b.id)).periods[2]!.runId!;
    expect((await backfills.require(b.id)).periods.map((p) => p.status)).toEqual(['succeeded', 'started', 'started', 'waiting', 'waiting', 'waiting']);
    await runs.update(second!, (r) => ({ ...r, state: 'failed', endedAt: Date.now() }), { actor: 'cutover', action: 'run.state' });
    await advance(b.id);
    expect((await backfills.require(b.id)).periods.map((p) => p.status)).toEqual(['succeeded', 'failed', 'started', 'skipped', 'skipped', 'skipped']);
    await runs.update(third, (r) => ({ ...r, state: 'succeeded', endedAt: Date.now() }), { actor: 'cutover', action: 'run.state' });
    await advance(b.id);
    expect(await backfills.require(b.id)).toMatchObject({ state: 'failed', stoppedReason: '2026-02 failed' });
    const events = (await audit.latest('monthly', 200)).filter((e) => e.subject === b.id).map((e) => e.action);
    expect(events.filter((a) => a === 'backfill.advance')).toHaveLength(4);
    expect(events).toContain('backfill.created');
  });

  it('enqueues one advance job per cause', async () => {
    const b = makeBackfill();
    await queues.advanceBackfill(b.id, 'r-x-000001-0');
    await queues.advanceBackfill(b.id, 'r-x-000001-0');
    await queues.advanceBackfill(b.id, 'start');
    const jobs = (await queues.engine.getJobs(['waiting', 'delayed'])).filter((j) => j.data.backfillId === b.id);
    expect(jobs.map((j) => j.id).sort()).toEqual([`badv-${b.id}-r-x-000001-0`, `badv-${b.id}-start`]);
  });
});
