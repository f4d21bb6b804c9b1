import { buildListView } from '../slack/index.ts';
import { ephemeral, type CommandDeps, type Reply } from './command-deps.ts';

/** `/pipeline list`: every pipeline with its stage and last run. */
export async function listCommand(deps: CommandDeps): Promise<Reply> {
  const items = await Promise.all(
    Object.entries(deps.catalog.pipelines).map(async ([name, p]) => ({
      name,
      description: p.description,
      stage: await deps.stages.get(name),
      channel: p.channel,
      lastRun: (await deps.runs.listByPipeline(name, 1))[0],
    })),
  );
  const view = buildListView(items, deps.now());
  return ephemeral(view.text, view.blocks);
}
