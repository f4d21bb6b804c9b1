import { catalogVersionOf } from '../cutover/gates.ts';
import type { ParallelRecord } from '../store/parallel-record.ts';
import { newParallelId, TooManyDiffsError } from '../store/parallel-store.ts';
import type { CommandArgs } from './parse-command.ts';
import { ephemeral, type CommandDeps, type Invoker, type Reply } from './command-deps.ts';
import { newRunRecord } from './new-run-record.ts';

type ParallelArgs = Extract<CommandArgs, { cmd: 'parallel' }>;
type DiffArgs = Extract<CommandArgs, { cmd: 'diff' }>;

/**
 * `/pipeline parallel`: one legacy and one Databricks run of the same period, started
 * together. When both end, a diff job compares every output and runs DQ on the target
 * (src/jobs/advance-parallel.ts). Parallel runs are QA runs, so the `dev` rules apply.
 */
export async function parallelCommand(args: ParallelArgs, who: Invoker, deps: CommandDeps): Promise<Reply> {
  const pipeline = deps.catalog.pipelines[args.pipeline]!;
  if (!pipeline.legacy) return ephemeral(`:warning: ${args.pipeline} has no legacy engine, so there is nothing to run in parallel.`);
  if (!(await deps.permissions.canRun(who.userId, 'dev'))) return ephemeral(`:no_entry: You are not allowed to start runs of ${args.pipeline}.`);
  const now = deps.now();
  const id = newParallelId(now);
  const base = { pipelineName: args.pipeline, pipeline, period: args.period, params: {}, env: 'dev' as const, requestedBy: who.userId, now, parallelId: id };
  const legacy = newRunRecord({ ...base, side: 'legacy' });
  const target = newRunRecord({ ...base, side: 'target' });
  // One write: the parallel run, both runs and their audit events, and the intake entries that start them and post the message.
  await deps.parallels.create(parallelRecord(id, 'parallel', args, who, pipeline.channel, now, { legacyRunId: legacy.id, targetRunId: target.id }, catalogVersionOf(pipeline)), { actor: who.userId, actorName: who.userName, action: 'parallel.created' }, {
    records: [legacy, target],
    who: { actor: who.userId, actorName: who.userName, action: 'run.created' },
  });
  deps.crashPoint?.('parallel.recorded');
  return ephemeral(`:twisted_rightwards_arrows: Parallel run \`${id}\` of *${args.pipeline}* (${args.period}) started on ${legacy.engine} and ${target.engine}; the comparison will be in <#${pipeline.channel}>.`);
}

/** `/pipeline diff`: compares the outputs already written for a period, without new runs. */
export async function diffCommand(args: DiffArgs, who: Invoker, deps: CommandDeps): Promise<Reply> {
  const pipeline = deps.catalog.pipelines[args.pipeline]!;
  // A diff downloads both outputs and stores a report and CSVs: not for anyone who can type (issue 14 finding 10).
  if (!(await deps.permissions.may('diff', who.userId, args.pipeline))) {
    return ephemeral(`:no_entry: Diffs of ${args.pipeline} are for \`permissions.diff\` (or, without it, the pipeline's owners and \`permissions.run.prod\`).`);
  }
  if (pipeline.outputs.length === 0) return ephemeral(`:warning: ${args.pipeline} declares no outputs to compare.`);
  const now = deps.now();
  const id = newParallelId(now);
  const max = deps.maxDiffsPerUser ?? 2;
  // The intake entry of the same write starts the diff and posts the message; the same write takes one of the user's diff slots.
  try {
    await deps.parallels.create({ ...parallelRecord(id, 'diff', args, who, pipeline.channel, now, {}, catalogVersionOf(pipeline)), state: 'diffing' }, { actor: who.userId, actorName: who.userName, action: 'parallel.created' }, undefined, max);
  } catch (err) {
    if (!(err instanceof TooManyDiffsError)) throw err;
    return ephemeral(`:hourglass_flowing_sand: You already have ${max} diff${max === 1 ? '' : 's'} running, the most one person may run at once; try again when one has finished.`);
  }
  return ephemeral(`:mag: Comparing the ${args.period} outputs of *${args.pipeline}* (\`${id}\`); the report will be in <#${pipeline.channel}>.`);
}

function parallelRecord(
  id: string,
  kind: ParallelRecord['kind'],
  args: { pipeline: string; period: string },
  who: Invoker,
  channel: string,
  now: number,
  runs: Pick<ParallelRecord, 'legacyRunId' | 'targetRunId'>,
  catalogVersion: string,
): ParallelRecord {
  return { v: 1, id, kind, pipeline: args.pipeline, period: args.period, requestedBy: who.userId, channel, ...runs, state: 'running', outputs: {}, createdAt: now, updatedAt: now, version: 1, catalogVersion };
}
