import { buildHistoryView } from '../slack/index.ts';
import type { CommandArgs } from './parse-command.ts';
import { ephemeral, type CommandDeps, type Reply } from './command-deps.ts';

type HistoryArgs = Extract<CommandArgs, { cmd: 'history' }>;

/** `/pipeline history`: the last parallel runs with legacy vs Databricks durations, verdicts and mismatch counts. */
export async function historyCommand(args: HistoryArgs, deps: CommandDeps): Promise<Reply> {
  const list = await deps.parallels.listByPipeline(args.pipeline, 10);
  const items = await Promise.all(
    list.map(async (p) => ({
      p,
      legacy: p.legacyRunId ? await deps.runs.get(p.legacyRunId) : undefined,
      target: p.targetRunId ? await deps.runs.get(p.targetRunId) : undefined,
    })),
  );
  const view = buildHistoryView(args.pipeline, items, deps.now());
  return ephemeral(view.text, view.blocks);
}
