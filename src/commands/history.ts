import { buildHistoryView } from '../slack/index.ts';
import type { CommandArgs } from './parse-command.ts';
import { ephemeral, type CommandDeps, type Invoker, type Reply } from './command-deps.ts';

type HistoryArgs = Extract<CommandArgs, { cmd: 'history' }>;

/** `/pipeline history`: the last parallel runs with legacy vs Databricks durations, verdicts and mismatch counts. */
export async function historyCommand(args: HistoryArgs, deps: CommandDeps, who?: Invoker): Promise<Reply> {
  const list = await deps.parallels.listByPipeline(args.pipeline, 10);
  const items = await Promise.all(
    list.map(async (p) => ({
      p,
      legacy: p.legacyRunId ? await deps.runs.get(p.legacyRunId) : undefined,
      target: p.targetRunId ? await deps.runs.get(p.targetRunId) : undefined,
    })),
  );
  const chart = Boolean(who) && items.some((i) => i.p.kind === 'parallel' && i.p.state === 'done');
  // The chart is drawn by a job (rendering is CPU work, and uploading is a Slack call) and sent to the asker.
  if (who && chart) await deps.queues.historyChart(args.pipeline, { user: who.userId }, `hchart-${args.pipeline}-${who.userId}-${deps.now()}`);
  const view = buildHistoryView(args.pipeline, items, deps.now(), { chart });
  return ephemeral(view.text, view.blocks);
}
