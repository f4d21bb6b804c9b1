import { createHash } from 'node:crypto';
import type { EngineName } from '../config/catalog-schema.ts';
import { isTerminal, type RunState } from '../engines/types.ts';
import type { MessageRef, RunEnv } from './run-record.ts';

/**
 * Where one period of a backfill stands. `waiting`: not started yet; `started`: its run exists
 * (or is about to) and has not ended; then the run's own end state; `skipped`: never started
 * because an earlier failure stopped the backfill.
 */
export type PeriodStatus = 'waiting' | 'started' | 'succeeded' | 'failed' | 'cancelled' | 'timed_out' | 'skipped';

/** `running` until no period is waiting or started; then the worst outcome among the periods. */
export type BackfillState = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface BackfillPeriod {
  period: string;
  status: PeriodStatus;
  /** The current attempt's run, set in the same write that starts the period. */
  runId?: string;
  /** Runs of earlier attempts, oldest first. */
  earlierRunIds: string[];
}

/** A backfill: one ordinary run per month, at most `concurrency` at a time, oldest first. */
export interface BackfillRecord {
  v: 1;
  /** `b-<time36>-<hex>`: never all digits, no colons (BullMQ job-id rules). */
  id: string;
  pipeline: string;
  from: string;
  to: string;
  side: 'legacy' | 'target';
  engine: EngineName;
  env: RunEnv;
  concurrency: number;
  continueOnFailure: boolean;
  requestedBy: string;
  channel: string;
  /** Oldest first. */
  periods: BackfillPeriod[];
  state: BackfillState;
  /** Why waiting periods were skipped, e.g. `2026-03 failed`. */
  stoppedReason?: string;
  cancelledBy?: { user: string; at: number };
  /** Times someone clicked Retry failed periods and something was retried. */
  retries: number;
  createdAt: number;
  endedAt?: number;
  updatedAt: number;
  version: number;
  /** The one parent message in the pipeline channel; period runs' alerts are replies to it. */
  message?: MessageRef;
}

/** Every month from `from` to `to`, both included, as YYYY-MM. */
export function periodsBetween(from: string, to: string): string[] {
  const [fy, fm] = from.split('-').map(Number) as [number, number];
  const [ty, tm] = to.split('-').map(Number) as [number, number];
  const out: string[] = [];
  for (let i = fy * 12 + fm - 1; i <= ty * 12 + tm - 1; i++) out.push(`${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);
  return out;
}

/**
 * The run id of a period's attempt: derived from the backfill, the period and the attempt,
 * and different from every id the backfill already holds (a salt on the rare hash clash).
 * It looks like any run id (`r-<time36>-<6 hex>`), so `/pipeline status` and `cancel` take it.
 */
export function periodRunId(b: Pick<BackfillRecord, 'id' | 'createdAt' | 'periods'>, period: string, attempt: number): string {
  const taken = new Set(b.periods.flatMap((p) => [...p.earlierRunIds, ...(p.runId ? [p.runId] : [])]));
  for (let salt = 0; ; salt++) {
    const hex = createHash('sha256').update(`${b.id}|${period}|${attempt}|${salt}`).digest('hex').slice(0, 6);
    const id = `r-${b.createdAt.toString(36)}-${hex}`;
    if (!taken.has(id)) return id;
  }
}

const FAILED: ReadonlySet<PeriodStatus> = new Set(['failed', 'timed_out']);
/** What Retry failed periods starts again. */
export const RETRYABLE: ReadonlySet<PeriodStatus> = new Set(['failed', 'timed_out', 'cancelled', 'skipped']);

/**
 * The next state of a backfill given the current state of its runs (read after the record):
 * period statuses follow their runs, the first failure skips the waiting periods (unless
 * `continueOnFailure`), and the oldest waiting periods start while fewer than `concurrency`
 * are started. Pure; undefined when nothing changes.
 */
export function planAdvance(b: BackfillRecord, runs: ReadonlyMap<string, { state: RunState }>, now: number): BackfillRecord | undefined {
  const next: BackfillRecord = structuredClone(b);
  for (const p of next.periods) {
    const run = p.runId ? runs.get(p.runId) : undefined;
    if (!run || p.status === 'waiting' || p.status === 'skipped') continue;
    // A repaired run goes back to running, and so does its period.
    p.status = isTerminal(run.state) ? (run.state as PeriodStatus) : 'started';
  }
  const failed = next.periods.find((p) => FAILED.has(p.status));
  const waiting = next.periods.filter((p) => p.status === 'waiting');
  if (failed && !next.continueOnFailure && waiting.length > 0) {
    for (const p of waiting) p.status = 'skipped';
    next.stoppedReason = `${failed.period} ${failed.status}`;
  }
  let free = next.concurrency - next.periods.filter((p) => p.status === 'started').length;
  for (const p of next.periods) {
    if (free <= 0) break;
    if (p.status !== 'waiting') continue;
    p.runId = periodRunId(next, p.period, p.earlierRunIds.length + 1);
    p.status = 'started';
    free--;
  }
  const state = overallState(next.periods);
  next.state = state;
  next.endedAt = state === 'running' ? undefined : (b.endedAt ?? now);
  if (next.endedAt === undefined) delete next.endedAt;
  return JSON.stringify(next) === JSON.stringify(b) ? undefined : next;
}

export function overallState(periods: BackfillPeriod[]): BackfillState {
  if (periods.some((p) => p.status === 'waiting' || p.status === 'started')) return 'running';
  if (periods.some((p) => FAILED.has(p.status))) return 'failed';
  return periods.every((p) => p.status === 'succeeded') ? 'succeeded' : 'cancelled';
}

/** Cancel remaining: waiting periods will not start. Undefined when nothing is left to cancel. */
export function cancelWaiting(b: BackfillRecord, user: string, now: number): BackfillRecord | undefined {
  if (!b.periods.some((p) => p.status === 'waiting' || p.status === 'started')) return undefined;
  const next = structuredClone(b);
  for (const p of next.periods) if (p.status === 'waiting') p.status = 'cancelled';
  next.cancelledBy = { user, at: now };
  return next;
}

/**
 * Retry failed periods: failed, timed-out and cancelled periods get a new attempt, and the
 * periods a failure skipped are resumed; all wait for a slot under the same concurrency rule.
 */
export function retryFailed(b: BackfillRecord): BackfillRecord | undefined {
  if (!b.periods.some((p) => RETRYABLE.has(p.status))) return undefined;
  const next = structuredClone(b);
  for (const p of next.periods) {
    if (!RETRYABLE.has(p.status)) continue;
    if (p.runId) p.earlierRunIds.push(p.runId);
    delete p.runId;
    p.status = 'waiting';
  }
  next.state = 'running';
  next.retries += 1;
  delete next.stoppedReason;
  delete next.cancelledBy;
  delete next.endedAt;
  return next;
}
