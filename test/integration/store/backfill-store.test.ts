import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/store/audit-log.ts';
import { cancelWaiting, periodRunId, periodsBetween, planAdvance, retryFailed, type BackfillRecord } from '../../../src/store/backfill-record.ts';
import { BackfillStore, newBackfillId } from '../../../src/store/backfill-store.ts';
import { keyspace } from '../../../src/store/redis.ts';
import type { RunState } from '../../../src/engines/types.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';

const redis = testRedis();
const prefix = uniquePrefix('backfillstore');
const keys = keyspace(prefix);
const store = new BackfillStore(redis, keys);
const audit = new AuditLog(redis, keys);
const RUN_ID = /^r-[a-z0-9]+-[a-f0-9]{6}$/;

function makeBackfill(over: Partial<BackfillRecord> = {}, from = '2026-01', to = '2026-06'): BackfillRecord {
  const now = Date.now();
  return {
    v: 1, id: newBackfillId(now), pipeline: 'p1', from, to, side: 'target', engine: 'databricks', env: 'dev', concurrency: 2, continueOnFailure: false,
    requestedBy: 'U1', channel: 'C1', periods: periodsBetween(from, to).map((period) => ({ period, status: 'waiting', earlierRunIds: [] })),
    state: 'running', retries: 0, createdAt: now, updatedAt: now, version: 1, ...over,
  };
}

const states = (entries: Array<[string | undefined, RunState]>) => new Map(entries.map(([id, state]) => [id!, { state }]));
const statuses = (b: BackfillRecord) => b.periods.map((p) => p.status);

afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

describe('BackfillStore', () => {
  it('creates the record, its audit event, its index entry and its intake entry in one script, once', async () => {
    const b = makeBackfill();
    await store.create(b, { actor: 'U1', action: 'backfill.created' });
    expect(await store.require(b.id)).toEqual(b);
    const [event] = await audit.latest('p1', 1);
    expect(event).toMatchObject({ action: 'backfill.created', actor: 'U1', subject: b.id, after: { from: '2026-01', to: '2026-06', periods: 6, concurrency: 2 } });
    const intake = await redis.xrange(keys.intake, '-', '+');
    expect(intake.map(([, fields]) => fields)).toContainEqual(['backfill', b.id]);
    expect((await store.listByPipeline('p1')).map((x) => x.id)).toContain(b.id);
    await expect(store.create(b, { actor: 'U1', action: 'backfill.created' })).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it('audits the periods that changed with before and after, and writes nothing for a no-op', async () => {
    const b = makeBackfill();
    await store.create(b, { actor: 'U1', action: 'backfill.created' });
    const started = await store.update(b.id, (cur) => planAdvance(cur, new Map(), Date.now()), { actor: 'cutover', action: 'backfill.advance' });
    expect(started.version).toBe(2);
    const [event] = await audit.latest('p1', 1);
    expect(event).toMatchObject({
      action: 'backfill.advance',
      before: { periods: { '2026-01': { status: 'waiting' }, '2026-02': { status: 'waiting' } } },
      after: { periods: { '2026-01': { status: 'started', runId: started.periods[0]!.runId }, '2026-02': { status: 'started', runId: started.periods[1]!.runId } } },
    });
    expect(Object.keys((event!.after as { periods: object }).periods)).toHaveLength(2);
    const same = await store.update(b.id, (cur) => planAdvance(cur, new Map(), Date.now()), { actor: 'cutover', action: 'backfill.noop' });
    expect(same.version).toBe(2);
    expect((await audit.latest('p1', 1))[0]!.action).toBe('backfill.advance');
  });

  it('lets concurrent writers start each period once (compare-and-set on the version)', async () => {
    const b = makeBackfill({ concurrency: 3 });
    await store.create(b, { actor: 'U1', action: 'backfill.created' });
    await Promise.all(Array.from({ length: 8 }, () => store.update(b.id, (cur) => planAdvance(cur, new Map(), Date.now()), { actor: 'cutover', action: 'backfill.advance' })));
    const after = await store.require(b.id);
    expect(statuses(after)).toEqual(['started', 'started', 'started', 'waiting', 'waiting', 'waiting']);
    expect(after.version).toBe(2);
  });
});

describe('period run ids', () => {
  it('are run ids derived from the backfill, period and attempt, and never repeat within a backfill', () => {
    const b = makeBackfill();
    const id = periodRunId(b, '2026-01', 1);
    expect(id).toMatch(RUN_ID);
    expect(periodRunId(b, '2026-01', 1)).toBe(id);
    expect(periodRunId(b, '2026-01', 2)).not.toBe(id);
    expect(periodRunId(b, '2026-02', 1)).not.toBe(id);
    // A clash with an id the backfill already holds is salted away.
    const clash = { ...b, periods: [{ period: '2026-02', status: 'failed' as const, earlierRunIds: [id] }] };
    const other = periodRunId(clash, '2026-01', 1);
    expect(other).toMatch(RUN_ID);
    expect(other).not.toBe(id);
  });
});

describe('planAdvance', () => {
  it('starts the oldest waiting periods up to the concurrency, then the next as runs end', () => {
    const b = planAdvance(makeBackfill(), new Map(), 1)!;
    expect(statuses(b)).toEqual(['started', 'started', 'waiting', 'waiting', 'waiting', 'waiting']);
    expect(planAdvance(b, states([[b.periods[0]!.runId, 'running']]), 2)).toBeUndefined();
    const next = planAdvance(b, states([[b.periods[0]!.runId, 'succeeded'], [b.periods[1]!.runId, 'running']]), 3)!;
    expect(statuses(next)).toEqual(['succeeded', 'started', 'started', 'waiting', 'waiting', 'waiting']);
  });

  it('skips the waiting periods at the first failure and ends failed once the running ones end', () => {
    let b = planAdvance(makeBackfill(), new Map(), 1)!;
    b = planAdvance(b, states([[b.periods[0]!.runId, 'failed']]), 2)!;
    expect(statuses(b)).toEqual(['failed', 'started', 'skipped', 'skipped', 'skipped', 'skipped']);
    expect(b).toMatchObject({ state: 'running', stoppedReason: '2026-01 failed' });
    b = planAdvance(b, states([[b.periods[0]!.runId, 'failed'], [b.periods[1]!.runId, 'succeeded']]), 3)!;
    expect(b).toMatchObject({ state: 'failed', endedAt: 3 });
  });

  it('goes on past failures with --continue-on-failure', () => {
    let b = planAdvance(makeBackfill({ continueOnFailure: true }, '2026-01', '2026-03'), new Map(), 1)!;
    b = planAdvance(b, states([[b.periods[0]!.runId, 'timed_out']]), 2)!;
    expect(statuses(b)).toEqual(['timed_out', 'started', 'started']);
  });

  it('follows a repaired run back to running, and to its new end', () => {
    let b = planAdvance(makeBackfill({}, '2026-01', '2026-01'), new Map(), 1)!;
    const id = b.periods[0]!.runId;
    b = planAdvance(b, states([[id, 'failed']]), 2)!;
    expect(b.state).toBe('failed');
    b = planAdvance(b, states([[id, 'running']]), 3)!;
    expect(b.state).toBe('running');
    b = planAdvance(b, states([[id, 'succeeded']]), 4)!;
    expect(b).toMatchObject({ state: 'succeeded', endedAt: 4 });
  });

  it('cancels waiting periods, and retries failed, cancelled and skipped ones with new run ids', () => {
    let b = planAdvance(makeBackfill({}, '2026-01', '2026-04'), new Map(), 1)!;
    const [first, second] = [b.periods[0]!.runId!, b.periods[1]!.runId!];
    b = planAdvance(b, states([[first, 'failed']]), 2)!; // 03, 04 skipped
    expect(cancelWaiting({ ...b, periods: b.periods.map((p) => ({ ...p, status: p.status === 'started' ? 'succeeded' : p.status })) }, 'U2', 3)).toBeUndefined();
    const cancelled = cancelWaiting(planAdvance(makeBackfill({}, '2026-01', '2026-03'), new Map(), 1)!, 'U2', 3)!;
    expect(statuses(cancelled)).toEqual(['started', 'started', 'cancelled']);
    expect(cancelled.cancelledBy).toEqual({ user: 'U2', at: 3 });

    b = planAdvance(b, states([[first, 'failed'], [second, 'succeeded']]), 4)!;
    const retried = retryFailed(b)!;
    expect(statuses(retried)).toEqual(['waiting', 'succeeded', 'waiting', 'waiting']);
    expect(retried).toMatchObject({ state: 'running', retries: 1 });
    expect(retried.stoppedReason).toBeUndefined();
    expect(retried.periods[0]).toEqual({ period: '2026-01', status: 'waiting', earlierRunIds: [first] });
    const again = planAdvance(retried, states([[second, 'succeeded']]), 5)!;
    expect(statuses(again)).toEqual(['started', 'succeeded', 'started', 'waiting']);
    expect(again.periods[0]!.runId).toBe(periodRunId(retried, '2026-01', 2));
    expect(again.periods[0]!.runId).not.toBe(first);
    expect(retryFailed(planAdvance(makeBackfill({}, '2026-01', '2026-01'), new Map(), 1)!)).toBeUndefined();
  });
});
