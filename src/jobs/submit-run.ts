import { UnrecoverableError, type Job } from 'bullmq';
import { engineConfigFor, renderEngineConfig } from '../engines/resolve-engine.ts';
import { asCodedError } from '../errors.ts';
import { handleEngineError } from './engine-errors.ts';
import { BOT, type JobDeps } from './job-deps.ts';
import { runEngine } from './run-engine.ts';
import { onRunEnded } from './run-ended.ts';
import { cancelBeforeStart, sendCancel } from './cancel-run.ts';
import { isTerminal } from '../engines/types.ts';

/**
 * Starts a run on its engine. Safe to retry at any point: the engine call carries an
 * idempotency key derived from the run id (Databricks `idempotency_token`, the EMR step
 * name, the Airflow `dag_run_id`), so a retried submit never starts a second run.
 */
export async function submitRun(deps: JobDeps, job: Job<{ runId: string }>, signal?: AbortSignal): Promise<void> {
  const { runs, catalog, queues } = deps;
  const run = await runs.require(job.data.runId);
  if (run.state !== 'queued' && run.state !== 'submitting') {
    // Already submitted. A replay after a crash between recording that and enqueuing the poll job
    // enqueues it now (one job per run and epoch); a run cancelled before it started needs nothing.
    if (run.state === 'pending' && run.externalId) await queues.poll(run.id, run.repairs, deps.pollIntervalMs);
    // ... and a crash (or an engine error) between that record and the cancel it owed sends the cancel now.
    if (run.cancelRequest && run.externalId && !isTerminal(run.state)) await sendCancel(deps, run, run.cancelRequest.by, signal);
    return;
  }
  // A cancel asked for before the engine had the run: nothing is started.
  if (run.state === 'queued' && run.cancelRequest) return void (await cancelBeforeStart(deps, run.id, run.cancelRequest.by));
  const pipeline = catalog.pipelines[run.pipeline];
  if (!pipeline) throw new UnrecoverableError(`pipeline ${run.pipeline} is no longer in the catalog`);

  if (run.state === 'queued') {
    await runs.update(run.id, (r) => (r.state === 'queued' ? { ...r, state: 'submitting' } : undefined), { ...BOT, action: 'run.state' });
    // The status message is first posted from here, so the command handler only writes one job.
    await queues.status(run.id, { immediate: true });
  }
  const fail = async (error: NonNullable<typeof run.error>) => {
    const ended = await runs.update(run.id, (r) => ({ ...r, state: 'failed', error, endedAt: deps.now() }), { ...BOT, action: 'run.state' });
    await queues.status(run.id, { immediate: true });
    await onRunEnded(deps, ended);
  };

  let rendered;
  try {
    rendered = renderEngineConfig(engineConfigFor(pipeline, run.side, run.env), { period: run.period, params: run.params });
  } catch (err) {
    const coded = asCodedError(err);
    await fail({ code: coded.code, message: coded.message });
    throw new UnrecoverableError(coded.message);
  }
  const engine = runEngine(deps, run.pipeline, rendered.config.engine);
  if (!engine) {
    await fail({ code: 'config_invalid', message: `the ${rendered.config.engine} engine is not configured on this deployment` });
    throw new UnrecoverableError(`engine ${rendered.config.engine} not configured`);
  }

  const result = await engine
    .submit({ runId: run.id, pipeline: run.pipeline, config: rendered.config, period: run.period, params: rendered.params, signal })
    .catch((err) => handleEngineError(err, fail));

  const submitted = await runs.update(
    run.id,
    (r) => (r.state === 'submitting' ? { ...r, state: 'pending', externalId: result.externalId, url: result.url ?? r.url, startedAt: deps.now() } : undefined),
    { ...BOT, action: 'run.submitted' },
  );
  if (submitted.state === 'pending') {
    await queues.poll(run.id, 0, deps.pollIntervalMs);
    await queues.status(run.id);
    // A cancel that came while the engine call was in flight (issue 14 finding 7): the cancel job
    // found no engine id to cancel and left it to us; the poll job reports the final `cancelled`.
    if (submitted.cancelRequest) await sendCancel(deps, submitted, submitted.cancelRequest.by, signal);
  }
}
