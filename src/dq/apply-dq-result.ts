import type { DqAlertRecord, DqEvent, DqSource, FailingCheck, NumberedDqEvent } from '../store/dq-alert-record.ts';
import type { MessageRef } from '../store/run-record.ts';

/** One evaluation of a pipeline's checks for a period, from whatever ran them. */
export interface DqResultInput {
  passed: boolean;
  total: number;
  failing: FailingCheck[];
  source: DqSource;
  runId?: string;
  /** The status message of the run that was checked, if it has one. */
  anchor?: MessageRef;
  /** `source: 'sns'`: the topic it came in on (only `alerts.trustedTopics` count for gates). */
  topicArn?: string;
  now: number;
}

export type DqPublish = 'dq.failed' | 'dq.recovered';

/** Events kept on the record (the audit stream keeps them all). */
const EVENTS_KEPT = 20;

/** A record for a pipeline and period that has never been checked; `version: 0` means not stored yet. */
export function emptyDqAlert(pipeline: string, period: string, channel: string, now: number): DqAlertRecord {
  return { v: 1, pipeline, period, channel, state: 'passing', failing: [], total: 0, evaluations: 0, lastSource: 'run', lastCheckedAt: now, seq: 0, notedSeq: 0, events: [], createdAt: now, updatedAt: now, version: 0 };
}

/** `output: check`, the identity of a failure: the same failures again are not news. */
export const failureLabel = (f: Pick<FailingCheck, 'output' | 'check'>): string => `${f.output}: ${f.check}`;

/**
 * The state machine of a DQ alert (issue 4). A first failure opens the thread; the same
 * failures again only refresh the summary; a different set of failures is a change; a pass
 * after failures resolves it; a failure after that reopens it (and clears the
 * acknowledgement, which was for the earlier failure). Returns the next record, the event to
 * announce (if any) and what to publish to SNS (muted alerts publish recoveries only).
 */
export function applyDqResult(cur: DqAlertRecord, r: DqResultInput): { next: DqAlertRecord; event?: NumberedDqEvent; publish?: DqPublish } {
  const base: DqAlertRecord = {
    ...cur,
    failing: r.failing,
    total: r.total,
    evaluations: cur.evaluations + 1,
    lastSource: r.source,
    lastRunId: r.runId ?? cur.lastRunId,
    lastCheckedAt: r.now,
    // The thread stays where it was first opened; before that, the newest status message is its home.
    anchor: cur.summary ? cur.anchor : (r.anchor ?? cur.anchor),
  };
  const muted = Boolean(cur.mutedBy);
  if (r.passed) {
    if (cur.state !== 'failing') return { next: { ...base, failing: [] } };
    return withEvent({ ...base, failing: [], state: 'resolved', resolvedAt: r.now }, { kind: 'resolved', at: r.now }, 'dq.recovered');
  }
  if (cur.state !== 'failing') {
    const reopened = cur.state === 'resolved';
    const next: DqAlertRecord = { ...base, state: 'failing', failingSince: r.now, resolvedAt: undefined, acknowledgedBy: reopened ? undefined : cur.acknowledgedBy };
    return withEvent(next, { kind: reopened ? 'reopened' : 'opened', at: r.now }, muted ? undefined : 'dq.failed');
  }
  // An alert stored before missing data was its own outcome may hold only "no data" failures: real
  // findings after it start their own "failing since", never inherit the not-found one's (issue 15 item 5).
  if (cur.failing.length > 0 && cur.failing.every(isMissingDataFailure) && !r.failing.every(isMissingDataFailure)) {
    // Every real finding is new, even on a check that earlier only said its data was missing.
    const added = r.failing.filter((f) => !isMissingDataFailure(f)).map(failureLabel);
    const removed = cur.failing.map(failureLabel).filter((l) => !r.failing.some((f) => failureLabel(f) === l));
    return withEvent({ ...base, failingSince: r.now }, { kind: 'changed', at: r.now, added, removed }, added.length > 0 && !muted ? 'dq.failed' : undefined);
  }
  const before = new Set(cur.failing.map(failureLabel));
  const after = new Set(r.failing.map(failureLabel));
  const added = [...after].filter((l) => !before.has(l));
  const removed = [...before].filter((l) => !after.has(l));
  if (added.length === 0 && removed.length === 0) return { next: base };
  return withEvent(base, { kind: 'changed', at: r.now, added, removed }, added.length > 0 && !muted ? 'dq.failed' : undefined);
}

/**
 * A failure that only said the data was not there: today's wording (`no target data for …`) and
 * the readers' own (`dataset not found: …`, `no parquet files under …`) kept by older records.
 */
export function isMissingDataFailure(f: Pick<FailingCheck, 'error' | 'failingRows'>): boolean {
  return f.failingRows === 0 && f.error !== undefined && /^(no (target|legacy) data for |dataset not found: |no \w+ files under )/.test(f.error);
}

/** Records an event on the alert: numbered, kept (the last few), to be posted by the notifier. */
export function withEvent(next: DqAlertRecord, event: DqEvent, publish?: DqPublish): { next: DqAlertRecord; event: NumberedDqEvent; publish?: DqPublish } {
  const numbered: NumberedDqEvent = { ...event, seq: next.seq + 1 };
  const events = [...next.events, numbered].slice(-EVENTS_KEPT);
  return { next: { ...next, seq: numbered.seq, events }, event: numbered, publish };
}

/**
 * Whether an event gets its own reply in the thread. The opening is the summary itself;
 * a muted alert stays quiet about failures but still says it recovered.
 */
export function postsNote(alert: Pick<DqAlertRecord, 'mutedBy'>, event: NumberedDqEvent): boolean {
  if (event.kind === 'opened') return false;
  if (alert.mutedBy && (event.kind === 'changed' || event.kind === 'reopened' || event.kind === 'reminder')) return false;
  return true;
}
