import { isTerminal } from '../engines/types.ts';
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
  await deps.queues.cancel(run.id, who.userId);
  return ephemeral(`:octagonal_sign: Cancelling \`${run.id}\` (${run.pipeline} ${run.period}); its status message will show *cancelled* once ${run.engine} confirms.`);
}
