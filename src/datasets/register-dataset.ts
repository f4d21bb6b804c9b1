import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { GlueClient } from '@aws-sdk/client-glue';
import type { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { UnsupportedError } from '../errors.ts';
import { isCsvFileName } from './data-files.ts';
import { registerDelta } from './delta/register-delta.ts';
import { registerGlueTable } from './glue/register-glue.ts';
import { registerRedshiftTable } from './redshift/register-redshift.ts';
import { sqlString, type DuckDbSession } from '../diff/duckdb-session.ts';
import { fetchCandidates, listCandidates } from './locate-files.ts';
import { registerParquetFiles } from './parquet-files.ts';
import { isS3Path, parseS3Url, type S3Access } from './s3-source.ts';
import { registerText } from './text/register-text.ts';
import type { SchemaColumn } from '../diff/column-plan.ts';
import type { DatasetSource, FileDataset, FileFormat, RegisterOptions, SourceInfo } from './types.ts';
import { registerTable, type UnityCatalogAccess } from './unity-catalog/register-table.ts';

export interface DatasetAccess {
  s3?: S3Access;
  /** `auto`: read S3 through DuckDB's httpfs when it is already installed; else download. */
  httpfs?: 'auto' | 'never';
  downloadConcurrency?: number;
  /** Unity Catalog, for `table:` datasets read beside a `path:` (not in a warehouse). */
  unityCatalog?: UnityCatalogAccess;
  /** The Glue Data Catalog, for `glue:` datasets (GetTable, GetPartitions). */
  glue?: GlueClient;
  /** The Redshift Data API, for `redshift:` datasets (UNLOAD, or small tables read directly). */
  redshiftData?: RedshiftDataClient;
  signal?: AbortSignal;
}

export interface RegisteredDataset {
  view: string;
  via: 'local' | 'download' | 'httpfs';
  files: string[];
  columns: SchemaColumn[];
  /** The format read and, for Delta, the snapshot: what the report names per side. */
  source: SourceInfo;
  /** Rows, when known without a scan (a Delta log's stats). */
  rows?: number;
  /**
   * Columns whose type is a guess (text kept as text: a Hive partition folder's value, a CSV
   * column typed by DuckDB's sniffer), which the other side's type may replace (`retype`).
   */
  untyped?: string[];
  /** Rebuilds the view with `like`'s types for the untyped columns; returns the new columns. */
  retype?: (like: SchemaColumn[]) => Promise<SchemaColumn[]>;
  /**
   * The rows of the view that pass `filter` (SQL over the view's columns), as a relation for a
   * FROM clause, when the reader can filter earlier than a WHERE over the view would: a Delta
   * table with deletion vectors applies the filter before its anti-join on row positions
   * (DuckDB leaves an expression filter above that join), so a diff's second read of a few
   * keys or buckets probes the join with those rows only. Same rows as the view filtered.
   */
  filtered?: (filter: string) => string;
}

/**
 * Makes a dataset queryable as the temp view `viewName`, whatever its location and format. This
 * is the data-access layer shared by the diff and the DQ checks: open a session with
 * `withDuckDb`, register each output, then run SQL against the views. Each format has its own
 * reader; this only decides which one reads the dataset.
 */
export async function registerDataset(
  session: DuckDbSession,
  viewName: string,
  dataset: DatasetSource,
  access: DatasetAccess = {},
  options: RegisterOptions = {},
): Promise<RegisteredDataset> {
  if ('table' in dataset) {
    const table = await registerTable(session, viewName, dataset, access, options);
    return { ...table, columns: await describeRelation(session, table.view) };
  }
  if ('glue' in dataset) return registerGlueTable(session, viewName, dataset, access, options);
  if ('redshift' in dataset) return registerRedshiftTable(session, viewName, dataset, access, options);
  const format = dataset.format ?? (await detectFormat(dataset.path, access));
  switch (format) {
    case 'parquet':
    case 'csv':
      if (dataset.format && (await hasDeltaLog(dataset.path, access))) {
        throw new UnsupportedError(`${dataset.path} is a Delta table (it holds _delta_log/): read as loose ${format} files it would include removed files and deleted rows; use format: delta`, `${format} on a Delta table`);
      }
      return format === 'parquet' ? registerParquet(session, viewName, dataset, access, options) : registerText(session, viewName, { ...dataset, format }, access, options);
    case 'unload':
      return registerText(session, viewName, { ...dataset, format }, access, options);
    case 'delta': {
      const delta = await registerDelta(session, viewName, dataset, access, options);
      return { ...delta, columns: await describeRelation(session, delta.view) };
    }
  }
}

/**
 * A folder or prefix holding `_delta_log/` is a Delta table; files that all end in `.csv`
 * (`.tsv`, `.txt`, compressed or not) are CSV; anything else is read as Parquet.
 */
export async function detectFormat(path: string, access: DatasetAccess = {}): Promise<FileFormat> {
  if (await hasDeltaLog(path, access)) return 'delta';
  return (await allCsv(path, access)) ? 'csv' : 'parquet';
}

async function allCsv(path: string, access: DatasetAccess): Promise<boolean> {
  if (isS3Path(path) && !access.s3) return false;
  const files = await listCandidates(path, 'parquet', access).catch(() => []);
  return files.length > 0 && files.every((f) => isCsvFileName(f.rel));
}

/** Whether `path` (a local folder or an S3 prefix, never a glob or a file) holds a Delta log. */
export async function hasDeltaLog(path: string, access: DatasetAccess = {}): Promise<boolean> {
  if (/[*?[]/.test(path)) return false;
  if (!isS3Path(path)) return (await stat(join(path, '_delta_log')).catch(() => undefined))?.isDirectory() ?? false;
  if (!access.s3) return false;
  const loc = parseS3Url(path);
  const prefix = loc.prefix === '' || loc.prefix.endsWith('/') ? `${loc.prefix}_delta_log/` : `${loc.prefix}/_delta_log/`;
  const page = await access.s3.client.send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: prefix, MaxKeys: 1 }), { abortSignal: access.signal });
  return (page.KeyCount ?? page.Contents?.length ?? 0) > 0;
}

/** Loose Parquet files (a file, a folder, a glob, an S3 prefix), Hive partition folders included. */
async function registerParquet(session: DuckDbSession, viewName: string, dataset: FileDataset, access: DatasetAccess, options: RegisterOptions): Promise<RegisteredDataset> {
  const candidates = await listCandidates(dataset.path, 'parquet', access);
  const remote = candidates.some((c) => c.s3);
  const httpfs = remote && access.httpfs !== 'never' && (await httpfsInstalled(session));
  if (httpfs && access.s3) await useHttpfs(session, access.s3);
  const files = await fetchCandidates(candidates, session.workDir, viewName, access, httpfs);
  const view = `"${viewName.replaceAll('"', '""')}"`;
  const built = await registerParquetFiles(session, view, files, dataset.path, options);
  const via: RegisteredDataset['via'] = httpfs ? 'httpfs' : remote ? 'download' : 'local';
  return { view, via, files: files.map((f) => f.path), source: { format: 'parquet' }, ...built };
}

/** Column names and DuckDB types of a view or query. */
export async function describeRelation(session: DuckDbSession, relation: string): Promise<SchemaColumn[]> {
  const rows = await session.all(`DESCRIBE SELECT * FROM ${relation}`);
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

async function httpfsInstalled(session: DuckDbSession): Promise<boolean> {
  const rows = await session.all(`SELECT installed FROM duckdb_extensions() WHERE extension_name = 'httpfs'`);
  return rows[0]?.installed === true;
}

/** Hands the SDK's resolved credentials to httpfs, so both read S3 the same way. */
async function useHttpfs(session: DuckDbSession, s3: S3Access): Promise<void> {
  await session.run('LOAD httpfs');
  const creds = await s3.client.config.credentials();
  const options = [
    'TYPE s3',
    `KEY_ID ${sqlString(creds.accessKeyId)}`,
    `SECRET ${sqlString(creds.secretAccessKey)}`,
    `REGION ${sqlString(s3.region)}`,
  ];
  if (creds.sessionToken) options.push(`SESSION_TOKEN ${sqlString(creds.sessionToken)}`);
  if (s3.endpoint) {
    const url = new URL(s3.endpoint);
    options.push(`ENDPOINT ${sqlString(url.host)}`, `URL_STYLE 'path'`, `USE_SSL ${url.protocol === 'https:'}`);
  }
  await session.run(`CREATE OR REPLACE SECRET cutover_s3 (${options.join(', ')})`);
}
