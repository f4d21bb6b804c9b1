import { buildBackfillView, buildParallelView, buildRunListView, buildStatusView } from '../slack/index.ts';
import { loadBackfillRuns } from '../store/backfill-runs.ts';
import type { CommandArgs } from './parse-command.ts';
import { ephemeral, type CommandDeps, type Reply } from './command-deps.ts';
import { listCommand } from './list.ts';

type StatusArgs = Extract<CommandArgs, { cmd: 'status' }>;

/**
 * `/pipeline status [<pipeline>|<run-id>|<parallel-id>|<backfill-id>]`: one run, parallel run
 * or backfill as its message shows it, a pipeline's latest runs, or the overview.
 */
export async function statusCommand(args: StatusArgs, deps: CommandDeps): Promise<Reply> {
  if (args.parallelId) {
    const p = await deps.parallels.get(args.parallelId);
    if (!p) return ephemeral(`:mag: No parallel run with id \`${args.parallelId}\`. \`/pipeline history <pipeline>\` lists them.`);
    const [legacy, target] = await Promise.all([p.legacyRunId ? deps.runs.get(p.legacyRunId) : undefined, p.targetRunId ? deps.runs.get(p.targetRunId) : undefined]);
    const view = buildParallelView(p, legacy, target, deps.now());
    return ephemeral(view.text, view.blocks);
  }
  if (args.backfillId) {
    const b = await deps.backfills.get(args.backfillId);
    if (!b) return ephemeral(`:mag: No backfill with id \`${args.backfillId}\`.`);
    const view = buildBackfillView(b, await loadBackfillRuns(deps.runs, b), deps.now());
    return ephemeral(view.text, view.blocks);
  }
  if (args.runId) {
    const run = await deps.runs.get(args.runId);
    if (!run) return ephemeral(`:mag: No run with id \`${args.runId}\`. \`/pipeline status <pipeline>\` lists a pipeline's runs.`);
    const view = buildStatusView(run, deps.now());
    return ephemeral(view.text, view.blocks);
  }
  if (args.pipeline) {
    const view = buildRunListView(await deps.runs.listByPipeline(args.pipeline, 10), deps.now());
    return ephemeral(view.text, view.blocks);
  }
  return listCommand(deps);
}
