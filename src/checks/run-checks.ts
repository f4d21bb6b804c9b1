import { periodSchema, type Check, type Dataset, type Output } from '../config/catalog-schema.ts';
import { resolveParams } from '../config/params.ts';
import type { TemplateValues } from '../config/template.ts';
import type { DatasetSource } from '../datasets/index.ts';
import { datasetLabel, renderDataset } from '../datasets/render-dataset.ts';
import { withDuckDb, type DuckDbSession } from '../diff/index.ts';
import { asCodedError, isCodedError, UsageError } from '../errors.ts';
import { checkKind, checkLabel, compileCheck } from './compile-check.ts';
import { describeFailure } from './describe-failure.ts';
import { executeCheck } from './execute-check.ts';
import { createOutputSources, type OutputSource } from './output-sources.ts';
import type { CheckResult, RunChecksInput, RunChecksResult } from './types.ts';

/**
 * Runs every check of the pipeline's outputs on one side (the target by default) for one
 * period. The bot's jobs and `cutover dq` both call this. Templates are rendered first, so a
 * missing `--param` fails the whole call as a usage error; after that, a permanent failure of
 * one check (unreadable or corrupt dataset, bad SQL, a type mismatch) becomes that check's
 * `error` and the others still run. A transient one (S3 or the warehouse unreachable: a
 * retryable coded error) and cancellation (`signal`) stop the run, so the job retries it rather
 * than reporting a data problem that is not there.
 */
export async function runChecks(input: RunChecksInput): Promise<RunChecksResult> {
  const side = input.side ?? 'target';
  if (!periodSchema.safeParse(input.period).success) throw new UsageError(`period "${input.period.slice(0, 20)}" is not YYYY-MM`);
  // The same rules as a run's: declared params only, each matching its pattern, defaults filled in.
  const params = resolveParams(input.pipelineName, input.pipeline, input.params);
  const values: TemplateValues = { period: input.period, params };
  const checked = input.pipeline.outputs.filter((o) => o.checks.length > 0);
  // Only outputs a check reads are rendered: a param used by some other output is not needed here.
  const needed = new Set(checked.flatMap((o) => [o.name, ...o.checks.flatMap((c) => ('relationships' in c ? [c.relationships.to.output] : []))]));
  const datasets = new Map(input.pipeline.outputs.filter((o) => needed.has(o.name)).map((o) => [o.name, renderDataset(o[side], values)]));
  // Tables run on the warehouse when there is one; without it they too are read into DuckDB (Unity Catalog).
  const needsDuckDb = checked.some((o) => usesPaths(o, datasets)) || (!input.warehouse && input.access?.unityCatalog !== undefined);

  const runAll = async (session?: DuckDbSession): Promise<CheckResult[]> => {
    const source = createOutputSources({ datasets, session, warehouse: input.warehouse, access: { ...input.access, signal: input.signal }, run: input.run });
    const results: CheckResult[] = [];
    for (const output of checked) {
      for (const check of output.checks) results.push(await runOne(output, check, source, { ...input, params }));
    }
    return results;
  };
  const checks = needsDuckDb ? await withDuckDb({ ...input.engine, signal: input.signal }, runAll) : await runAll();
  return { passed: checks.every((c) => c.passed), checks };
}

/** `no target data for 2025-01 at s3://bucket/out/2025-01/` (the rendered location), with the reader's reason. */
export function missingText(side: 'legacy' | 'target', period: string, dataset: Dataset, input: Pick<RunChecksInput, 'params'>, reason: string): string {
  let where: string;
  try {
    const d = renderDataset(dataset, { period, params: input.params ?? {} });
    where = datasetLabel(d);
  } catch {
    where = datasetLabel(dataset);
  }
  // The reader's words only when they add something (`no parquet files under <the same path>` does not).
  return `no ${side} data for ${period} at ${where}${reason.includes(where.replace(/\/+$/, '')) ? '' : ` (${reason})`}`;
}

async function runOne(output: Output, check: Check, source: (name: string) => Promise<OutputSource>, input: RunChecksInput): Promise<CheckResult> {
  const started = performance.now();
  const base = { output: output.name, check: checkLabel(check), kind: checkKind(check) };
  let sql = '';
  let values: Record<string, string> | undefined;
  let engine: OutputSource['engine'] | undefined;
  try {
    const own = await source(output.name);
    engine = own.engine;
    const parentRelation = 'relationships' in check ? await parentOf(check.relationships.to.output, own, source) : undefined;
    const compiled = compileCheck(check, {
      dialect: own.dialect,
      relation: own.relation,
      parentRelation,
      now: input.now ?? Date.now(),
      period: input.period,
      params: input.params ?? {},
    });
    sql = compiled.sql;
    if ('values' in compiled && compiled.values) values = compiled.values;
    const outcome = await executeCheck(compiled, own.query, own.dialect, {
      history: input.history,
      pipeline: input.pipelineName,
      output: output.name,
      period: input.period,
    });
    const summary = outcome.passed ? undefined : describeFailure(check, outcome.samples);
    return { ...base, ...outcome, ...(summary ? { summary } : {}), sql, ...(values ? { values } : {}), engine, durationMs: elapsed(started) };
  } catch (err) {
    if (input.signal?.aborted) throw input.signal.reason;
    // Only an error known to be transient is retried; anything else is this check's own failure.
    if (isCodedError(err) && err.retryable) throw err;
    const coded = asCodedError(err);
    // No data at all is not bad data: say where it was looked for, and mark it so it opens no alert.
    const missing = coded.code === 'not_found' ? missingText(input.side ?? 'target', input.period, output[input.side ?? 'target'], input, coded.message) : undefined;
    return { ...base, passed: false, failingRows: 0, samples: [], sql, ...(values ? { values } : {}), engine, error: missing ?? coded.message, ...(missing ? { missing } : {}), durationMs: elapsed(started) };
  }
}

/** The referenced output's relation; it must live in the same engine to be joined. */
async function parentOf(name: string, own: OutputSource, source: (name: string) => Promise<OutputSource>): Promise<string> {
  const parent = await source(name);
  if (parent.engine !== own.engine) {
    throw new UsageError(`output "${name}" is ${parent.engine === 'duckdb' ? 'a path' : 'a table'} and this one is not: relationships need both in the same engine`);
  }
  return parent.relation;
}

/** True when any check of the output reads a dataset DuckDB reads (any but a `table:`; its own or a relationship's). */
function usesPaths(output: Output, datasets: ReadonlyMap<string, DatasetSource>): boolean {
  const isPath = (name: string) => {
    const d = datasets.get(name);
    return d !== undefined && !('table' in d);
  };
  return isPath(output.name) || output.checks.some((c) => 'relationships' in c && isPath(c.relationships.to.output));
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
