import { defaultSide, engineConfigFor, renderEngineConfig, sideFor } from '../engines/resolve-engine.ts';
import type { RunRecord } from '../store/run-record.ts';
import { newRunId } from '../store/run-store.ts';
import type { CommandArgs } from './parse-command.ts';
import { ephemeral, type CommandDeps, type Invoker, type Reply } from './command-deps.ts';

type RunArgs = Extract<CommandArgs, { cmd: 'run' }>;

/** `/pipeline run`: checks permission, records the run as `queued` and enqueues its submit job. */
export async function runCommand(args: RunArgs, who: Invoker, deps: CommandDeps): Promise<Reply> {
  const pipeline = deps.catalog.pipelines[args.pipeline]!;
  if (!(await deps.permissions.canRun(who.userId, args.env))) {
    return ephemeral(`:no_entry: You are not allowed to start ${args.env} runs of ${args.pipeline}. Ask someone in \`permissions.run.${args.env}\`.`);
  }
  const side = args.on ? sideFor(args.on) : defaultSide(pipeline, await deps.stages.get(args.pipeline));
  const config = engineConfigFor(pipeline, side);
  // Render now so a missing --param is a usage error for the person, not a failed job later.
  renderEngineConfig(config, { period: args.period, params: args.params });

  const now = deps.now();
  const run: RunRecord = {
    v: 1,
    id: newRunId(now),
    pipeline: args.pipeline,
    period: args.period,
    engine: config.engine,
    side,
    env: args.env,
    params: args.params,
    requestedBy: who.userId,
    channel: pipeline.channel,
    state: 'queued',
    tasks: [],
    failures: [],
    createdAt: now,
    updatedAt: now,
    version: 1,
    repairs: 0,
  };
  await deps.runs.create(run, { actor: who.userId, actorName: who.userName, action: 'run.created' });
  await deps.queues.submit(run.id);
  await deps.queues.status(run.id, { immediate: true });
  return ephemeral(`:rocket: Run \`${run.id}\` of *${args.pipeline}* (${args.period}) is queued on ${config.engine}. Its status is in <#${pipeline.channel}>.`);
}
