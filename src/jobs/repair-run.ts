import { UnrecoverableError, type Job } from 'bullmq';
import { ApiError } from '../errors.ts';
import type { JobDeps } from './job-deps.ts';
import { runEngine } from './run-engine.ts';
import type { RunCost } from '../cost/types.ts';
import type { RunRecord } from '../store/run-record.ts';

/**
 * Re-runs the failed tasks of a failed run inside the same engine run (Databricks
 * `runs/repair`), then starts a new tracking epoch. Retry-safe: before repairing, the run is
 * read again, and a repair that already happened (a crash after the call) is adopted
 * instead of sending a second one. Each Repair click is a request of its own
 * (`RunRecord.repairRequest`), closed here whatever the outcome, so the next click repairs again.
 */
export async function repairRun(deps: JobDeps, job: Job<{ runId: string; by: string; request?: number }>, signal?: AbortSignal): Promise<void> {
  const { runs } = deps;
  try {
    await repair(deps, job, signal);
  } catch (err) {
    // A request that will never be retried (refused, or out of attempts) is over: the next
    // Repair click must be a new request, not "already under way" forever.
    const final = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (final) await runs.update(job.data.runId, (r) => (isThisRequest(r, job.data.request) ? { ...r, repairRequest: undefined } : undefined), { actor: job.data.by, action: 'run.repair-refused' });
    throw err;
  }
}

/** Whether the run's open repair request is this job's (jobs enqueued before requests had numbers: any). */
const isThisRequest = (run: RunRecord, request: number | undefined) => run.repairRequest !== undefined && (request === undefined || run.repairRequest.n === request);

async function repair(deps: JobDeps, job: Job<{ runId: string; by: string; request?: number }>, signal?: AbortSignal): Promise<void> {
  const { runs, queues } = deps;
  const run = await runs.require(job.data.runId);
  const done = (r: RunRecord) => (isThisRequest(r, job.data.request) ? { ...r, repairRequest: undefined } : undefined);
  if (run.state !== 'failed' || !run.externalId) {
    // Already repaired, or nothing to repair: the request is over either way.
    await runs.update(run.id, done, { actor: job.data.by, action: 'run.repair-skipped' });
    return;
  }
  const engine = runEngine(deps, run.pipeline, run.engine);
  if (!engine?.repair) throw new UnrecoverableError(`the ${run.engine} engine cannot repair runs; start a new run instead`);

  const current = await engine.poll(run.externalId, signal);
  let repairId = current.latestRepairId;
  if (current.state === 'failed' && repairId === run.latestRepairId) {
    try {
      repairId = (await engine.repair(run.externalId, run.latestRepairId, signal)).repairId;
    } catch (err) {
      if (err instanceof ApiError && !err.retryable) {
        await queues.threadNote(run.id, { kind: 'error', text: `Repair failed: ${err.apiCode ? `${err.apiCode}: ` : ''}${err.message}` }, `note-${run.id}-repair-error-${job.id}`);
        throw new UnrecoverableError(err.message);
      }
      throw err;
    }
  }
  // The failure's own words (`Task transform failed`) are cleared: beside `repairing` they read as current.
  const now = deps.now();
  const repaired = await runs.update(
    run.id,
    (r) =>
      r.state === 'failed'
        ? {
            ...r,
            state: 'pending',
            repairs: r.repairs + 1,
            latestRepairId: repairId,
            repairedAt: now,
            idleMs: (r.idleMs ?? 0) + Math.max(0, now - (r.endedAt ?? now)),
            endedAt: undefined,
            failures: [],
            error: undefined,
            repairRequest: undefined,
            stateMessage: undefined,
            repairedTasks: r.failures.map((f) => f.task),
            ...(r.cost ? { cost: costAfterRepair(r.cost, r.repairs + 1, now) } : {}),
          }
        : done(r),
    { actor: job.data.by, action: 'run.repair' },
  );
  if (repaired.state !== 'pending') return;
  await queues.poll(run.id, repaired.repairs, deps.pollIntervalMs);
  await queues.threadNote(run.id, { kind: 'repair-started', by: job.data.by, repair: repaired.repairs }, `note-${run.id}-repair-${repaired.repairs}-started`);
  await queues.status(run.id, { immediate: true });
}

/**
 * A measured run that is repaired runs again and costs more (on Databricks the repair bills to the
 * same run id): the figure measured before is no longer the run's, so it goes back to pending (which
 * neither shows as a figure nor counts toward the cost gate) until the repaired run is measured.
 */
function costAfterRepair(before: RunCost, epoch: number, at: number): RunCost {
  return { status: 'pending', ...(before.method ? { method: before.method } : {}), reason: `the run was repaired (repair #${epoch}): it is measured again, all attempts, once the repair ends`, epoch, at };
}
