import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { SnsAlertJob } from '../handlers/sns/index.ts';

/**
 * Queue names. `engine` carries every call to Databricks/AWS/Airflow; `notify` every call
 * to Slack. Separate queues so a Slack rate limit never holds up polling, and vice versa.
 */
export const QUEUE = { engine: 'engine', notify: 'notify', diff: 'diff' } as const;

/**
 * Job payloads are built only by the methods of `Queues` below: plain JSON with a version
 * (STYLE 5), never secrets (job data is stored in clear).
 */
export type ThreadNote =
  | { kind: 'repair-started'; by: string; repair: number }
  | { kind: 'repair-finished'; repair: number }
  | { kind: 'acknowledged'; by: string; at: number }
  | { kind: 'cancel-requested'; by: string }
  | { kind: 'error'; text: string };

/**
 * An API outage must delay work, never drop it: engine jobs retry for days, with a
 * backoff that honours Retry-After (see `backoffFor`).
 */
const ENGINE_JOB_OPTIONS: JobsOptions = {
  attempts: 2000,
  backoff: { type: 'api' },
  removeOnComplete: { age: 24 * 3600, count: 5000 },
  removeOnFail: { age: 14 * 24 * 3600 },
};

const NOTIFY_JOB_OPTIONS: JobsOptions = {
  attempts: 500,
  backoff: { type: 'api' },
  removeOnComplete: { age: 3600, count: 5000 },
  removeOnFail: { age: 14 * 24 * 3600 },
};

/** Minimum time between two `chat.update`s of one message. */
export const STATUS_UPDATE_INTERVAL_MS = 2000;

export class Queues {
  readonly engine: Queue;
  readonly notify: Queue;
  /** Diffs and DQ checks: CPU- and memory-heavy, so their own queue with low concurrency. */
  readonly diff: Queue;

  constructor(connection: ConnectionOptions, prefix: string) {
    this.engine = new Queue(QUEUE.engine, { connection, prefix, defaultJobOptions: ENGINE_JOB_OPTIONS });
    this.notify = new Queue(QUEUE.notify, { connection, prefix, defaultJobOptions: NOTIFY_JOB_OPTIONS });
    this.diff = new Queue(QUEUE.diff, { connection, prefix, defaultJobOptions: ENGINE_JOB_OPTIONS });
  }

  /** A run of a parallel run ended: see whether both have. One job per run end. */
  advanceParallel(parallelId: string, runId: string) {
    return this.diff.add('parallel-advance', { v: 1, parallelId }, { jobId: `padv-${parallelId}-${runId}` });
  }

  /** The diffs and DQ of a parallel run: exactly one job per parallel run. */
  diffParallel(parallelId: string) {
    return this.diff.add('parallel-diff', { v: 1, parallelId }, { jobId: `pdiff-${parallelId}` });
  }

  parallelStatus(parallelId: string, { immediate = false } = {}) {
    return this.notify.add(
      'parallel-status',
      { v: 1, parallelId },
      { deduplication: { id: `pstatus-${parallelId}`, ttl: immediate ? 250 : STATUS_UPDATE_INTERVAL_MS }, delay: immediate ? 0 : STATUS_UPDATE_INTERVAL_MS },
    );
  }

  /** The per-output details and report files, posted once per parallel run. */
  parallelDetails(parallelId: string) {
    return this.notify.add('parallel-details', { v: 1, parallelId }, { jobId: `pdetails-${parallelId}` });
  }

  /** Idempotent by job id: submitting the same run twice enqueues one job. */
  submit(runId: string) {
    return this.engine.add('submit', { v: 1, runId }, { jobId: `submit-${runId}` });
  }

  /** One tracking job per run and epoch (each repair starts a new epoch). */
  poll(runId: string, epoch: number, delayMs: number) {
    return this.engine.add('poll', { v: 1, runId, epoch }, { jobId: `poll-${runId}-${epoch}`, delay: delayMs });
  }

  cancel(runId: string, by: string) {
    return this.engine.add('cancel', { v: 1, runId, by }, { jobId: `cancel-${runId}-${Date.now()}` });
  }

  /** One repair per run and repair number, so a double click repairs once. */
  repair(runId: string, by: string, repairNumber: number) {
    return this.engine.add('repair', { v: 1, runId, by }, { jobId: `repair-${runId}-${repairNumber}` });
  }

  /**
   * Asks for the status message to be re-rendered. Coalesced: while one request is waiting,
   * more are dropped (BullMQ deduplication); the job reads the latest run when it runs and
   * re-enqueues itself if the run changed meanwhile, so the final state is always delivered.
   */
  status(runId: string, { immediate = false } = {}) {
    return this.notify.add(
      'status',
      { v: 1, runId },
      {
        deduplication: { id: `status-${runId}`, ttl: immediate ? 250 : STATUS_UPDATE_INTERVAL_MS },
        delay: immediate ? 0 : STATUS_UPDATE_INTERVAL_MS,
      },
    );
  }

  /** A verified SNS notification for a pipeline; one job per SNS MessageId. */
  snsAlert(alert: SnsAlertJob) {
    return this.notify.add('sns-alert', { v: 1, alert }, { jobId: `sns-${alert.messageId.replace(/:/g, '-')}` });
  }

  threadNote(runId: string, note: ThreadNote, jobId: string) {
    return this.notify.add('thread-note', { v: 1, runId, note }, { jobId });
  }

  async close(): Promise<void> {
    await Promise.all([this.engine.close(), this.notify.close(), this.diff.close()]);
  }
}
