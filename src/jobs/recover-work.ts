import type { RunRecord } from '../store/run-record.ts';
import type { JobDeps } from './job-deps.ts';

export type RecoverDeps = Pick<JobDeps, 'runs' | 'cutover' | 'catalog' | 'queues' | 'logger'>;

/**
 * Enqueues again the job every unfinished piece of work needs: the submit or poll of each run
 * not in a final state (and of a repair or cancel it was asked for), and the execution of each approved (or executing) cutover step. Every
 * job id is derived from the work (`submit-<run>`, `poll-<run>-<epoch>`, `cexec-<request>`), so
 * a job that still exists makes this a no-op; one that a crash or a loss of Redis data took away
 * comes back. Run at start-up and whenever the intake finds its consumer group gone.
 */
export async function recoverWork(deps: RecoverDeps): Promise<{ runs: number; steps: number }> {
  let runs = 0;
  for (const id of await deps.runs.activeIds()) {
    const run = await deps.runs.get(id);
    if (!run) {
      await deps.runs.forgetActive(id);
      continue;
    }
    if (await enqueueRunJob(deps, run)) runs++;
  }
  let steps = 0;
  for (const [pipeline, config] of Object.entries(deps.catalog.pipelines)) {
    if (!config.cutover) continue;
    const records = await deps.cutover.getSteps(pipeline, config.cutover.steps.map((s) => s.id));
    for (const record of Object.values(records)) {
      if ((record.state === 'approved' || record.state === 'executing') && record.requestId) {
        await deps.queues.cutoverExecute(record.requestId);
        steps++;
      }
    }
  }
  deps.logger.info({ runs, steps }, 'jobs of unfinished runs and approved cutover steps enqueued again');
  return { runs, steps };
}

async function enqueueRunJob(deps: RecoverDeps, run: RunRecord): Promise<boolean> {
  // A Repair click recorded but never enqueued (or whose job was lost): its job, by its number.
  if (run.repairRequest) {
    await deps.queues.repair(run.id, run.repairRequest.by, run.repairRequest.n);
    return true;
  }
  // A cancel recorded but never enqueued: the submit job would see it, a poll job would not.
  if (run.cancelRequest && run.externalId) await deps.queues.cancel(run.id, run.cancelRequest.by, run.cancelRequest.at);
  switch (run.state) {
    case 'queued':
    case 'submitting':
      await deps.queues.submit(run.id);
      return true;
    case 'pending':
    case 'running':
      // A run is `pending` only with the engine's id (the submit records both together).
      if (!run.externalId) return false;
      await deps.queues.poll(run.id, run.repairs, 0);
      return true;
    default:
      return false;
  }
}
