import type { DiffReport } from '../diff/types.ts';
import { assertPiiConfig, piiPolicyFor, piiPolicyForPipeline, PiiPolicy, type PiiCatalog } from './policy.ts';
import { protectCheckResult, protectDiffReport, protectErrorText, protectMismatchCsv, type ProtectableCheck } from './protect.ts';

/**
 * The bot's protector: policies from the catalog and `CUTOVER_PII_KEY`, looked up by
 * pipeline and output name and cached. Never shows raw values (`pii.default: show` = mask).
 * Structurally the `SampleProtector` of src/jobs/job-deps.ts.
 */
export interface CatalogSampleProtector {
  /** A DQ check result or summary of one: sample rows and quoted values in `error`; pipeline-wide policy. */
  checkResult<C extends ProtectableCheck>(pipeline: string, check: C): C;
  diffReport<R extends DiffReport>(pipeline: string, output: string, report: R): R;
  /** The mismatched-rows CSV; throws on text that is not the exporter's CSV (fail closed). */
  csv(pipeline: string, output: string, csv: string): string;
  /** The policy used for one output, or for a pipeline's DQ samples when `output` is omitted. */
  /** Quoted values in an engine's error message about one output (DuckDB quotes what it could not convert). */
  errorText(pipeline: string, output: string, text: string): string;
  /** Quoted values in what a run's engine says (task errors, traces, log tails): the pipeline's union of `pii` lists. */
  engineText(pipeline: string, text: string): string;
  policy(pipeline: string, output?: string): PiiPolicy;
}

/**
 * Throws ConfigError at once when the catalog says `pii.default: hash` and `piiKey` is missing or
 * shorter than 16 characters, so the app fails at start-up, not on the first diff.
 * An unknown pipeline or output (the catalog changed under a stored job) gets the union of every
 * `pii` list in the pipeline, or in the whole catalog: more masking, never less.
 */
export function createCatalogSampleProtector(catalog: PiiCatalog, piiKey: string | undefined): CatalogSampleProtector {
  assertPiiConfig(catalog, piiKey);
  const options = { key: piiKey };
  const mode = catalog.pii?.default ?? 'mask';
  const cache = new Map<string, PiiPolicy>();
  const everything = () => new PiiPolicy(Object.values(catalog.pipelines).flatMap((p) => p.outputs.flatMap((o) => o.pii)), mode, options);
  const policy = (pipeline: string, output?: string): PiiPolicy => {
    const id = JSON.stringify([pipeline, output ?? null]);
    const cached = cache.get(id);
    if (cached) return cached;
    const p = catalog.pipelines[pipeline];
    let found: PiiPolicy;
    if (!p) found = everything();
    else if (output !== undefined && p.outputs.some((o) => o.name === output)) found = piiPolicyFor(catalog, output, { ...options, pipeline });
    else found = piiPolicyForPipeline(catalog, pipeline, options);
    cache.set(id, found);
    return found;
  };
  return {
    checkResult: (pipeline, check) => protectCheckResult(check, policy(pipeline)),
    diffReport: (pipeline, output, report) => protectDiffReport(report, policy(pipeline, output)),
    csv: (pipeline, output, csv) => protectMismatchCsv(csv, policy(pipeline, output)),
    errorText: (pipeline, output, text) => protectErrorText(policy(pipeline, output), text),
    engineText: (pipeline, text) => protectErrorText(policy(pipeline), text),
    policy,
  };
}
