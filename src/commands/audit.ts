import { buildAuditView } from '../slack/build-audit-view.ts';
import type { CommandArgs } from './parse-command.ts';
import { ephemeral, type CommandDeps, type Invoker, type Reply } from './command-deps.ts';

type AuditArgs = Extract<CommandArgs, { cmd: 'audit' }>;

/** Events shown in the reply; the file has them all. */
export const AUDIT_SHOWN = 20;

/**
 * `/pipeline audit`: for the pipeline's owners, its approvers and `permissions.run.prod` only
 * (the trail holds run parameters, traces and rejection reasons). The latest 20 events as an
 * ephemeral reply, and the full trail as a JSON Lines file a notify job sends to the asker's
 * direct message with the bot, never to the channel.
 */
export async function auditCommand(args: AuditArgs, who: Invoker, deps: CommandDeps): Promise<Reply> {
  if (!(await deps.permissions.may('audit', who.userId, args.pipeline))) {
    return ephemeral(`:no_entry: The audit trail of ${args.pipeline} is for its owners, its approvers and \`permissions.run.prod\`.`);
  }
  const events = await deps.audit.latest(args.pipeline, AUDIT_SHOWN);
  if (events.length > 0) await deps.queues.auditExport(args.pipeline, { user: who.userId, channel: who.channelId }, `audit-${args.pipeline}-${deps.now()}`);
  const view = buildAuditView(args.pipeline, events);
  return ephemeral(view.text, view.blocks);
}
