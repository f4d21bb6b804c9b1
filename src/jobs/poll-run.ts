import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { isTerminal, type EngineRunStatus, type TaskFailure } from '../engines/types.ts';
import type { RunRecord } from '../store/run-record.ts';
import { handleEngineError } from './engine-errors.ts';
import { BOT, type JobDeps } from './job-deps.ts';
import { runEngine } from './run-engine.ts';
import { onRunEnded } from './run-ended.ts';

/**
 * Tracks one run until it ends: each poll reads the engine once, stores what changed, and
 * moves this same job back to `delayed` for the next poll (no sleeping loop, so a restarted
 * worker simply picks the job up again when it is due).
 */
export async function pollRun(deps: JobDeps, job: Job<{ runId: string; epoch: number }>, token: string | undefined, signal?: AbortSignal): Promise<void> {
  const { runs, queues } = deps;
  const run = await runs.require(job.data.runId);
  if (job.data.epoch < run.repairs) return; // a repair started a newer tracking job
  // A replay after a crash between the run's end and its advance job: the job id makes this a no-op otherwise.
  if (isTerminal(run.state) && run.backfillId) await queues.advanceBackfill(run.backfillId, `${run.id}-${run.repairs}`);
  if (isTerminal(run.state) || !run.externalId) return;
  const engine = runEngine(deps, run.pipeline, run.engine);
  if (!engine) throw new UnrecoverableError(`engine ${run.engine} not configured`);

  const giveUp = async (error: NonNullable<RunRecord['error']>) => {
    const ended = await runs.update(run.id, (r) => (isTerminal(r.state) ? undefined : { ...r, state: 'failed', error, endedAt: deps.now() }), { ...BOT, action: 'run.state' });
    await queues.status(run.id, { immediate: true });
    await onRunEnded(deps, ended);
  };
  const status = await engine.poll(run.externalId, signal).catch((err) => handleEngineError(err, giveUp));
  const failures: TaskFailure[] = status.state === 'failed' ? await engine.failures(run.externalId, status, signal).catch((err) => handleEngineError(err, giveUp)) : [];

  const pipeline = deps.catalog.pipelines[run.pipeline];
  const deadline = (run.startedAt ?? run.createdAt) + (pipeline?.maxRunHours ?? 48) * 3600_000;
  const overdue = !isTerminal(status.state) && deps.now() > deadline;

  const limit = overdue ? `Cutover stopped tracking the run after ${pipeline?.maxRunHours ?? 48} h (maxRunHours)` : undefined;
  const updated = await runs.update(run.id, (r) => (isTerminal(r.state) ? undefined : apply(r, status, failures, limit, deps.now())), { ...BOT, action: 'run.state' });
  if (updated.version !== run.version) await queues.status(run.id, { immediate: isTerminal(updated.state) });
  if (isTerminal(updated.state)) {
    await onRunEnded(deps, updated);
    if (updated.repairs > 0) await queues.threadNote(run.id, { kind: 'repair-finished', repair: updated.repairs }, `note-${run.id}-repair-${updated.repairs}-finished`);
    return;
  }
  if (!token) throw new UnrecoverableError('poll job has no lock token');
  await job.moveToDelayed(deps.now() + deps.pollIntervalMs, token);
  throw new DelayedError();
}

function apply(r: RunRecord, s: EngineRunStatus, failures: TaskFailure[], overdue: string | undefined, now: number): RunRecord {
  const state = overdue ? 'timed_out' : s.state;
  return {
    ...r,
    state,
    stateMessage: overdue ?? s.message,
    tasks: s.tasks,
    url: s.url ?? r.url,
    startedAt: r.startedAt ?? s.startedAt,
    endedAt: isTerminal(state) ? (s.endedAt ?? now) : undefined,
    latestRepairId: s.latestRepairId ?? r.latestRepairId,
    failures: state === 'failed' ? failures : r.failures,
  };
}
