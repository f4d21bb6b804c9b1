import { UnrecoverableError, type Job } from 'bullmq';
import { ApiError } from '../errors.ts';
import { isTerminal } from '../engines/types.ts';
import type { RunRecord } from '../store/run-record.ts';
import type { JobDeps } from './job-deps.ts';
import { runEngine } from './run-engine.ts';
import { onRunEnded } from './run-ended.ts';

/**
 * Cancels a run. The request itself is already on the run (`cancelRequest`, written before
 * this job was enqueued), which is what makes a cancel that races a submit safe (issue 14
 * finding 7): before the engine has the run, it is marked cancelled and the submit job, which
 * checks the state first, starts nothing; while it is being submitted, there is nothing to do
 * here, because the submit job sees the request when it records the engine's id and cancels
 * the run it just started. Engines cancel asynchronously, so the poll job reports `cancelled`.
 */
export async function cancelRun(deps: JobDeps, job: Job<{ runId: string; by: string }>, signal?: AbortSignal): Promise<void> {
  const { runs } = deps;
  const run = await runs.require(job.data.runId);
  if (isTerminal(run.state) && run.repairs === 0) return;
  if (run.state === 'queued') {
    // Lost the race to the submit job or not, nothing more to do: it has the request and cancels what it starts.
    await cancelBeforeStart(deps, run.id, job.data.by);
    return;
  }
  if (!run.externalId) return; // being submitted: the submit job cancels it (see above)
  await sendCancel(deps, run, job.data.by, signal);
}

/** Marks a run that the engine never got as cancelled, if it still is `queued`; returns the run as it is now. */
export async function cancelBeforeStart(deps: JobDeps, runId: string, by: string): Promise<RunRecord> {
  const ended = await deps.runs.update(
    runId,
    (r) => (r.state === 'queued' ? { ...r, state: 'cancelled', endedAt: deps.now(), stateMessage: `cancelled by <@${by}> before it started` } : undefined),
    { actor: by, action: 'run.cancel' },
  );
  if (ended.state === 'cancelled') {
    await deps.queues.status(runId, { immediate: true });
    await onRunEnded(deps, ended);
  }
  return ended;
}

/**
 * Asks the engine to cancel a run it has. Idempotent on every engine (cancelling a cancelled
 * run is accepted), so the submit job and the cancel job may both send it.
 */
export async function sendCancel(deps: JobDeps, run: RunRecord, by: string, signal?: AbortSignal): Promise<void> {
  const engine = runEngine(deps, run.pipeline, run.engine);
  if (!engine) throw new UnrecoverableError(`engine ${run.engine} not configured`);
  await engine.cancel(run.externalId!, signal).catch((err) => {
    if (err instanceof ApiError && !err.retryable) throw new UnrecoverableError(`${err.apiCode ?? 'error'}: ${err.message}`);
    throw err;
  });
  await deps.audit.append({ at: deps.now(), actor: by, pipeline: run.pipeline, action: 'run.cancel-sent', subject: run.id });
}
