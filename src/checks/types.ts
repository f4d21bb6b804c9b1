import type { Check, Pipeline } from '../config/catalog-schema.ts';
import type { DatasetAccess, JobRunWindow } from '../datasets/index.ts';
import type { EngineOptions, WarehouseQuery } from '../diff/index.ts';
import type { RowCountHistory } from './row-count-history.ts';

/** The check's kind: the catalog key it was declared with (`not_null`, `unique`, …). */
export type CheckKind = KeysOf<Check> & string;
type KeysOf<T> = T extends unknown ? keyof T : never;

/** One sample failing row: plain JSON, every value a string, a number or null. */
export type SampleRow = Record<string, string | number | null>;

/** What one check found. The `cutover dq --json` contract fixes output, check, passed, failingRows, samples. */
export interface CheckResult {
  /** The catalog output the check belongs to. */
  output: string;
  /** A short label for people, e.g. `not_null(customer_id)`. */
  check: string;
  kind: CheckKind;
  passed: boolean;
  /** Rows the check's query returned (for `unique`: duplicated keys; for `row_count`: 1 when out of bounds). */
  failingRows: number;
  /** Up to 5 failing rows. */
  samples: SampleRow[];
  /** The query whose rows are the failures (or the count query), as it ran; '' if it never compiled. */
  sql: string;
  /** What the query's parameter markers (`$name` / `:name`) were bound to: `{{period}}` and `{{param.X}}`. */
  values?: Record<string, string>;
  durationMs: number;
  engine?: 'duckdb' | 'databricks';
  /** Set when the check could not run (bad SQL, missing dataset…); such a check never passes. */
  error?: string;
  /**
   * Set when the check could not run because its data is not there at all (a NotFoundError):
   * `no target data for 2025-01 at s3://…`. Missing data is its own outcome, never a DQ failure:
   * the bot leaves such checks out of the alert (src/jobs/record-dq-result.ts). `error` says the same.
   */
  missing?: string;
  /** Context for a pass that compared nothing, e.g. `row_count_change` on a first run. */
  note?: string;
  /** A failure of a check that counts rows, in words (`7 rows, at least 100 expected`); shown instead of failing rows. */
  summary?: string;
}

export interface RunChecksResult {
  passed: boolean;
  checks: CheckResult[];
}

export interface RunChecksInput {
  pipeline: Pipeline;
  /** The catalog key of the pipeline; history is kept under it. */
  pipelineName: string;
  /** `YYYY-MM`, for `{{period}}` in paths and SQL. */
  period: string;
  /** Values for `{{param.NAME}}`. Default none. */
  params?: Record<string, string>;
  /** Which side's datasets are checked. Default `target`. */
  side?: 'target' | 'legacy';
  /** S3 and download settings for `path:` outputs. */
  access?: DatasetAccess;
  /** A Databricks SQL warehouse for `table:` outputs; without it they are read through Unity Catalog (`access.unityCatalog`), or fail with an error. */
  warehouse?: WarehouseQuery;
  /** The Databricks job run that wrote the checked side (a parallel run): what `version: run` resolves against. */
  run?: JobRunWindow;
  /** Row counts of earlier periods, for `row_count_change`; without it that check passes with a note. */
  history?: RowCountHistory;
  /** The clock `freshness` compares with. Default `Date.now()`. */
  now?: number;
  /** DuckDB memory, threads and scratch folder. */
  engine?: EngineOptions;
  /** Cancels the running query and stops the remaining checks. */
  signal?: AbortSignal;
}
