import { UnrecoverableError } from 'bullmq';
import { ApiError, asCodedError } from '../errors.ts';
import type { RunRecord } from '../store/run-record.ts';

/**
 * Decides, for an error thrown while talking to an engine, whether BullMQ retries it
 * (rethrown as is) or the run fails now (UnrecoverableError after `onPermanent`).
 */
export async function handleEngineError(err: unknown, onPermanent: (error: NonNullable<RunRecord['error']>) => Promise<void>): Promise<never> {
  const coded = asCodedError(err);
  if (coded.retryable) throw coded;
  const apiCode = coded instanceof ApiError ? coded.apiCode : undefined;
  const status = coded instanceof ApiError && coded.statusCode ? ` (HTTP ${coded.statusCode})` : '';
  await onPermanent({ code: coded.code, apiCode, message: `${apiCode ? `${apiCode}: ` : ''}${coded.message}${status}` });
  throw new UnrecoverableError(coded.message);
}

/** Default of `CUTOVER_RETRY_AFTER_CAP_MS`: the longest wait a server's `Retry-After` can impose. */
export const RETRY_AFTER_CAP_MS = 5 * 60_000;

/**
 * BullMQ backoff for every job: the server's Retry-After when it sent one, but never longer than
 * `retryAfterCapMs` (a proxy answering `Retry-After: 86400`, or an HTTP date years ahead, must not
 * park a run's poll for a day); otherwise exponential from 1 s capped at 5 minutes, with jitter so
 * retries don't arrive in step.
 */
export function backoffFor(attemptsMade: number, err: Error | undefined, retryAfterCapMs = RETRY_AFTER_CAP_MS): number {
  const retryAfter = (err as { retryAfterMs?: number } | undefined)?.retryAfterMs;
  if (retryAfter !== undefined && Number.isFinite(retryAfter)) return Math.min(Math.max(retryAfter, 100), retryAfterCapMs);
  const base = Math.min(1000 * 2 ** Math.max(0, attemptsMade - 1), 5 * 60_000);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}
