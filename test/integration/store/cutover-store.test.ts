import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { AuditLog, type StoredAuditEvent } from '../../../src/store/audit-log.ts';
import { CutoverStore, type NewRequest } from '../../../src/store/cutover-store.ts';
import { keyspace } from '../../../src/store/redis.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';

const redis = testRedis();
const prefix = uniquePrefix('cutover');
const keys = keyspace(prefix);
const store = new CutoverStore(redis, keys);
const audit = new AuditLog(redis, keys);
const T0 = Date.UTC(2024, 5, 1);
let pipeline = '';
let n = 0;

const request = (over: Partial<NewRequest> = {}): NewRequest => ({
  pipeline, step: 'switch-primary', kind: 'execute', requestedBy: 'U0ALICE', requestedByName: 'alice',
  planVersion: 'v1aaaa', min: 2, ttlHours: 24, actions: [{ 'databricks.schedule': 'UNPAUSED' }, { stage: 'live' }], ...over,
});

/** Audit events of the test's pipeline, oldest first. */
async function events(): Promise<StoredAuditEvent[]> {
  const all: StoredAuditEvent[] = [];
  for await (const e of audit.all(pipeline)) all.push(e);
  return all;
}

beforeEach(() => {
  pipeline = `pipe-${++n}`;
});

afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

describe('CutoverStore requests', () => {
  it('opens a request: step awaiting_approval, pending lists, one cutover.request event', async () => {
    const res = await store.createRequest(request(), T0);
    expect(res.outcome).toBe('created');
    if (res.outcome !== 'created') return;
    expect(res.request).toMatchObject({ pipeline, step: 'switch-primary', kind: 'execute', state: 'pending', min: 2, approvals: [], createdAt: T0, expiresAt: T0 + 24 * 3_600_000, requestedByName: 'alice' });
    expect(res.request.id).toMatch(/^c-[a-z0-9]+-[a-f0-9]{6}$/);
    expect(await store.getStep(pipeline, 'switch-primary')).toMatchObject({ state: 'awaiting_approval', requestId: res.request.id, requestKind: 'execute', idleState: 'ready', planVersion: 'v1aaaa' });
    expect((await store.pendingRequests(pipeline)).map((r) => r.id)).toEqual([res.request.id]);
    expect((await store.pendingRequestsAll()).map((r) => r.id)).toContain(res.request.id);
    expect(await events()).toMatchObject([
      { at: T0, pipeline, action: 'cutover.request', actor: 'U0ALICE', actorName: 'alice', subject: 'switch-primary', before: { state: 'ready' }, after: { state: 'awaiting_approval' },
        detail: { requestId: res.request.id, kind: 'execute', planVersion: 'v1aaaa', min: 2, expiresAt: T0 + 24 * 3_600_000 } },
    ]);
  });

  it('refuses a second request while one is pending, and a request from a state the kind cannot start from', async () => {
    const first = await store.createRequest(request(), T0);
    const second = await store.createRequest(request({ requestedBy: 'U0DAVE' }), T0 + 1000);
    expect(second).toMatchObject({ outcome: 'pending', request: { id: first.outcome === 'created' ? first.request.id : '' } });
    const rollback = await store.createRequest(request({ step: 'other', kind: 'rollback' }), T0);
    expect(rollback).toEqual({ outcome: 'state', state: 'ready' });
    expect((await events()).map((e) => e.action)).toEqual(['cutover.request']);
  });

  it('only one of many concurrent requests for a step is created', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.createRequest(request({ requestedBy: `U0R${i}` }), T0)));
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'pending')).toHaveLength(9);
    expect(await events()).toHaveLength(1);
  });

  it('expires a stale pending request when a new one is made, audited once', async () => {
    const first = await store.createRequest(request({ ttlHours: 1 }), T0);
    const second = await store.createRequest(request(), T0 + 2 * 3_600_000);
    expect(second.outcome).toBe('created');
    const old = await store.requireRequest(first.outcome === 'created' ? first.request.id : '');
    expect(old.state).toBe('expired');
    expect((await events()).map((e) => [e.action, e.actor])).toEqual([
      ['cutover.request', 'U0ALICE'],
      ['cutover.expire', 'cutover'],
      ['cutover.request', 'U0ALICE'],
    ]);
  });
});

describe('CutoverStore approvals', () => {
  async function open(over: Partial<NewRequest> = {}) {
    const res = await store.createRequest(request(over), T0);
    if (res.outcome !== 'created') throw new Error(`not created: ${res.outcome}`);
    return res.request;
  }

  it('refuses the requester and a second approval by the same person, counts distinct ones, then approves', async () => {
    const r = await open();
    expect((await store.approve(r.id, 'U0ALICE', 'alice', 'v1aaaa', T0 + 1)).outcome).toBe('own-request');
    const bob = await store.approve(r.id, 'U0BOB', 'bob', 'v1aaaa', T0 + 2);
    expect(bob.outcome).toBe('counted');
    expect(bob.request.approvals).toEqual([{ user: 'U0BOB', name: 'bob', at: T0 + 2 }]);
    expect((await store.approve(r.id, 'U0BOB', 'bob', 'v1aaaa', T0 + 3)).outcome).toBe('duplicate');
    const carol = await store.approve(r.id, 'U0CAROL', undefined, 'v1aaaa', T0 + 4);
    expect(carol.outcome).toBe('approved');
    expect(carol.request).toMatchObject({ state: 'approved', decidedAt: T0 + 4, approvals: [{ user: 'U0BOB' }, { user: 'U0CAROL', at: T0 + 4 }] });
    expect((await store.approve(r.id, 'U0DAVE', 'dave', 'v1aaaa', T0 + 5)).outcome).toBe('decided');
    expect(await store.getStep(pipeline, 'switch-primary')).toMatchObject({ state: 'approved', requestId: r.id });
    expect(await store.pendingRequests(pipeline)).toEqual([]);
    expect((await events()).map((e) => [e.action, e.actor, e.before, e.after])).toEqual([
      ['cutover.request', 'U0ALICE', { state: 'ready' }, { state: 'awaiting_approval' }],
      ['cutover.approve', 'U0BOB', { approvals: 0 }, { approvals: 1 }],
      ['cutover.approve', 'U0CAROL', { approvals: 1 }, { approvals: 2 }],
      ['cutover.step', 'U0CAROL', { state: 'awaiting_approval' }, { state: 'approved' }],
    ]);
    expect((await events())[3]!.detail).toEqual({ requestId: r.id, kind: 'execute', planVersion: 'v1aaaa', approvedBy: ['U0BOB', 'U0CAROL'] });
  });

  it('20 concurrent clicks from 2 approvers on separate connections: 2 counted approvals, one approval of the step', async () => {
    const r = await open();
    const connections: Redis[] = Array.from({ length: 20 }, () => testRedis());
    try {
      const results = await Promise.all(
        connections.map((c, i) => new CutoverStore(c, keys).approve(r.id, i % 2 ? 'U0BOB' : 'U0CAROL', i % 2 ? 'bob' : 'carol', 'v1aaaa', T0 + 10)),
      );
      const outcomes = results.map((x) => x.outcome);
      expect(outcomes.filter((o) => o === 'counted')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'approved')).toHaveLength(1);
      expect(outcomes.every((o) => ['counted', 'approved', 'duplicate', 'decided'].includes(o))).toBe(true);
    } finally {
      for (const c of connections) c.disconnect();
    }
    const final = await store.requireRequest(r.id);
    expect(final.state).toBe('approved');
    expect(final.approvals.map((a) => a.user).sort()).toEqual(['U0BOB', 'U0CAROL']);
    const trail = await events();
    expect(trail.map((e) => e.action)).toEqual(['cutover.request', 'cutover.approve', 'cutover.approve', 'cutover.step']);
    expect(trail.map((e) => e.after)).toEqual([{ state: 'awaiting_approval' }, { approvals: 1 }, { approvals: 2 }, { state: 'approved' }]);
    expect(await store.getStep(pipeline, 'switch-primary')).toMatchObject({ state: 'approved' });
  });

  it('an expired request is refused and marked expired once; the step goes back to where it was', async () => {
    const r = await open({ ttlHours: 1 });
    const late = T0 + 3_600_000;
    expect((await store.approve(r.id, 'U0BOB', 'bob', 'v1aaaa', late)).outcome).toBe('expired');
    const again = await store.approve(r.id, 'U0CAROL', 'carol', 'v1aaaa', late + 1);
    expect(again).toMatchObject({ outcome: 'decided', request: { state: 'expired', decidedAt: late, approvals: [] } });
    expect(await store.getStep(pipeline, 'switch-primary')).toMatchObject({ state: 'ready' });
    expect((await events()).map((e) => [e.action, e.actor])).toEqual([['cutover.request', 'U0ALICE'], ['cutover.expire', 'cutover']]);
    expect(await store.pendingRequestsAll()).not.toContainEqual(expect.objectContaining({ id: r.id }));
  });

  it('a click on a request made for another plan version voids it', async () => {
    const r = await open();
    await store.approve(r.id, 'U0BOB', 'bob', 'v1aaaa', T0 + 1);
    const res = await store.approve(r.id, 'U0CAROL', 'carol', 'v2bbbb', T0 + 2);
    expect(res).toMatchObject({ outcome: 'void', request: { state: 'void', voidedFor: 'v2bbbb', approvals: [{ user: 'U0BOB' }] } });
    expect((await store.approve(r.id, 'U0DAVE', 'dave', 'v2bbbb', T0 + 3)).outcome).toBe('decided');
    const trail = await events();
    expect(trail.map((e) => e.action)).toEqual(['cutover.request', 'cutover.approve', 'cutover.void']);
    expect(trail[2]).toMatchObject({ actor: 'U0CAROL', before: { state: 'awaiting_approval' }, after: { state: 'ready' }, detail: { requestId: r.id, planVersion: 'v1aaaa', currentPlanVersion: 'v2bbbb' } });
    expect(await store.getStep(pipeline, 'switch-primary')).toMatchObject({ state: 'ready' });
  });

  it('voidIfStale leaves a current request alone and voids a stale one', async () => {
    const r = await open();
    expect((await store.voidIfStale(r.id, 'v1aaaa', { actor: 'cutover' }, T0 + 1)).outcome).toBe('current');
    expect((await store.voidIfStale(r.id, 'v9', { actor: 'cutover' }, T0 + 2)).outcome).toBe('void');
  });

  it('a rejection needs a reason, is refused to the requester, and returns the step to idle', async () => {
    const r = await open();
    await expect(store.reject(r.id, 'U0BOB', 'bob', '   ', T0 + 1)).rejects.toMatchObject({ code: 'usage_invalid' });
    expect((await store.reject(r.id, 'U0ALICE', 'alice', 'oops', T0 + 1)).outcome).toBe('own-request');
    const res = await store.reject(r.id, 'U0BOB', 'bob', 'DQ flaky on the last run', T0 + 2);
    expect(res).toMatchObject({ outcome: 'rejected', request: { state: 'rejected', rejection: { user: 'U0BOB', name: 'bob', reason: 'DQ flaky on the last run', at: T0 + 2 } } });
    expect((await store.approve(r.id, 'U0CAROL', 'carol', 'v1aaaa', T0 + 3)).outcome).toBe('decided');
    expect((await events()).map((e) => e.action)).toEqual(['cutover.request', 'cutover.reject']);
    expect((await events())[1]!.detail).toMatchObject({ reason: 'DQ flaky on the last run', requestId: r.id });
    expect(await store.getStep(pipeline, 'switch-primary')).toMatchObject({ state: 'ready' });
  });

  it('expireDue marks only the requests whose time is up', async () => {
    const short = await open({ step: 'a', ttlHours: 1 });
    const long = await open({ step: 'b', ttlHours: 48 });
    const expired = await store.expireDue(T0 + 2 * 3_600_000);
    expect(expired.map((r) => r.id)).toContain(short.id);
    expect(expired.map((r) => r.id)).not.toContain(long.id);
    expect((await store.pendingRequests(pipeline)).map((r) => r.id)).toEqual([long.id]);
  });

  it('throws not_found for an unknown request and keeps the message ref', async () => {
    await expect(store.approve('c-nope-000000', 'U0BOB', 'bob', 'v1', T0)).rejects.toMatchObject({ code: 'not_found' });
    const r = await open();
    expect(await store.setRequestMessage(r.id, { channel: 'C0PIPELINES', ts: '1717200000.000100' })).toBe(true);
    expect((await store.requireRequest(r.id)).message).toEqual({ channel: 'C0PIPELINES', ts: '1717200000.000100' });
    expect(await store.setRequestMessage('c-nope-000000', { channel: 'C', ts: '1' })).toBe(false);
  });
});

describe('CutoverStore step states', () => {
  it('moves approved → executing → failed → (rollback) … → rolled_back with audit and lastError', async () => {
    const res = await store.createRequest(request({ min: 1 }), T0);
    if (res.outcome !== 'created') throw new Error('not created');
    await store.approve(res.request.id, 'U0BOB', 'bob', 'v1aaaa', T0 + 1);
    const who = { actor: 'cutover' };
    expect(await store.setStepState(pipeline, 'switch-primary', ['approved'], 'executing', who, {}, { now: T0 + 2 })).toEqual({ ok: true, before: 'approved' });
    expect(await store.setStepState(pipeline, 'switch-primary', ['approved'], 'executing', who)).toEqual({ ok: false, state: 'executing' });
    const error = { code: 'api_error', message: 'Databricks 503' };
    expect((await store.setStepState(pipeline, 'switch-primary', ['executing'], 'failed', who, { action: 0 }, { error, now: T0 + 3 })).ok).toBe(true);
    expect(await store.getStep(pipeline, 'switch-primary')).toMatchObject({ state: 'failed', lastError: { ...error, at: T0 + 3 } });

    const rb = await store.createRequest(request({ kind: 'rollback', min: 1, requestedBy: 'U0CAROL' }), T0 + 4);
    if (rb.outcome !== 'created') throw new Error('rollback not created');
    expect(await store.getStep(pipeline, 'switch-primary')).toMatchObject({ state: 'awaiting_approval', requestKind: 'rollback', idleState: 'failed' });
    expect((await store.approve(rb.request.id, 'U0BOB', 'bob', 'v1aaaa', T0 + 5)).outcome).toBe('approved');
    await store.setStepState(pipeline, 'switch-primary', ['approved'], 'executing', who, {}, { now: T0 + 6 });
    await store.setStepState(pipeline, 'switch-primary', ['executing'], 'rolled_back', who, {}, { now: T0 + 7 });
    const step = await store.getStep(pipeline, 'switch-primary');
    expect(step).toMatchObject({ state: 'rolled_back', requestKind: 'rollback' });
    expect(step?.lastError).toBeUndefined();
    const steps = (await events()).filter((e) => e.action === 'cutover.step').map((e) => [e.before, e.after]);
    expect(steps).toEqual([
      [{ state: 'awaiting_approval' }, { state: 'approved' }],
      [{ state: 'approved' }, { state: 'executing' }],
      [{ state: 'executing' }, { state: 'failed' }],
      [{ state: 'awaiting_approval' }, { state: 'approved' }],
      [{ state: 'approved' }, { state: 'executing' }],
      [{ state: 'executing' }, { state: 'rolled_back' }],
    ]);
    const failed = (await events()).find((e) => (e.after as { state?: string }).state === 'failed');
    expect(failed?.detail).toMatchObject({ action: 0, error, requestId: res.request.id, kind: 'execute', planVersion: 'v1aaaa' });
  });
});
