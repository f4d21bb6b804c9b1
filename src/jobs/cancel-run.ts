import { UnrecoverableError, type Job } from 'bullmq';
import { ApiError } from '../errors.ts';
import { isTerminal } from '../engines/types.ts';
import type { JobDeps } from './job-deps.ts';
import { runEngine } from './run-engine.ts';
import { onRunEnded } from './run-ended.ts';

/**
 * Cancels a run. Before the engine has it, the run is simply marked cancelled (the submit
 * job checks the state first); while it is being submitted, we wait for the engine's id.
 * Engines cancel asynchronously, so the poll job reports the final `cancelled`.
 */
export async function cancelRun(deps: JobDeps, job: Job<{ runId: string; by: string }>, signal?: AbortSignal): Promise<void> {
  const { runs, queues } = deps;
  const who = { actor: job.data.by, action: 'run.cancel' };
  const run = await runs.require(job.data.runId);
  if (isTerminal(run.state) && run.repairs === 0) return;
  if (run.state === 'queued') {
    const ended = await runs.update(run.id, (r) => (r.state === 'queued' ? { ...r, state: 'cancelled', endedAt: deps.now(), stateMessage: `cancelled by <@${job.data.by}> before it started` } : undefined), who);
    await queues.status(run.id, { immediate: true });
    await onRunEnded(deps, ended);
    return;
  }
  if (!run.externalId) {
    throw new ApiError({ service: 'databricks', message: 'run is still being submitted; cancel will retry', retryable: true, retryAfterMs: 1000 });
  }
  const engine = runEngine(deps, run.pipeline, run.engine);
  if (!engine) throw new UnrecoverableError(`engine ${run.engine} not configured`);
  await engine.cancel(run.externalId, signal).catch((err) => {
    if (err instanceof ApiError && !err.retryable) throw new UnrecoverableError(`${err.apiCode ?? 'error'}: ${err.message}`);
    throw err;
  });
  await deps.audit.append({ at: deps.now(), actor: job.data.by, pipeline: run.pipeline, action: 'run.cancel-sent', subject: run.id });
}
