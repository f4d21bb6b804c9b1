import { defaultSide, sideFor } from '../engines/resolve-engine.ts';
import { newRunId } from '../store/run-store.ts';
import { newRunRecord } from './new-run-record.ts';
import type { CommandArgs } from './parse-command.ts';
import { ephemeral, type CommandDeps, type Invoker, type Reply } from './command-deps.ts';

type RunArgs = Extract<CommandArgs, { cmd: 'run' }>;

const refusal = (args: RunArgs): Reply =>
  ephemeral(`:no_entry: You are not allowed to start ${args.env} runs of ${args.pipeline}. Ask someone in \`permissions.run.${args.env}\`.`);

/**
 * What `/pipeline run` can say in its ack, before touching Redis: the confirmation with the
 * new run's id, or a refusal. Undefined when the permission needs a Slack lookup first.
 */
export function runAck(args: RunArgs, who: Invoker, deps: CommandDeps): { reply: Reply; runId?: string } | undefined {
  const allowed = deps.permissions.canRunNow(who.userId, args.env);
  if (allowed === false) return { reply: refusal(args) };
  if (allowed === undefined) return undefined;
  const runId = newRunId(deps.now());
  const channel = deps.catalog.pipelines[args.pipeline]!.channel;
  return { runId, reply: ephemeral(`:rocket: Starting run \`${runId}\` of *${args.pipeline}* (${args.period}). Its status will be in <#${channel}>.`) };
}

/**
 * `/pipeline run`: records the run as `queued` and enqueues its submit job (the worker posts
 * the status message). Returns a reply only when there is something new to say.
 */
export async function runCommand(args: RunArgs, who: Invoker, deps: CommandDeps, ackedRunId?: string): Promise<Reply | undefined> {
  const pipeline = deps.catalog.pipelines[args.pipeline]!;
  if (!ackedRunId && !(await deps.permissions.canRun(who.userId, args.env))) return refusal(args);
  const side = args.on ? sideFor(args.on) : defaultSide(pipeline, await deps.stages.get(args.pipeline));
  const run = newRunRecord({ pipelineName: args.pipeline, pipeline, side, period: args.period, params: args.params, env: args.env, requestedBy: who.userId, now: deps.now(), id: ackedRunId });
  // One Redis script: the run, its audit event, and its intake entry for the workers.
  await deps.runs.create(run, { actor: who.userId, actorName: who.userName, action: 'run.created' });
  if (ackedRunId) return undefined;
  return ephemeral(`:rocket: Run \`${run.id}\` of *${args.pipeline}* (${args.period}) is queued on ${run.engine}. Its status is in <#${pipeline.channel}>.`);
}
