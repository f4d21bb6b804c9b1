import { UnrecoverableError, type Job } from 'bullmq';
import { newRunRecord } from '../commands/new-run-record.ts';
import type { RunState } from '../engines/types.ts';
import { InvalidStateError } from '../errors.ts';
import { planAdvance, type BackfillRecord } from '../store/backfill-record.ts';
import { BOT, type JobDeps } from './job-deps.ts';

/**
 * Moves a backfill on: its periods follow their runs, the first failure stops the waiting
 * periods (unless --continue-on-failure), and the oldest waiting periods start while fewer than
 * `concurrency` are running. Enqueued when the backfill is created, after a retry or cancel, and
 * when any period's run ends; there is no loop waiting for runs.
 *
 * Idempotent, so a replay after a crash starts nothing twice: a period is started by writing its
 * run id into the backfill (compare-and-set on the record's version, with its audit event), and
 * only then is the run created under that id. A replay finds the id in the record and creates the
 * run only if it is missing; RunStore refuses a second run with the same id.
 */
export async function advanceBackfill(deps: JobDeps, job: Job<{ backfillId: string }>): Promise<void> {
  const { backfills, queues } = deps;
  const before = await backfills.require(job.data.backfillId);
  await createMissingRuns(deps, before); // started by an advance that died before creating them
  const after = await backfills.updateWith(before.id, (b) => runStates(deps, b), (b, states) => planAdvance(b, states, deps.now()), { ...BOT, action: 'backfill.advance' });
  await createMissingRuns(deps, after);
  await queues.backfillStatus(after.id, { immediate: after.version !== before.version });
}

/** The state of every period's current run, read after the record so it is never older. */
async function runStates(deps: JobDeps, b: BackfillRecord): Promise<Map<string, { state: RunState }>> {
  const ids = b.periods.flatMap((p) => (p.runId ? [p.runId] : []));
  const runs = await Promise.all(ids.map((id) => deps.runs.get(id)));
  return new Map(runs.flatMap((r) => (r ? [[r.id, { state: r.state }] as const] : [])));
}

async function createMissingRuns(deps: JobDeps, b: BackfillRecord): Promise<void> {
  const started = b.periods.filter((p) => p.status === 'started' && p.runId);
  if (started.length === 0) return;
  const pipeline = deps.catalog.pipelines[b.pipeline];
  if (!pipeline) throw new UnrecoverableError(`pipeline ${b.pipeline} is no longer in the catalog`);
  const existing = await Promise.all(started.map((p) => deps.runs.get(p.runId!)));
  for (const [i, p] of started.entries()) {
    const run = existing[i];
    if (!run) await createRun(deps, b, p.period, p.runId!);
    // The intake stream hands a new run to the engine queue; enqueuing its submit here too (same job
    // id, so once) spares the run a 30 s wait when a killed worker had read its intake entry.
    if (!run || run.state === 'queued') await deps.queues.submit(p.runId!);
  }
}

async function createRun(deps: JobDeps, b: BackfillRecord, period: string, id: string): Promise<void> {
  const pipeline = deps.catalog.pipelines[b.pipeline]!;
  const run = { ...newRunRecord({ pipelineName: b.pipeline, pipeline, side: b.side, period, params: {}, env: b.env, requestedBy: b.requestedBy, now: deps.now(), id }), backfillId: b.id };
  try {
    // One Redis script: the run, its audit event and its intake entry.
    await deps.runs.create(run, { ...BOT, action: 'run.created' });
  } catch (err) {
    if (!(err instanceof InvalidStateError)) throw err; // created meanwhile by a concurrent advance
  }
}
