import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { listLocalDataset } from './data-files.ts';
import { sqlString, type DuckDbSession } from '../diff/duckdb-session.ts';
import { downloadS3Dataset, isS3Path, parseS3Url, type S3Access } from './s3-source.ts';
import type { SchemaColumn } from '../diff/column-plan.ts';
import type { FileDataset } from './types.ts';

export interface DatasetAccess {
  s3?: S3Access;
  /** `auto`: read S3 through DuckDB's httpfs when it is already installed; else download. */
  httpfs?: 'auto' | 'never';
  downloadConcurrency?: number;
  signal?: AbortSignal;
}

export interface RegisteredDataset {
  view: string;
  via: 'local' | 'download' | 'httpfs';
  files: string[];
  columns: SchemaColumn[];
}

/**
 * Makes a dataset queryable as the temp view `viewName`, whatever its location. This is the
 * data-access layer shared by the diff and the DQ checks: open a session with `withDuckDb`,
 * register each output, then run SQL against the views.
 */
export async function registerDataset(session: DuckDbSession, viewName: string, dataset: FileDataset, access: DatasetAccess = {}): Promise<RegisteredDataset> {
  let files: string[];
  let via: RegisteredDataset['via'] = 'local';
  if (isS3Path(dataset.path)) {
    if (!access.s3) throw new UsageError(`${dataset.path}: reading from S3 needs an S3 client`);
    if (access.httpfs !== 'never' && (await httpfsInstalled(session))) {
      await useHttpfs(session, access.s3);
      files = [httpfsGlob(dataset)];
      via = 'httpfs';
    } else {
      const dir = join(session.workDir, 'data', viewName);
      files = await downloadS3Dataset(access.s3.client, dataset.path, dataset.format, dir, {
        concurrency: access.downloadConcurrency,
        signal: access.signal,
      });
      if (files.length === 0) throw new UsageError(`no ${dataset.format} objects under ${dataset.path}`);
      via = 'download';
    }
  } else {
    files = await listLocalDataset(dataset.path, dataset.format);
  }
  const list = `[${files.map(sqlString).join(', ')}]`;
  const reader =
    dataset.format === 'parquet'
      ? `read_parquet(${list}, union_by_name = true)`
      : `read_csv(${list}, header = true, union_by_name = true)`;
  const view = `"${viewName.replaceAll('"', '""')}"`;
  await session.run(`CREATE OR REPLACE TEMP VIEW ${view} AS SELECT * FROM ${reader}`);
  return { view, via, files, columns: await describeRelation(session, view) };
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

function httpfsGlob(dataset: FileDataset): string {
  const loc = parseS3Url(dataset.path);
  const url = dataset.path.replace(/^s3a:/, 's3:');
  if (/[*?[]/.test(url) || /\.(parquet|csv)$/i.test(url)) return url;
  const ext = dataset.format === 'parquet' ? 'parquet' : 'csv';
  return loc.prefix === '' || loc.prefix.endsWith('/') ? `${url}**/*.${ext}` : `${url}/**/*.${ext}`;
}
