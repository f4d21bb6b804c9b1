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
 * Read-only answers go back in the ack itself when they are ready within this (Slack waits 3 s
 * for an ack): no second HTTP round trip to `response_url`, whose cost, paid on the same event
 * loop, delayed the acks of the commands behind it (issue 17: `/pipeline status` acks at 3x a
 * bare Bolt app's p99 even without load). A slow Redis falls back to ack-then-respond.
 */
const INLINE_REPLY_MS = 1000;
const INLINE_COMMANDS: ReadonlySet<CommandArgs['cmd']> = new Set(['status', 'list']);

/**
 * Registers `/pipeline`. Parsing is pure and takes microseconds, so a usage error goes back
 * in the ack itself; so do read-only answers that are ready within INLINE_REPLY_MS; everything
 * else is acked at once and answered through `respond`.
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
    const rest = args as Exclude<CommandArgs, { cmd: 'run' | 'help' }>;
    if (INLINE_COMMANDS.has(args.cmd)) {
      const pending = settle(() => execute(rest, who, deps), args.cmd, who, deps);
      let timer: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([pending, new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), INLINE_REPLY_MS)))]);
      clearTimeout(timer);
      if (inTime !== 'late') return void (await ack(inTime as Parameters<typeof ack>[0]));
      await ack();
      const reply = await pending;
      if (reply) await respond(reply as Parameters<typeof respond>[0]);
      return;
    }
    await ack(early?.reply as Parameters<typeof ack>[0]);
    if (early?.final) return;
    const reply = await settle(() => (args.cmd === 'run' && early ? runCommand(args, who, deps, early) : execute(rest, who, deps)), args.cmd, who, deps);
    if (reply) await respond(reply as Parameters<typeof respond>[0]);
  });
}

/** The command's reply, or the reply that says why it failed (a usage error, else a logged failure). */
async function settle(answer: () => Promise<Reply | undefined>, cmd: string, who: Invoker, deps: CommandDeps): Promise<Reply | undefined> {
  try {
    return await answer();
  } catch (err) {
    if (err instanceof UsageError) return buildUsageError(err.message, err.usage ?? '') as Reply;
    deps.logger.error({ err, cmd, user: who.userId }, 'command failed');
    return ephemeral(describeError(err));
  }
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
