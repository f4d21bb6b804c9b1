import { isTerminal } from '../engines/types.ts';
import type { RunRecord } from '../store/run-record.ts';
import type { CommandArgs } from './parse-command.ts';
import { ephemeral, type CommandDeps, type Invoker, type Reply } from './command-deps.ts';

type CancelArgs = Extract<CommandArgs, { cmd: 'cancel' }>;

/** `/pipeline cancel <run-id>`: permission-checked like `run`, then a cancel job. */
export async function cancelCommand(args: CancelArgs, who: Invoker, deps: CommandDeps): Promise<Reply> {
  const run = await deps.runs.get(args.runId);
  if (!run) return ephemeral(`:mag: No run with id \`${args.runId}\`.`);
  if (!(await deps.permissions.canRun(who.userId, run.env))) {
    return ephemeral(`:no_entry: You are not allowed to cancel ${run.env} runs of ${run.pipeline}.`);
  }
  if (isTerminal(run.state)) return ephemeral(`Run \`${run.id}\` has already ended: *${run.state}*.`);
  await requestCancel(deps, run.id, who.userId);
  return ephemeral(`:octagonal_sign: Cancelling \`${run.id}\` (${run.pipeline} ${run.period}); its status message will show *cancelled* once ${run.engine} confirms.`);
}

/**
 * Records a cancel on the run, then enqueues its job (issue 14 finding 7). The record comes
 * first so a submit job in flight, which never sees the cancel job, still learns of it when it
 * records the engine's id, and cancels the run it just started; start-up re-enqueues the job of
 * a request whose enqueue a crash prevented. The first request is kept (who asked first); each
 * click still gets a job of its own, so asking again sends the cancel again.
 */
export async function requestCancel(deps: Pick<CommandDeps, 'runs' | 'queues' | 'now'>, runId: string, by: string): Promise<RunRecord> {
  const at = deps.now();
  const run = await deps.runs.update(runId, (r) => (isTerminal(r.state) || r.cancelRequest ? undefined : { ...r, cancelRequest: { by, at } }), { actor: by, action: 'run.cancel-requested' });
  if (!isTerminal(run.state)) await deps.queues.cancel(run.id, by, at);
  return run;
}
