import { isTerminal } from '../engines/types.ts';
import type { RunRecord } from '../store/run-record.ts';
import type { JobDeps } from './job-deps.ts';

/**
 * What a run's end sets going besides its message, wherever it ended (poll, a failed
 * submit, a cancel before it started): the parallel run it belongs to moves on, DQ checks
 * run after every successful Databricks run (a parallel run checks its own target), and a
 * failure is published to SNS. Every job here has an id per run, so calling it twice is safe.
 */
export async function onRunEnded(deps: JobDeps, run: RunRecord): Promise<void> {
  if (!isTerminal(run.state)) return;
  if (run.parallelId) await deps.queues.advanceParallel(run.parallelId, run.id);
  // The runs of a parallel run are the evidence of the migration: their cost is measured (issue 16).
  if (run.parallelId && run.externalId) await deps.queues.costCheck({ runId: run.id, epoch: run.repairs, attempt: 0 }, 0);
  if (run.backfillId) await deps.queues.advanceBackfill(run.backfillId, `${run.id}-${run.repairs}`);
  const pipeline = deps.catalog.pipelines[run.pipeline];
  if (run.state === 'succeeded' && run.side === 'target' && !run.parallelId && pipeline?.outputs.some((o) => o.checks.length > 0)) {
    await deps.queues.dqCheck({ pipeline: run.pipeline, period: run.period, source: 'run', runId: run.id }, `dq-${run.id}-${run.repairs}`);
  }
  if (run.state === 'failed' || run.state === 'timed_out') {
    const tasks = run.failures.map((f) => f.task);
    const summary = `run ${run.id} on ${run.engine} ${run.state}${tasks.length > 0 ? ` (${tasks.join(', ')})` : run.error ? `: ${run.error.message}` : ''}`;
    await deps.queues.snsPublish(
      { event: 'run.failed', pipeline: run.pipeline, period: run.period, runId: run.id, summary, detail: { engine: run.engine, state: run.state, failedTasks: tasks, url: run.url } },
      { kind: 'run', runId: run.id },
      `sns-run-${run.id}-${run.repairs}`,
    );
  }
}

