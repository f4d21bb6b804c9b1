import type { CommandArgs } from './parse-command.ts';
import { ephemeral, type CommandDeps, type Invoker, type Reply } from './command-deps.ts';

type DqArgs = Extract<CommandArgs, { cmd: 'dq' }>;

/**
 * `/pipeline dq`: runs the target's checks for a period now. Failures land in the period's
 * DQ thread like any others; the person who asked also gets the outcome as an ephemeral
 * reply, so a green result does not go unseen (a pass posts nothing in the channel).
 */
export async function dqCommand(args: DqArgs, who: Invoker, deps: CommandDeps): Promise<Reply> {
  const pipeline = deps.catalog.pipelines[args.pipeline]!;
  const count = pipeline.outputs.reduce((n, o) => n + o.checks.length, 0);
  if (count === 0) return ephemeral(`:warning: ${args.pipeline} declares no DQ checks (add \`checks:\` to its outputs in the catalog).`);
  if (!(await deps.permissions.canRun(who.userId, 'dev'))) return ephemeral(`:no_entry: You are not allowed to run checks of ${args.pipeline}.`);
  const now = deps.now();
  await deps.queues.dqCheck({ pipeline: args.pipeline, period: args.period, source: 'command', requestedBy: { user: who.userId, channel: who.channelId } }, `dq-cmd-${args.pipeline}-${args.period}-${now}`);
  return ephemeral(`:mag: Running ${count} DQ check${count === 1 ? '' : 's'} of *${args.pipeline}* for ${args.period}; failures go to its DQ thread in <#${pipeline.channel}>.`);
}
