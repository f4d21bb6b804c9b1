import { UnrecoverableError, type Job } from 'bullmq';
import { asCodedError } from '../errors.ts';
import { runChecks } from '../checks/index.ts';
import type { DqSource } from '../store/dq-alert-record.ts';
import type { JobDeps } from './job-deps.ts';
import { missingOutputs, recordChecksResult } from './record-dq-result.ts';

export interface CheckDqJob {
  pipeline: string;
  period: string;
  source: Exclude<DqSource, 'parallel' | 'sns'>;
  /** The run whose output is checked (`source: 'run'`): its params and status message. */
  runId?: string;
  /** Who asked (`/pipeline dq`, Re-run checks): they get an ephemeral answer. */
  requestedBy?: { user: string; channel: string };
}

/**
 * Runs a pipeline's DQ checks on its target outputs for one period (after a successful
 * Databricks run, on `/pipeline dq`, or from the Re-run button) and records the result, which
 * opens, updates or resolves the period's DQ thread. A transient error (S3, the warehouse)
 * is retried by BullMQ; a check that cannot run at all is a failing check with its error.
 */
export async function checkDq(deps: JobDeps, job: Job<CheckDqJob>, signal?: AbortSignal): Promise<void> {
  const { pipeline: name, period, runId, source, requestedBy } = job.data;
  const pipeline = deps.catalog.pipelines[name];
  if (!pipeline || !pipeline.outputs.some((o) => o.checks.length > 0)) return;
  const run = runId ? await deps.runs.get(runId) : undefined;
  const result = await runChecks({
    pipeline,
    pipelineName: name,
    period,
    params: run?.params,
    side: 'target',
    access: deps.datasets.access,
    warehouse: deps.datasets.warehouse,
    history: deps.rowCounts,
    signal,
  }).catch((err: unknown) => {
    // The jobs' one rule: what is not retryable fails once, not a retry per backoff step. Here that
    // is a template the run's own values cannot render (a catalog changed under the run: runs are
    // refused at the command for it, newRunRecord renders every output).
    const coded = asCodedError(err);
    if (coded.retryable || signal?.aborted) throw err;
    throw new UnrecoverableError(coded.message);
  });
  const alert = await recordChecksResult(deps, name, period, result, { source, runId, anchor: run?.statusMessage }, requestedBy?.user);
  if (requestedBy) await deps.queues.dqReply(name, period, requestedBy, `dqreply-${job.id}`, { missing: missingOutputs(result), checked: alert !== undefined });
}
