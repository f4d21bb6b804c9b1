import { historyChartSpec, historySeries, renderChart } from '../charts/index.ts';
import type { Catalog } from '../config/catalog-schema.ts';
import { loadPlan } from '../cutover/load-plan.ts';
import { redactPiiFields } from '../pii/log-redaction.ts';
import type { AuditLog, StoredAuditEvent } from '../store/audit-log.ts';
import type { CutoverStore } from '../store/cutover-store.ts';
import type { DqAlertStore } from '../store/dq-alert-store.ts';
import type { ParallelStore } from '../store/parallel-store.ts';
import type { RunStore } from '../store/run-store.ts';
import type { StageStore } from '../store/stage-store.ts';
import { buildReportHtml, type ReportData } from './build-report-html.ts';

/** The stores the report reads (the bot's and the CLI's alike). */
export interface ReportSources {
  catalog: Catalog;
  runs: RunStore;
  parallels: ParallelStore;
  cutover: CutoverStore;
  dqAlerts: DqAlertStore;
  stages: StageStore;
  audit: AuditLog;
  now: () => number;
}

/** Parallel runs in the report: every one a pipeline is likely to have before going live. */
const REPORT_RUNS = 200;

/**
 * Reads everything the go-live report shows and renders it with the chart embedded. Samples
 * never reach it: the stores hold protected samples only, and the audit trail's sample-bearing
 * fields (`samples`, `keySamples`, `csv`) are replaced as in the logs.
 */
export async function buildGoLiveReport(src: ReportSources, pipeline: string, generatedBy?: string): Promise<string> {
  const config = src.catalog.pipelines[pipeline]!;
  const list = await src.parallels.listByPipeline(pipeline, REPORT_RUNS);
  const parallels = await Promise.all(
    list.map(async (p) => ({ p, legacy: p.legacyRunId ? await src.runs.get(p.legacyRunId) : undefined, target: p.targetRunId ? await src.runs.get(p.targetRunId) : undefined })),
  );
  const audit: StoredAuditEvent[] = [];
  for await (const e of src.audit.all(pipeline)) audit.push(redactPiiFields(e) as StoredAuditEvent);
  const { rows, verdicts } = historySeries(parallels);
  const chart = verdicts.length > 0 ? await renderChart(historyChartSpec(pipeline, rows, verdicts)) : undefined;
  const data: ReportData = {
    pipeline,
    description: config.description,
    stage: await src.stages.get(pipeline),
    legacyEngine: config.legacy?.engine,
    targetEngine: config.target.engine,
    parallels,
    plan: config.cutover ? await loadPlan(src, pipeline) : undefined,
    audit,
    chartDataUri: chart ? `data:image/png;base64,${chart.png.toString('base64')}` : undefined,
    generatedAt: src.now(),
    generatedBy,
  };
  return buildReportHtml(data);
}
