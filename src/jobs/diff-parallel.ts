import { UnrecoverableError, type Job } from 'bullmq';
import { runChecks } from '../checks/index.ts';
import type { Output } from '../config/catalog-schema.ts';
import { resolveParams } from '../config/params.ts';
import type { TemplateValues } from '../config/template.ts';
import { datasetLabel, renderDataset } from '../datasets/render-dataset.ts';
import type { DatasetSource } from '../datasets/types.ts';
import { compareOptionsOf, differingShare, diffOutput } from '../diff/diff-output.ts';
import { exportMismatchedRows } from '../diff/mismatch-rows.ts';
import type { DiffReport } from '../diff/types.ts';
import type { JobRunWindow } from '../datasets/types.ts';
import { asCodedError } from '../errors.ts';
import type { DqSummary, OutputSummary, ParallelRecord } from '../store/parallel-record.ts';
import { BOT, type JobDeps } from './job-deps.ts';
import { missingOutputs, recordChecksResult } from './record-dq-result.ts';

/**
 * Diffs every output of a parallel run, then runs the DQ checks on the target outputs, and
 * gives the verdict. Each output's result is stored as soon as it is known, so a worker that
 * dies mid-way resumes with the outputs not yet done. A transient error (S3, the warehouse)
 * is retried by BullMQ; a permanent one (no data at the path, bad types) becomes that
 * output's `error`, which makes the verdict `different`.
 */
export async function diffParallel(deps: JobDeps, job: Job<{ parallelId: string }>, signal?: AbortSignal): Promise<void> {
  const { parallels, queues } = deps;
  let p = await parallels.require(job.data.parallelId);
  if (p.state === 'done') return;
  const pipeline = deps.catalog.pipelines[p.pipeline];
  if (!pipeline) throw new UnrecoverableError(`pipeline ${p.pipeline} is no longer in the catalog`);

  const earlier = (await parallels.listByPipeline(p.pipeline, 10)).filter((e) => e.id !== p.id);
  // Parallel runs take no --param: the declared defaults are their values.
  const values: TemplateValues = { period: p.period, params: resolveParams(p.pipeline, pipeline) };
  const run = await databricksRun(deps, p);
  for (const output of pipeline.outputs) {
    if (p.outputs[output.name]) continue; // done before a restart
    // A location that cannot be rendered (a param without a default) is this output's error.
    const summary = await Promise.resolve().then(() => diffOne(deps, rendered(output, values), lastShare(earlier, output.name), run, signal)).then(
      async (report) => {
        // Samples leave the engine here: PII columns are masked or hashed before they are stored.
        await parallels.saveReport(p.id, output.name, deps.protect.diffReport(p.pipeline, output.name, report));
        const csv = report.verdict === 'clean' ? undefined : await mismatchCsv(deps, p.pipeline, pinned(rendered(output, values), report), signal);
        if (csv) await parallels.saveCsv(p.id, output.name, csv);
        return summarize(output.name, report);
      },
      (err: unknown) => {
        const coded = asCodedError(err);
        if (coded.retryable) throw coded;
        // No data on a side is its own outcome (issue 15 item 6): not "different", not an engine error.
        if (coded.code === 'not_found') {
          return { output: output.name, verdict: 'missing', topColumns: [], error: deps.protect.errorText(p.pipeline, output.name, missingSideText(rendered(output, values), p.period, coded.message)) } satisfies OutputSummary;
        }
        return { output: output.name, verdict: 'error', topColumns: [], error: deps.protect.errorText(p.pipeline, output.name, coded.message) } satisfies OutputSummary;
      },
    );
    p = await parallels.update(p.id, (cur) => ({ ...cur, outputs: { ...cur.outputs, [output.name]: summary } }), { ...BOT, action: 'parallel.diff' });
    await queues.parallelStatus(p.id);
  }

  const dq = p.kind === 'parallel' || pipeline.outputs.some((o) => o.checks.length > 0) ? await checks(deps, p, run, signal) : undefined;
  const verdict = verdictOf(p, dq);
  await parallels.update(p.id, (cur) => (cur.state === 'done' ? undefined : { ...cur, dq, ...verdict, state: 'done', endedAt: deps.now() }), { ...BOT, action: 'parallel.verdict' });
  await queues.parallelStatus(p.id, { immediate: true });
  await queues.parallelDetails(p.id);
  // A new verdict is new evidence for the cutover gates: approvals given on the old one lapse.
  await queues.cutoverRevalidate(p.pipeline);
}

/**
 * The Databricks job run of a parallel run (what `version: run` resolves against): its `run_id`
 * and when it ran. Undefined for `/pipeline diff`, which diffs what is there now.
 */
async function databricksRun(deps: JobDeps, p: ParallelRecord): Promise<JobRunWindow | undefined> {
  if (p.kind !== 'parallel' || !p.targetRunId) return undefined;
  const r = await deps.runs.get(p.targetRunId);
  if (!r || r.engine !== 'databricks') return undefined;
  return { jobRunId: r.externalId, startedAt: r.startedAt ?? r.createdAt, endedAt: r.endedAt };
}

/** A catalog output whose dataset locations are rendered for one period. */
type RenderedOutput = Omit<Output, 'legacy' | 'target'> & { legacy: DatasetSource; target: DatasetSource };

/** The CSV reads the snapshots the diff read, even if a commit landed in between. */
function pinned(output: RenderedOutput, report: DiffReport): RenderedOutput {
  const pin = (d: DatasetSource, version: number | undefined) => (version === undefined || !('path' in d || 'table' in d) ? d : { ...d, version });
  return { ...output, legacy: pin(output.legacy, report.sources?.legacy.version), target: pin(output.target, report.sources?.target.version) };
}

/** Up to 10,000 mismatched rows for the report file; not for outputs diffed in the warehouse (their rows stay there). */
async function mismatchCsv(deps: JobDeps, pipeline: string, output: RenderedOutput, signal?: AbortSignal): Promise<string | undefined> {
  if (output.engine === 'warehouse' || ('table' in output.legacy && 'table' in output.target)) return undefined;
  try {
    // Protected here, inside the try: a CSV that cannot be protected is not kept (fail closed).
    const csv = await exportMismatchedRows(
      { legacy: output.legacy, target: output.target, key: output.key, options: compareOptionsOf(output), access: deps.datasets.access, engine: deps.datasets.engine, signal },
      { limit: 10_000 },
    );
    return deps.protect.csv(pipeline, output.name, csv);
  } catch (err) {
    const reason = deps.protect.errorText(pipeline, output.name, (err as Error).message ?? String(err));
    deps.logger.warn({ reason, output: output.name }, 'could not export mismatched rows; the report goes without its CSV');
    return undefined;
  }
}

function diffOne(deps: JobDeps, output: RenderedOutput, expectedShare: number | undefined, run: JobRunWindow | undefined, signal?: AbortSignal): Promise<DiffReport> {
  return diffOutput(withRunVersion(output, run), { ...deps.datasets, run, signal, logger: deps.logger }, expectedShare);
}

/** DESIGN.md: `version: run` is the default for a parallel run's Databricks side. */
function withRunVersion<O extends { target: DatasetSource }>(output: O, run: JobRunWindow | undefined): O {
  // Only a Delta-capable side (a path or a Unity Catalog table) has versions.
  if (!run || !('path' in output.target || 'table' in output.target) || output.target.version !== undefined) return output;
  return { ...output, target: { ...output.target, version: 'run' } };
}

/**
 * The share of keys that differed in the output's latest compared parallel run (newest first):
 * a pipeline known to differ by 1 % skips the bucket pass that only pays off when it is clean.
 */
export function lastShare(earlier: ParallelRecord[], output: string): number | undefined {
  const counts = earlier.map((e) => e.outputs[output]?.counts).find((c) => c !== undefined);
  return counts && differingShare(counts);
}

/** The output with `{{period}}` (and the declared params' defaults) rendered in its dataset locations. */
function rendered(output: Output, values: TemplateValues): RenderedOutput {
  return { ...output, legacy: renderDataset(output.legacy, values), target: renderDataset(output.target, values) };
}

function summarize(output: string, r: DiffReport): OutputSummary {
  const topColumns = Object.entries(r.columns)
    .map(([column, c]) => ({ column, mismatches: c.mismatches }))
    .filter((c) => c.mismatches > 0)
    .sort((a, b) => b.mismatches - a.mismatches)
    .slice(0, 5);
  return { output, verdict: r.verdict, counts: r.counts, schema: r.schema, topColumns, durationMs: r.durationMs, sources: r.sources };
}

async function checks(deps: JobDeps, p: ParallelRecord, run: JobRunWindow | undefined, signal?: AbortSignal): Promise<DqSummary> {
  const declared = deps.catalog.pipelines[p.pipeline]!;
  // The checks read the same snapshot of the target as the diff did.
  const pipeline = { ...declared, outputs: declared.outputs.map((o) => withRunVersion(o, run)) };
  const result = await runChecks({ pipeline, pipelineName: p.pipeline, period: p.period, side: 'target', access: deps.datasets.access, warehouse: deps.datasets.warehouse, history: deps.rowCounts, run, signal });
  // The period's DQ thread hangs on the parallel run's message, like a run's on its status message.
  await recordChecksResult(deps, p.pipeline, p.period, result, { source: 'parallel', anchor: p.message });
  // Checks of outputs without data did not run: listed as missing, never as failing.
  const ran = result.checks.filter((c) => !c.missing);
  const missing = missingOutputs(result);
  return {
    passed: ran.every((c) => c.passed),
    total: ran.length,
    failing: ran.filter((c) => !c.passed).map((c) => ({ output: c.output, check: c.check, failingRows: c.failingRows, summary: c.summary })),
    ...(missing.length > 0 ? { missing } : {}),
  };
}

/**
 * DESIGN.md: `clean` only when both runs succeeded, every output is within tolerance, and DQ is
 * green. `missing` when nothing was found to differ but some output had no data on a side: the
 * comparison did not happen, which is neither clean nor different (issue 15 item 6). A real
 * difference (or a DQ failure on data that is there) still makes it `different`.
 */
export function verdictOf(p: ParallelRecord, dq: DqSummary | undefined): Pick<ParallelRecord, 'verdict' | 'verdictReason'> {
  const outputs = Object.values(p.outputs);
  const bad = outputs.filter((o) => o.verdict === 'different' || o.verdict === 'error');
  const missing = outputs.filter((o) => o.verdict === 'missing').map((o) => `${o.output}: ${o.error ?? 'no data'}`);
  const reasons = [
    ...bad.map((o) => (o.verdict === 'error' ? `${o.output} could not be compared` : `${o.output} differs`)),
    ...(dq && !dq.passed ? [`${dq.failing.length} DQ check${dq.failing.length === 1 ? '' : 's'} failing`] : []),
  ];
  if (reasons.length > 0) return { verdict: 'different', verdictReason: [...reasons, ...missing].join('; ') };
  if (missing.length > 0) return { verdict: 'missing', verdictReason: missing.join('; ') };
  return { verdict: 'clean', verdictReason: undefined };
}

/**
 * `no legacy data for 2025-01 at s3://…/2025-01/`: which side is missing, read from the reader's
 * NotFoundError, which names the location it looked in.
 */
export function missingSideText(output: Output, period: string, reason: string): string {
  const where = (d: Output['legacy']) => datasetLabel(d);
  const mentions = (d: Output['legacy']) => reason.includes(where(d).replace(/\/+$/, ''));
  const side = mentions(output.legacy) ? 'legacy' : mentions(output.target) ? 'target' : undefined;
  if (!side) return `no data for ${period}: ${reason}`;
  const at = where(output[side]);
  return `no ${side} data for ${period} at ${at}${reason.includes(at.replace(/\/+$/, '')) && /^(no \w+ files under|dataset not found)/.test(reason) ? '' : ` (${reason})`}`;
}
