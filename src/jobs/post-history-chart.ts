import type { Job } from 'bullmq';
import { historyChartSpec, historySeries, renderChart } from '../charts/index.ts';
import { safeName } from '../slack/report-files.ts';
import type { JobDeps } from './job-deps.ts';
import { sendPrivately } from './send-privately.ts';

/** Periods drawn: two years of monthly runs still read on a phone. */
export const CHART_RUNS = 48;

/**
 * The `/pipeline history` chart: duration and cost per period for both sides and the parallel-run
 * verdicts, rendered server-side to PNG and sent to the asker. Nothing to draw, nothing sent.
 */
export async function postHistoryChart(deps: JobDeps, job: Job<{ pipeline: string; to: { user: string } }>): Promise<void> {
  const { pipeline, to } = job.data;
  const points = await historyPoints(deps, pipeline, CHART_RUNS);
  const { rows, verdicts } = historySeries(points);
  if (verdicts.length === 0) return;
  const chart = await renderChart(historyChartSpec(pipeline, rows, verdicts));
  await sendPrivately(deps, to.user, {
    filename: `${safeName(pipeline)}-history.png`,
    title: `${pipeline}: duration and cost per period`,
    content: chart.png,
    comment: `Duration and cost per period of *${pipeline}*, legacy vs Databricks (latest parallel run of each period, cost at list price), with the parallel-run verdicts.`,
  });
}

/** The pipeline's latest parallel runs with their two runs. */
export async function historyPoints(deps: Pick<JobDeps, 'parallels' | 'runs'>, pipeline: string, limit: number) {
  const list = await deps.parallels.listByPipeline(pipeline, limit);
  return Promise.all(
    list.map(async (p) => ({
      p,
      legacy: p.legacyRunId ? await deps.runs.get(p.legacyRunId) : undefined,
      target: p.targetRunId ? await deps.runs.get(p.targetRunId) : undefined,
    })),
  );
}
