import { describe, expect, it } from 'vitest';
import { applyDqResult, emptyDqAlert, postsNote, withEvent } from '../../../src/dq/apply-dq-result.ts';
import type { DqAlertRecord, FailingCheck } from '../../../src/store/dq-alert-record.ts';

const NULLS: FailingCheck = { output: 'customers', check: 'not_null(customer_id)', failingRows: 1 };
const RANGE: FailingCheck = { output: 'customers', check: 'range(revenue >= 0)', failingRows: 2 };
const fresh = () => emptyDqAlert('p', '2026-09', 'C0X', 0);
const fail = (cur: DqAlertRecord, failing: FailingCheck[], now = 1) => applyDqResult(cur, { passed: false, total: 3, failing, source: 'run', now });
const pass = (cur: DqAlertRecord, now = 2) => applyDqResult(cur, { passed: true, total: 3, failing: [], source: 'command', now });

describe('applyDqResult', () => {
  it('"failing since" is not carried over from a not-found failure an older record kept (issue 15 item 5)', () => {
    const notFound: FailingCheck = { output: 'customers', check: 'not_null(customer_id)', failingRows: 0, error: 'dataset not found: s3://b/customers/2026-09/' };
    const opened = fail(fresh(), [notFound], 1).next;
    expect(opened.failingSince).toBe(1);
    const real = fail(opened, [NULLS], 50);
    expect(real.next).toMatchObject({ state: 'failing', failingSince: 50 });
    // The same check with a real finding is news, not a repeat of the not-found one.
    expect(real.event).toMatchObject({ kind: 'changed' });
    expect(real.publish).toBe('dq.failed');
    // A real failure that stays keeps its own start.
    expect(fail(real.next, [NULLS], 90).next.failingSince).toBe(50);
  });

  it('a pass with no earlier failure is no news', () => {
    const out = pass(fresh());
    expect(out.next.state).toBe('passing');
    expect(out.event).toBeUndefined();
    expect(out.publish).toBeUndefined();
  });

  it('a first failure opens the alert and publishes', () => {
    const out = fail(fresh(), [NULLS, RANGE]);
    expect(out.next).toMatchObject({ state: 'failing', failingSince: 1, seq: 1, evaluations: 1 });
    expect(out.event).toMatchObject({ kind: 'opened', seq: 1 });
    expect(out.publish).toBe('dq.failed');
  });

  it('the same failures again only refresh the record, even with other row counts', () => {
    const opened = fail(fresh(), [NULLS, RANGE]).next;
    const again = fail(opened, [{ ...NULLS, failingRows: 9 }, RANGE], 5);
    expect(again.event).toBeUndefined();
    expect(again.publish).toBeUndefined();
    expect(again.next).toMatchObject({ state: 'failing', seq: 1, evaluations: 2, failingSince: 1, lastCheckedAt: 5 });
    expect(again.next.failing[0]!.failingRows).toBe(9);
  });

  it('a different set of failures is a change naming what was added and removed', () => {
    const opened = fail(fresh(), [NULLS]).next;
    const out = fail(opened, [RANGE]);
    expect(out.event).toMatchObject({ kind: 'changed', added: ['customers: range(revenue >= 0)'], removed: ['customers: not_null(customer_id)'] });
    expect(out.publish).toBe('dq.failed');
    // Fewer failures only: a change, but nothing new to page about.
    expect(fail(fail(fresh(), [NULLS, RANGE]).next, [NULLS]).publish).toBeUndefined();
  });

  it('a pass after failures resolves; a failure after that reopens and clears the acknowledgement', () => {
    const opened = fail(fresh(), [NULLS]).next;
    const acked = { ...opened, acknowledgedBy: { user: 'U0BOB', at: 1 } };
    const resolved = pass(acked);
    expect(resolved.next).toMatchObject({ state: 'resolved', resolvedAt: 2, failing: [] });
    expect(resolved.event?.kind).toBe('resolved');
    expect(resolved.publish).toBe('dq.recovered');
    expect(pass(resolved.next).event).toBeUndefined();
    const reopened = fail(resolved.next, [NULLS], 3);
    expect(reopened.event?.kind).toBe('reopened');
    expect(reopened.next.acknowledgedBy).toBeUndefined();
    expect(reopened.next.failingSince).toBe(3);
  });

  it('a muted alert publishes recoveries but not failures', () => {
    const opened = fail(fresh(), [NULLS]).next;
    const muted = { ...opened, mutedBy: { user: 'U0BOB', at: 1 } };
    expect(fail(muted, [NULLS, RANGE]).publish).toBeUndefined();
    const resolved = pass(muted);
    expect(resolved.publish).toBe('dq.recovered');
    expect(fail(resolved.next, [NULLS]).publish).toBeUndefined();
  });

  it('keeps the thread where it was first opened', () => {
    const a = { channel: 'C0X', ts: '1.1' };
    const b = { channel: 'C0X', ts: '2.2' };
    const opened = applyDqResult(fresh(), { passed: false, total: 1, failing: [NULLS], source: 'run', anchor: a, now: 1 }).next;
    const posted = { ...opened, summary: { channel: 'C0X', ts: '1.5' } };
    expect(applyDqResult(posted, { passed: false, total: 1, failing: [NULLS], source: 'run', anchor: b, now: 2 }).next.anchor).toEqual(a);
  });
});

describe('postsNote', () => {
  const alert = fail(fresh(), [NULLS]).next;
  it('the opening is the summary itself, not a note', () => {
    expect(postsNote(alert, { kind: 'opened', at: 1, seq: 1 })).toBe(false);
    expect(postsNote(alert, { kind: 'resolved', at: 1, seq: 2 })).toBe(true);
  });
  it('a muted alert stays quiet about failures and reminders, not about recovery', () => {
    const muted = { ...alert, mutedBy: { user: 'U0BOB', at: 1 } };
    expect(postsNote(muted, { kind: 'changed', at: 1, seq: 2, added: ['x'], removed: [] })).toBe(false);
    expect(postsNote(muted, { kind: 'reminder', at: 1, seq: 2, count: 1 })).toBe(false);
    expect(postsNote(muted, { kind: 'resolved', at: 1, seq: 2 })).toBe(true);
  });
  it('events are numbered in order and only the last few are kept', () => {
    let a = alert;
    for (let i = 0; i < 30; i++) a = withEvent(a, { kind: 'reminder', at: i, count: i }).next;
    expect(a.seq).toBe(31);
    expect(a.events).toHaveLength(20);
    expect(a.events.at(-1)!.seq).toBe(31);
  });
});
