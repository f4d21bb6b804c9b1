import { buildRunListView, buildStatusView } from '../slack/index.ts';
import type { CommandArgs } from './parse-command.ts';
import { ephemeral, type CommandDeps, type Reply } from './command-deps.ts';
import { listCommand } from './list.ts';

type StatusArgs = Extract<CommandArgs, { cmd: 'status' }>;

/** `/pipeline status [<pipeline>|<run-id>]`: one run, a pipeline's latest runs, or the overview. */
export async function statusCommand(args: StatusArgs, deps: CommandDeps): Promise<Reply> {
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
