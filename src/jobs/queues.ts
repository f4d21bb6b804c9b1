import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { AlertFacts } from '../alerts/build-sns-alert.ts';
import type { SnsAlertJob } from '../handlers/sns/index.ts';
import type { CheckCostJob } from './check-cost.ts';
import type { CheckDqJob } from './check-dq.ts';
import type { AlertLink } from './publish-sns-alert.ts';

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
      { deduplication: { id: `pstatus-${parallelId}`, keepLastIfActive: true }, delay: immediate ? 0 : STATUS_UPDATE_INTERVAL_MS },
    );
  }

  /**
   * Starts what a backfill can start now (src/jobs/advance-backfill.ts). One job per cause (its
   * start, a retry, a cancel, each period run's end), and the job itself is idempotent.
   */
  advanceBackfill(backfillId: string, cause: string) {
    return this.engine.add('backfill-advance', { v: 1, backfillId }, { jobId: `badv-${backfillId}-${cause}` });
  }

  /**
   * Re-renders a backfill's parent message. Coalesced without a time window: while a request
   * waits, more are dropped (it renders the latest state); while one renders, the last one is
   * kept and runs after it (`keepLastIfActive`). A TTL window would also drop a request made
   * just after a render, losing a backfill's last change when its periods end quickly.
   */
  backfillStatus(backfillId: string, { immediate = false } = {}) {
    return this.notify.add(
      'backfill-status',
      { v: 1, backfillId },
      { deduplication: { id: `bstatus-${backfillId}`, keepLastIfActive: true }, delay: immediate ? 0 : STATUS_UPDATE_INTERVAL_MS },
    );
  }

  /** The per-output details and report files, posted once per parallel run. */
  parallelDetails(parallelId: string) {
    return this.notify.add('parallel-details', { v: 1, parallelId }, { jobId: `pdetails-${parallelId}` });
  }

  /** Trims every pipeline's audit stream to `CUTOVER_AUDIT_MAXLEN`, hourly (one scheduler per deployment). */
  scheduleAuditTrim(everyMs = 3600_000) {
    return this.notify.upsertJobScheduler('audit-trim', { every: everyMs, immediately: true }, { name: 'audit-trim', data: { v: 1 } });
  }

  /** Idempotent by job id: submitting the same run twice enqueues one job. */
  submit(runId: string) {
    return this.engine.add('submit', { v: 1, runId }, { jobId: `submit-${runId}` });
  }

  /** One tracking job per run and epoch (each repair starts a new epoch). */
  poll(runId: string, epoch: number, delayMs: number) {
    return this.engine.add('poll', { v: 1, runId, epoch }, { jobId: `poll-${runId}-${epoch}`, delay: delayMs });
  }

  /** One job per cancel click (`at` is the click's time), so re-enqueuing one at start-up is a no-op. */
  cancel(runId: string, by: string, at: number) {
    return this.engine.add('cancel', { v: 1, runId, by }, { jobId: `cancel-${runId}-${at}` });
  }

  /**
   * One job per repair request (`RunRecord.repairRequest`): a click recorded once is enqueued
   * once however often start-up re-enqueues it, and a new request after a refused one gets a
   * new job (`req`, so no id of the earlier per-repair-count scheme can be met again).
   */
  repair(runId: string, by: string, requestNumber: number) {
    return this.engine.add('repair', { v: 1, runId, by, request: requestNumber }, { jobId: `repair-${runId}-req${requestNumber}` });
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
        // No time window: a TTL would also drop a request made just after a render began,
        // losing the last change; this keeps one waiting and one behind an active render.
        deduplication: { id: `status-${runId}`, keepLastIfActive: true },
        delay: immediate ? 0 : STATUS_UPDATE_INTERVAL_MS,
      },
    );
  }

  /** A verified SNS notification for a pipeline; one job per SNS MessageId. */
  snsAlert(alert: SnsAlertJob) {
    return this.notify.add('sns-alert', { v: 1, alert }, { jobId: `sns-${alert.messageId.replace(/:/g, '-')}` });
  }

  /** DQ checks of a pipeline and period; `jobId` makes a retried trigger run them once. */
  dqCheck(data: CheckDqJob, jobId: string) {
    return this.diff.add('dq-check', { v: 1, ...data }, { jobId });
  }

  /** Renders a DQ alert's thread; one job per alert version, coalesced by the message slot. */
  dqThread(pipeline: string, period: string, version: number) {
    return this.notify.add('dq-thread', { v: 1, pipeline, period }, { jobId: `dqthread-${pipeline}-${period}-${version}` });
  }

  /** `missing`: outputs that had no data (their checks did not run); `checked`: whether any check ran. */
  dqReply(pipeline: string, period: string, to: { user: string; channel: string }, jobId: string, outcome: { missing?: string[]; checked?: boolean } = {}) {
    // A little after the thread job, so the answer can usually link to the thread.
    return this.notify.add('dq-reply', { v: 1, pipeline, period, to, ...outcome }, { jobId, delay: 1000 });
  }

  dqRemind(pipeline: string, period: string, openedSeq: number, count: number, delayMs: number) {
    return this.notify.add('dq-remind', { v: 1, pipeline, period, openedSeq, count }, { jobId: `dqremind-${pipeline}-${period}-${openedSeq}-${count}`, delay: delayMs });
  }

  /**
   * One alert to the SNS topic. Delayed a little so the Slack thread it links to usually
   * exists by then; it is published without the link otherwise, never held back for it.
   */
  snsPublish(facts: AlertFacts, link: AlertLink, jobId: string) {
    return this.engine.add('sns-publish', { v: 1, facts, link }, { jobId, delay: 3000 });
  }

  /** Posts or edits a cutover request's message; one job per change, each renders the latest state. */
  cutoverMessage(requestId: string) {
    return this.notify.add('cutover-message', { v: 1, requestId }, { jobId: `cmsg-${requestId}-${Date.now()}-${Math.random().toString(36).slice(2, 6)}` });
  }

  /** Runs an approved request's actions: exactly one job per request. */
  cutoverExecute(requestId: string) {
    return this.engine.add('cutover-execute', { v: 1, requestId }, { jobId: `cexec-${requestId}` });
  }

  cutoverProgress(requestId: string, version: number) {
    return this.notify.add('cutover-progress', { v: 1, requestId }, { jobId: `cprog-${requestId}-${version}` });
  }

  /** Fires when a request runs out, to take its buttons away. */
  cutoverExpire(requestId: string, delayMs: number) {
    return this.notify.add('cutover-expire', { v: 1, requestId }, { jobId: `cexp-${requestId}`, delay: delayMs + 1000 });
  }

  /** Voids pending requests of a pipeline whose plan version no longer holds. */
  cutoverRevalidate(pipeline: string) {
    return this.notify.add('cutover-revalidate', { v: 1, pipeline }, { deduplication: { id: `crev-${pipeline}`, ttl: 1000 }, delay: 500 });
  }

  /** The whole audit trail of a pipeline as a JSON Lines file, for `/pipeline audit`. */
  auditExport(pipeline: string, to: { user: string; channel: string }, jobId: string) {
    return this.notify.add('audit-export', { v: 1, pipeline, to }, { jobId });
  }

  /** Measures an ended run's cost; one job per run, repair epoch and attempt (src/jobs/check-cost.ts). */
  costCheck(data: CheckCostJob, delayMs: number) {
    const id = `cost-${data.runId}-${data.epoch}-${data.attempt}${data.settle ? '-settle' : ''}`;
    return this.engine.add('cost-check', { v: 1, ...data }, { jobId: id, delay: Math.max(0, Math.round(delayMs)) });
  }

  /** The `/pipeline history` chart, rendered and sent to the asker privately. */
  historyChart(pipeline: string, to: { user: string }, jobId: string) {
    return this.notify.add('history-chart', { v: 1, pipeline, to }, { jobId });
  }

  /** The go-live report of `/pipeline report`, built and sent to the asker privately. */
  goLiveReport(pipeline: string, to: { user: string }, jobId: string) {
    return this.notify.add('go-live-report', { v: 1, pipeline, to }, { jobId });
  }

  threadNote(runId: string, note: ThreadNote, jobId: string) {
    return this.notify.add('thread-note', { v: 1, runId, note }, { jobId });
  }

  async close(): Promise<void> {
    await Promise.all([this.engine.close(), this.notify.close(), this.diff.close()]);
  }
}
