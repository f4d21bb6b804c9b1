import { defaultSide, engineConfigFor, sideFor } from '../engines/resolve-engine.ts';
import { periodsBetween, type BackfillRecord } from '../store/backfill-record.ts';
import { newBackfillId } from '../store/backfill-store.ts';
import { ephemeral, type CommandDeps, type Invoker, type Reply } from './command-deps.ts';
import { newRunRecord } from './new-run-record.ts';
import type { CommandArgs } from './parse-command.ts';

type BackfillArgs = Extract<CommandArgs, { cmd: 'backfill' }>;

/**
 * `/pipeline backfill`: records the backfill with every period waiting. Its record reaches the
 * workers' intake in the same Redis script, and their advance job starts the oldest periods
 * (src/jobs/advance-backfill.ts) and posts the one parent message. The same permission as
 * `/pipeline run` applies to the chosen env.
 */
export async function backfillCommand(args: BackfillArgs, who: Invoker, deps: CommandDeps): Promise<Reply> {
  const pipeline = deps.catalog.pipelines[args.pipeline]!;
  if (!(await deps.permissions.canRun(who.userId, args.env))) {
    return ephemeral(`:no_entry: You are not allowed to start ${args.env} runs of ${args.pipeline}. Ask someone in \`permissions.run.${args.env}\`.`);
  }
  const side = args.on ? sideFor(args.on) : defaultSide(pipeline, await deps.stages.get(args.pipeline));
  const now = deps.now();
  const periods = periodsBetween(args.from, args.to);
  // Rendering one period now makes a template problem a usage error here, not N failed runs later.
  newRunRecord({ pipelineName: args.pipeline, pipeline, side, period: args.from, params: {}, env: args.env, requestedBy: who.userId, now });
  const record: BackfillRecord = {
    v: 1,
    id: newBackfillId(now),
    pipeline: args.pipeline,
    from: args.from,
    to: args.to,
    side,
    engine: engineConfigFor(pipeline, side, args.env).engine,
    env: args.env,
    concurrency: args.concurrency,
    continueOnFailure: args.continueOnFailure,
    requestedBy: who.userId,
    channel: pipeline.channel,
    periods: periods.map((period) => ({ period, status: 'waiting', earlierRunIds: [] })),
    state: 'running',
    retries: 0,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  await deps.backfills.create(record, { actor: who.userId, actorName: who.userName, action: 'backfill.created' });
  const n = periods.length;
  const onFailure = args.continueOnFailure ? 'going on past failures' : 'stopping at the first failure';
  return ephemeral(
    `:calendar: Backfill \`${record.id}\` of *${args.pipeline}*: ${n} period${n === 1 ? '' : 's'} from ${args.from} to ${args.to} on ${record.engine} (${args.env}), ` +
      `at most ${args.concurrency} at a time, ${onFailure}. Progress is in <#${pipeline.channel}>.`,
  );
}
