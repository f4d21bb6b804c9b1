import { Worker, type ConnectionOptions, type Job } from 'bullmq';
import { backoffFor, RETRY_AFTER_CAP_MS } from './engine-errors.ts';
import type { JobDeps } from './job-deps.ts';
import { cancelRun } from './cancel-run.ts';
import { notifyStatus } from './notify-status.ts';
import { pollRun } from './poll-run.ts';
import { postThreadNote } from './post-thread-note.ts';
import { QUEUE } from './queues.ts';
import { repairRun } from './repair-run.ts';
import { submitRun } from './submit-run.ts';
import { advanceParallel } from './advance-parallel.ts';
import { advanceBackfill } from './advance-backfill.ts';
import { notifyBackfill } from './notify-backfill.ts';
import { diffParallel } from './diff-parallel.ts';
import { notifyParallel, postParallelDetails } from './notify-parallel.ts';
import { postSnsAlert } from './post-sns-alert.ts';
import { checkDq } from './check-dq.ts';
import { checkCost } from './check-cost.ts';
import { postHistoryChart } from './post-history-chart.ts';
import { postGoLiveReport } from './post-go-live-report.ts';
import { notifyDqThread, remindDq, replyDq } from './notify-dq.ts';
import { publishSnsAlert } from './publish-sns-alert.ts';
import { exportAudit } from './export-audit.ts';
import { executeCutoverStep } from './execute-cutover-step.ts';
import { expireCutoverRequests, notifyCutoverProgress, notifyCutoverRequest, revalidateCutover } from './notify-cutover.ts';

export interface WorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  /** Jobs in flight per worker process and queue; engine jobs are mostly waiting on HTTP. */
  concurrency?: number;
  /** How long a job's lock lasts without renewal; a crashed worker's jobs are taken over after it. Default 30 s. */
  lockDurationMs?: number;
  /** The longest wait a server's `Retry-After` can impose on a retry (`CUTOVER_RETRY_AFTER_CAP_MS`). Default 5 minutes. */
  retryAfterCapMs?: number;
}

/** One processor per job name (STYLE 5); the queue's worker dispatches on `job.name`. */
export function startWorkers(deps: JobDeps, { connection, prefix, concurrency = 8, lockDurationMs = 30_000, retryAfterCapMs = RETRY_AFTER_CAP_MS }: WorkerOptions): Worker[] {
  const settings = { backoffStrategy: (attemptsMade: number, _type?: string, err?: Error) => backoffFor(attemptsMade, err, retryAfterCapMs) };
  // A worker killed mid-job leaves it stalled; allow several stalls before BullMQ gives up on it.
  const common = { connection, prefix, concurrency, settings, maxStalledCount: 10, lockDuration: lockDurationMs, stalledInterval: lockDurationMs };

  const engine = new Worker(
    QUEUE.engine,
    async (job: Job, token?: string, signal?: AbortSignal) => {
      switch (job.name) {
        case 'submit':
          return submitRun(deps, job, signal);
        case 'poll':
          return pollRun(deps, job, token, signal);
        case 'cancel':
          return cancelRun(deps, job, signal);
        case 'repair':
          return repairRun(deps, job, signal);
        case 'backfill-advance':
          return advanceBackfill(deps, job);
        case 'sns-publish':
          return publishSnsAlert(deps, job, signal);
        case 'cutover-execute':
          return executeCutoverStep(deps, job, signal);
        case 'cost-check':
          return checkCost(deps, job, signal);
        default:
          throw new Error(`unknown engine job ${job.name}`);
      }
    },
    common,
  );
  const notify = new Worker(
    QUEUE.notify,
    async (job: Job, token?: string) => {
      switch (job.name) {
        case 'status':
          return notifyStatus(deps, job, token);
        case 'thread-note':
          return postThreadNote(deps, job);
        case 'parallel-status':
          return notifyParallel(deps, job, token);
        case 'backfill-status':
          return notifyBackfill(deps, job, token);
        case 'parallel-details':
          return postParallelDetails(deps, job);
        case 'sns-alert':
          return postSnsAlert(deps, job);
        case 'dq-thread':
          return notifyDqThread(deps, job, token);
        case 'dq-reply':
          return replyDq(deps, job);
        case 'dq-remind':
          return remindDq(deps, job);
        case 'audit-export':
          return exportAudit(deps, job);
        case 'history-chart':
          return postHistoryChart(deps, job);
        case 'go-live-report':
          return postGoLiveReport(deps, job);
        case 'cutover-message':
          return notifyCutoverRequest(deps, job, token);
        case 'cutover-progress':
          return notifyCutoverProgress(deps, job, token);
        case 'audit-trim':
          for (const pipeline of Object.keys(deps.catalog.pipelines)) await deps.audit.trim(pipeline, deps.keys.retention.auditMaxLen);
          return;
        case 'cutover-expire':
          return expireCutoverRequests(deps);
        case 'cutover-revalidate':
          return revalidateCutover(deps, job);
        default:
          throw new Error(`unknown notify job ${job.name}`);
      }
    },
    common,
  );
  // One diff at a time per worker process: DuckDB already uses the cores it is given.
  const diff = new Worker(
    QUEUE.diff,
    async (job: Job, _token?: string, signal?: AbortSignal) => {
      switch (job.name) {
        case 'parallel-advance':
          return advanceParallel(deps, job);
        case 'parallel-diff':
          return diffParallel(deps, job, signal);
        case 'dq-check':
          return checkDq(deps, job, signal);
        default:
          throw new Error(`unknown diff job ${job.name}`);
      }
    },
    { ...common, concurrency: 1 },
  );
  for (const worker of [engine, notify, diff]) {
    worker.on('failed', (job, err) => {
      const final = err.name === 'UnrecoverableError' || (job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1));
      deps.logger[final ? 'error' : 'warn']({ queue: worker.name, job: job?.name, jobId: job?.id, attempts: job?.attemptsMade, err }, final ? 'job failed for good' : 'job failed, will retry');
    });
    worker.on('error', (err) => deps.logger.error({ queue: worker.name, err }, 'worker error'));
  }
  return [engine, notify, diff];
}
