import type { App } from '@slack/bolt';
import { UsageError } from '../errors.ts';
import { buildHelp, buildUsageError } from '../slack/index.ts';
import { describeError } from '../slack/describe-error.ts';
import { backfillCommand } from './backfill.ts';
import { cancelCommand } from './cancel.ts';
import { ephemeral, type CommandDeps, type Invoker, type Reply } from './command-deps.ts';
import { auditCommand } from './audit.ts';
import { cutoverCommand } from './cutover.ts';
import { dqCommand } from './dq.ts';
import { historyCommand } from './history.ts';
import { reportCommand } from './report.ts';
import { listCommand } from './list.ts';
import { diffCommand, parallelCommand } from './parallel.ts';
import { parseCommand, type CommandArgs } from './parse-command.ts';
import { runAck, runCommand, type RunAck } from './run.ts';
import { statusCommand } from './status.ts';

export type { CommandDeps } from './command-deps.ts';

/**
 * Registers `/pipeline`. Parsing is pure and takes microseconds, so a usage error goes back
 * in the ack itself; everything else is acked at once and answered through `respond`.
 */
export function registerCommands(app: App, deps: CommandDeps): void {
  app.command('/pipeline', async ({ command, ack, respond }) => {
    let args: CommandArgs;
    try {
      args = parseCommand(command.text ?? '', deps.catalog, deps.now());
    } catch (err) {
      const usage = err instanceof UsageError ? err : new UsageError(String(err));
      await ack(buildUsageError(usage.message, usage.usage ?? ''));
      return;
    }
    if (args.cmd === 'help') {
      await ack(buildHelp());
      return;
    }
    const who: Invoker = { userId: command.user_id, userName: command.user_name, channelId: command.channel_id };
    // `run` renders its templates before the ack, and confirms (or refuses) in the ack itself when it can.
    let early: RunAck | undefined;
    try {
      early = args.cmd === 'run' ? await runAck(args, who, deps) : undefined;
    } catch (err) {
      deps.logger.error({ err, cmd: args.cmd, user: who.userId }, 'command failed');
      await ack(ephemeral(describeError(err)) as Parameters<typeof ack>[0]);
      return;
    }
    await ack(early?.reply as Parameters<typeof ack>[0]);
    if (early?.final) return;
    let reply: Reply | undefined;
    try {
      reply = args.cmd === 'run' && early ? await runCommand(args, who, deps, early) : await execute(args as Exclude<CommandArgs, { cmd: 'run' | 'help' }>, who, deps);
    } catch (err) {
      if (err instanceof UsageError) {
        reply = buildUsageError(err.message, err.usage ?? '');
      } else {
        deps.logger.error({ err, cmd: args.cmd, user: who.userId }, 'command failed');
        reply = ephemeral(describeError(err));
      }
    }
    if (reply) await respond(reply as Parameters<typeof respond>[0]);
  });
}

async function execute(args: Exclude<CommandArgs, { cmd: 'run' | 'help' }>, who: Invoker, deps: CommandDeps): Promise<Reply> {
  switch (args.cmd) {
    case 'list':
      return listCommand(deps);
    case 'status':
      return statusCommand(args, deps);
    case 'cancel':
      return cancelCommand(args, who, deps);
    case 'parallel':
      return parallelCommand(args, who, deps);
    case 'diff':
      return diffCommand(args, who, deps);
    case 'history':
      return historyCommand(args, deps, who);
    case 'backfill':
      return backfillCommand(args, who, deps);
    case 'dq':
      return dqCommand(args, who, deps);
    case 'audit':
      return auditCommand(args, who, deps);
    case 'report':
      return reportCommand(args, who, deps);
    case 'cutover':
      return cutoverCommand(args, who, deps);
    default: {
      // Every subcommand is handled: a new one in the grammar fails to compile here until it is.
      const unhandled: never = args;
      throw new UsageError(`unknown subcommand ${(unhandled as { cmd: string }).cmd}`);
    }
  }
}
