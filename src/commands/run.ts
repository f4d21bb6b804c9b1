import { defaultSide, sideFor } from '../engines/resolve-engine.ts';
import { UsageError } from '../errors.ts';
import { buildUsageError } from '../slack/index.ts';
import { usageFor } from '../slack/build-help.ts';
import type { RunRecord } from '../store/run-record.ts';
import { newRunRecord } from './new-run-record.ts';
import type { CommandArgs } from './parse-command.ts';
import { ephemeral, type CommandDeps, type Invoker, type Reply } from './command-deps.ts';

type RunArgs = Extract<CommandArgs, { cmd: 'run' }>;

const refusal = (args: RunArgs): Reply =>
  ephemeral(`:no_entry: You are not allowed to start ${args.env} runs of ${args.pipeline}. Ask someone in \`permissions.run.${args.env}\`.`);

/** What `/pipeline run` acks with: a final answer, or the prepared run (and its confirmation when the permission is known). */
export type RunAck = { final: true; reply: Reply } | { final: false; run: RunRecord; reply?: Reply };

/**
 * Prepares the run before the ack (issue 14 finding 22): its engine config is rendered with the
 * resolved params first, so a missing or invalid `--param` gets the usage reply instead of a
 * promised run. Then the confirmation with the new run's id, or a refusal; no reply when the
 * permission needs a Slack lookup first (the run is then recorded after it).
 */
export async function runAck(args: RunArgs, who: Invoker, deps: CommandDeps): Promise<RunAck> {
  const pipeline = deps.catalog.pipelines[args.pipeline]!;
  let run: RunRecord;
  try {
    const side = args.on ? sideFor(args.on) : defaultSide(pipeline, await deps.stages.get(args.pipeline));
    run = newRunRecord({ pipelineName: args.pipeline, pipeline, side, period: args.period, params: args.params, env: args.env, requestedBy: who.userId, now: deps.now() });
  } catch (err) {
    if (err instanceof UsageError) return { final: true, reply: buildUsageError(err.message, err.usage ?? usageFor('run')) as Reply };
    throw err;
  }
  const allowed = deps.permissions.canRunNow(who.userId, args.env);
  if (allowed === false) return { final: true, reply: refusal(args) };
  if (allowed === undefined) return { final: false, run };
  return { final: false, run, reply: ephemeral(`:rocket: Starting run \`${run.id}\` of *${args.pipeline}* (${args.period}). Its status will be in <#${pipeline.channel}>.`) };
}

/**
 * `/pipeline run`: records the prepared run as `queued` with its audit event and intake entry
 * (the worker submits it and posts the status message). Returns a reply only when the ack did
 * not already confirm it.
 */
export async function runCommand(args: RunArgs, who: Invoker, deps: CommandDeps, prepared: Extract<RunAck, { final: false }>): Promise<Reply | undefined> {
  const { run } = prepared;
  if (!prepared.reply && !(await deps.permissions.canRun(who.userId, args.env))) return refusal(args);
  // One Redis script: the run, its audit event, and its intake entry for the workers.
  await deps.runs.create(run, { actor: who.userId, actorName: who.userName, action: 'run.created' });
  if (prepared.reply) return undefined;
  return ephemeral(`:rocket: Run \`${run.id}\` of *${args.pipeline}* (${args.period}) is queued on ${run.engine}. Its status is in <#${deps.catalog.pipelines[args.pipeline]!.channel}>.`);
}
