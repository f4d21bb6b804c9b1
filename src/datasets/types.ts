import type { SchemaColumn } from '../diff/column-plan.ts';

/**
 * The formats a `path:` side can be read as (DESIGN.md "Dataset sources and formats").
 * Without an explicit format a folder or prefix holding `_delta_log/` is `delta`, anything
 * else `parquet`.
 */
export type FileFormat = 'parquet' | 'csv' | 'delta' | 'unload';

/** Text options of `csv` and `unload` sides (the catalog's `csv:` block, the CLI's `--csv-*`). */
export interface CsvOptions {
  /** First row names the columns. Default true for `csv`, false for `unload`. */
  header?: boolean;
  /** Default `,` for `csv`, `|` for `unload`. */
  delimiter?: string;
  /** The text that means NULL. Default: an empty field. */
  null?: string;
  /** Default `"`. */
  quote?: string;
  /** Backslash escapes (Redshift `ESCAPE`): `true` for `\`, a character, or false. */
  escape?: string | boolean;
}

/** Which Delta snapshot to read: a version number, the newest, or the one a parallel run's job committed. */
export type DeltaVersion = number | 'latest' | 'run';

/** A dataset on disk or in S3: a file, a folder, a glob, or `s3://bucket/prefix/`. */
export interface FileDataset {
  path: string;
  /** Undefined: detected (`delta` when `_delta_log/` is there, else `parquet`). */
  format?: FileFormat;
  csv?: CsvOptions;
  /** Delta only. Default `latest` (`run` for a parallel run's Databricks side, set by the caller). */
  version?: DeltaVersion;
}

/** A Unity Catalog table (`catalog.schema.table`). */
export interface TableDataset {
  table: string;
  version?: DeltaVersion;
}

/** A Glue Data Catalog table (`database.table`), its partition values already rendered. */
export interface GlueDataset {
  glue: string;
  /** Partition column → value: only the partitions GetPartitions finds for these are read. */
  partition?: Record<string, string>;
  catalogId?: string;
}

/**
 * A Redshift table, read through the Data API. Once rendered, `where` holds `:name` markers and
 * `parameters` their values (bound, never pasted); `unload.to` still holds `{{run}}`, which
 * each UNLOAD replaces with its own id.
 */
export interface RedshiftDataset {
  redshift: string;
  where?: string;
  parameters?: Record<string, string>;
  columns?: string[];
  clusterIdentifier?: string;
  workgroupName?: string;
  database?: string;
  secretArn?: string;
  dbUser?: string;
  unload?: { to: string; iamRole: string; format: 'parquet' | 'text' };
  directRowsUnder?: number;
}

export type DatasetSource = FileDataset | TableDataset | GlueDataset | RedshiftDataset;

/**
 * What a reader actually read, for the report (`source: { format, version, committedAt }` per
 * side) so people can tell which snapshot a verdict is about.
 */
export interface SourceInfo {
  /** `result`: rows read straight from a Redshift statement's result pages (a small table). */
  format: FileFormat | 'result';
  /** Delta: the snapshot's version. */
  version?: number;
  /** Delta: the commit time of that version, ISO 8601. */
  committedAt?: string;
  /** Where it was read from, when resolved from something else (a Unity Catalog table, a Glue table). */
  location?: string;
  /** What the catalog named, when it is not a path: `glue analytics.insights (period=2026-04)`, `redshift finance.revenue`. */
  from?: string;
}

/** Options of one registration that depend on the other side of a diff. */
export interface RegisterOptions {
  /**
   * The other side's columns (minus ignored ones): an `unload` or header-less `csv` side without
   * names takes them by position and casts its text to their types.
   */
  like?: SchemaColumn[];
  /**
   * Text read as a type (CSV, UNLOAD, partition folders): keep values that do not parse in extra
   * columns (`SchemaColumn.unparsed`) so the diff reports each with its key. Unset (the DQ
   * checks), such a value fails the registration with an error naming the column and file.
   */
  keepUnparsed?: boolean;
  /**
   * The Databricks job run of a parallel run, for `version: run`: the version that run committed
   * (its commitInfo names the job run), else the newest one committed inside its time window.
   * Without it, `run` reads `latest`.
   */
  run?: JobRunWindow;
}

/** A Databricks job run as a Delta reader needs it: its `run_id` and when it ran (epoch ms). */
export interface JobRunWindow {
  jobRunId?: string;
  startedAt: number;
  /** Default: now (still running). */
  endedAt?: number;
}
