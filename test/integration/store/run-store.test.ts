import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/store/audit-log.ts';
import { keyspace } from '../../../src/store/redis.ts';
import type { RunRecord } from '../../../src/store/run-record.ts';
import { RunStore, newRunId } from '../../../src/store/run-store.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';

const redis = testRedis();
const prefix = uniquePrefix('runstore');
const keys = keyspace(prefix);
const store = new RunStore(redis, keys);
const audit = new AuditLog(redis, keys);

const makeRun = (over: Partial<RunRecord> = {}): RunRecord => {
  const now = Date.now();
  return {
    v: 1, id: newRunId(now), pipeline: 'p1', period: '2026-07', engine: 'databricks', side: 'target', env: 'dev', params: {},
    requestedBy: 'U1', channel: 'C1', state: 'queued', tasks: [], failures: [], createdAt: now, updatedAt: now, version: 1, repairs: 0, ...over,
  };
};

afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

describe('RunStore', () => {
  let run: RunRecord;
  beforeAll(async () => {
    run = makeRun();
    await store.create(run, { actor: 'U1', action: 'run.created' });
  });

  it('makes ids that BullMQ accepts as job ids', () => {
    const id = newRunId();
    expect(id).toMatch(/^r-[a-z0-9]+-[a-f0-9]{6}$/);
    expect(id).not.toContain(':');
  });

  it('refuses to create the same run twice', async () => {
    await expect(store.create(run, { actor: 'U1', action: 'run.created' })).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it('records each change with before/after in the audit stream, atomically with the state counts', async () => {
    await store.update(run.id, (r) => ({ ...r, state: 'running', externalId: '42' }), { actor: 'cutover', action: 'run.state' });
    const events = await audit.latest('p1', 5);
    expect(events[0]).toMatchObject({ action: 'run.state', subject: run.id, before: { state: 'queued' }, after: { state: 'running', externalId: '42' } });
    expect(events[1]).toMatchObject({ action: 'run.created', actor: 'U1', after: { state: 'queued' } });
    const counts = await store.countsByState();
    expect(counts.running).toBeGreaterThanOrEqual(1);
    expect(counts.queued).toBe(0);
  });

  it('leaves the run untouched (and writes no audit) when the mutation returns undefined', async () => {
    const before = await store.require(run.id);
    const after = await store.update(run.id, () => undefined, { actor: 'x', action: 'noop' });
    expect(after.version).toBe(before.version);
    expect((await audit.latest('p1', 1))[0]!.action).not.toBe('noop');
  });

  it("stamps a written run with the next version and the store's clock", async () => {
    const clocked = new RunStore(redis, keys, () => 1_234_567);
    const before = await clocked.require(run.id);
    const after = await clocked.update(run.id, (r) => ({ ...r, stateMessage: 'stamped', version: 999, updatedAt: 0 }), { actor: 'x', action: 'stamp' });
    expect(after).toMatchObject({ version: before.version + 1, updatedAt: 1_234_567, stateMessage: 'stamped' });
    expect(await clocked.require(run.id)).toEqual(after);
  });

  it('applies 50 concurrent updates exactly once each (compare-and-set, no lost update)', async () => {
    const r = makeRun();
    await store.create(r, { actor: 'U1', action: 'run.created' });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.update(r.id, (x) => ({ ...x, params: { ...x.params, [`k${i}`]: String(i) } }), { actor: 'U1', action: 'param' }),
      ),
    );
    const final = await store.require(r.id);
    expect(Object.keys(final.params)).toHaveLength(50);
    expect(final.version).toBe(51);
  });

  it('lists a pipeline’s runs newest first', async () => {
    const older = makeRun({ pipeline: 'p2', createdAt: 1000 });
    const newer = makeRun({ pipeline: 'p2', createdAt: 2000 });
    await store.create(older, { actor: 'U1', action: 'run.created' });
    await store.create(newer, { actor: 'U1', action: 'run.created' });
    expect((await store.listByPipeline('p2')).map((r) => r.id)).toEqual([newer.id, older.id]);
  });

  it('reads the whole audit trail in pages, oldest first', async () => {
    for (let i = 0; i < 7; i++) await audit.append({ at: i, actor: 'U1', pipeline: 'p3', action: 'x', subject: String(i) });
    const all = [];
    for await (const e of audit.all('p3', 3)) all.push(e.subject);
    expect(all).toEqual(['0', '1', '2', '3', '4', '5', '6']);
  });
});
