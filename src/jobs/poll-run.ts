import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { engineConfigFor } from '../engines/resolve-engine.ts';
import { isTerminal, type Engine, type EngineRunStatus, type TaskFailure } from '../engines/types.ts';
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
  const group = pollGroupOf(deps, run, engine);
  const status = await engine.poll(run.externalId, signal, group).catch((err) => handleEngineError(err, giveUp));
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
  await job.moveToDelayed(nextPollAt(deps.now(), deps.pollIntervalMs, group), token);
  throw new DelayedError();
}

/** The engine's batching group of the run (the Databricks job id), when the engine batches. */
function pollGroupOf(deps: JobDeps, run: RunRecord, engine: Engine): string | undefined {
  const pipeline = deps.catalog.pipelines[run.pipeline];
  if (!engine.pollGroup || !pipeline) return undefined;
  try {
    return engine.pollGroup(engineConfigFor(pipeline, run.side, run.env));
  } catch {
    return undefined; // the catalog changed under the run: poll it on its own
  }
}

/**
 * When to poll next. Runs of one group are polled on the same tick (every `interval`, at an
 * offset of the group's own so groups spread over the interval), so the first poll of a tick
 * reads the group's listing and the others use it. At least half an interval from now.
 */
export function nextPollAt(now: number, interval: number, group: string | undefined): number {
  if (group === undefined) return now + interval;
  let hash = 0;
  for (const c of group) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const offset = hash % interval;
  return Math.ceil((now + interval / 2 - offset) / interval) * interval + offset;
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
