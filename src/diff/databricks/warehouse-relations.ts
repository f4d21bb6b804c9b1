import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnsupportedError, UsageError } from '../../errors.ts';
import { pickRunVersion, resolveVersion, type CommitSeen } from '../../datasets/delta/resolve-version.ts';
import { s3TableStore } from '../../datasets/delta/table-store.ts';
import { detectFormat, type DatasetAccess } from '../../datasets/register-dataset.ts';
import { isS3Path } from '../../datasets/s3-source.ts';
import type { DatasetSource, DeltaVersion, FileDataset, JobRunWindow, SourceInfo } from '../../datasets/types.ts';
import type { SchemaColumn } from '../column-plan.ts';
import { databricksDialect as d } from '../databricks-dialect.ts';
import type { WarehouseQuery } from './pushdown-diff.ts';

/** One side of a diff as the warehouse reads it: a relation to select from, and how to learn its columns. */
export interface WarehouseRelation {
  /** SQL usable after FROM: a quoted table name, `read_files(…)` or `delta.\`s3://…\``, with its time travel. */
  sql: string;
  describe: (query: WarehouseQuery) => Promise<SchemaColumn[]>;
  /** What the report says was read. */
  source?: SourceInfo;
}

export interface RelationContext {
  /** S3 access, to detect a folder's format and resolve `version: run` from its Delta log. */
  access?: DatasetAccess;
  /** The Databricks job run behind `version: run`. */
  run?: JobRunWindow;
}

/**
 * A dataset as a warehouse relation, for `engine: warehouse` and two `table:` sides: a Unity
 * Catalog table by name, a `path:` side with `read_files` (Parquet, CSV) or as `delta.\`…\``
 * (Delta, at the version the catalog asks for). The warehouse reads S3 with its own Unity Catalog
 * grants (READ FILES on the external location), never the worker's credentials or disk.
 */
export async function warehouseRelation(dataset: DatasetSource, query: WarehouseQuery, ctx: RelationContext = {}): Promise<WarehouseRelation> {
  if ('table' in dataset) return tableRelation(dataset.table, dataset.version === 'run' ? await tableRunVersion(dataset.table, query, ctx.run) : dataset.version);
  if (!('path' in dataset)) {
    const kind = 'glue' in dataset ? `glue ${dataset.glue}` : `redshift ${dataset.redshift}`;
    throw new UnsupportedError(`${kind}: engine: warehouse reads Unity Catalog tables and S3 paths; diff this output with the default engine`, 'engine: warehouse');
  }
  return pathRelation(dataset, ctx);
}

/** A Unity Catalog table by name; a version number becomes `VERSION AS OF`. */
export function tableRelation(name: string, version?: Exclude<DeltaVersion, 'run'>): WarehouseRelation {
  const ref = tableRef(name);
  const numbered = typeof version === 'number';
  return {
    sql: numbered ? `${ref.sql} VERSION AS OF ${version}` : ref.sql,
    source: { format: 'delta', from: `table ${name}`, ...(numbered ? { version } : {}) },
    describe: (query) => describeTable(query, ref),
  };
}

/**
 * `version: run` of a table, from `DESCRIBE HISTORY` (newest first): the newest commit whose
 * `job.jobRunId` (or, from older writers, `job.runId`) is the run's, else the newest committed
 * inside the run's window; as the Delta reader decides it from the log.
 */
async function tableRunVersion(name: string, query: WarehouseQuery, run: JobRunWindow | undefined): Promise<number | 'latest'> {
  if (!run) return 'latest';
  const rows = await query(`DESCRIBE HISTORY ${tableRef(name).sql}`);
  const commits = rows.map((row): CommitSeen => {
    const job = (typeof row.job === 'string' ? JSON.parse(row.job) : row.job) as Record<string, unknown> | null | undefined;
    const jobRunId = job?.jobRunId ?? job?.runId;
    return { version: Number(row.version), jobRunId: jobRunId === undefined || jobRunId === null ? undefined : String(jobRunId), time: Date.parse(String(row.timestamp)) };
  });
  return (await pickRunVersion(commits, run, name)).version;
}

async function pathRelation(dataset: FileDataset, ctx: RelationContext): Promise<WarehouseRelation> {
  const { path } = dataset;
  if (!isS3Path(path)) throw new UsageError(`${path}: engine: warehouse reads path: sides from S3 (the warehouse cannot see the worker's disk)`);
  // The path goes into SQL text (read_files takes constants only): refuse what could end the literal.
  if (/['\\`\n]/.test(path)) throw new UsageError(`${path}: a path read in the warehouse cannot hold quotes, backquotes or backslashes`);
  const format = dataset.format ?? (await detectFormat(path, ctx.access));
  const literal = `'${path}'`;
  switch (format) {
    case 'parquet':
      return queryRelation(`read_files(${literal}, format => 'parquet')`, { format });
    case 'csv': {
      const csv = dataset.csv ?? {};
      const options = [`format => 'csv'`, `header => ${csv.header ?? true}`, `sep => ${stringLiteral(csv.delimiter ?? ',', 'csv.delimiter')}`, `nullValue => ${stringLiteral(csv.null ?? '', 'csv.null')}`];
      if (csv.quote !== undefined) options.push(`quote => ${stringLiteral(csv.quote, 'csv.quote')}`);
      if (csv.escape !== undefined && csv.escape !== false) options.push(`escape => ${stringLiteral(csv.escape === true ? '\\' : csv.escape, 'csv.escape')}`);
      return queryRelation(`read_files(${literal}, ${options.join(', ')})`, { format });
    }
    case 'delta': {
      const version = await deltaVersion(dataset, ctx);
      const sql = `delta.\`${path}\`${typeof version === 'number' ? ` VERSION AS OF ${version}` : ''}`;
      return queryRelation(sql, { format, ...(typeof version === 'number' ? { version } : {}) });
    }
    case 'unload':
      // read_files cannot take the column names and exact types UNLOAD text needs from a manifest.
      throw new UnsupportedError(`${path}: engine: warehouse does not read Redshift UNLOAD text; diff this output with the default engine`, 'unload in the warehouse');
  }
}

/** `version: run` (and numbers) resolved from the Delta log in S3, as the DuckDB reader does. */
async function deltaVersion(dataset: FileDataset, ctx: RelationContext): Promise<number | 'latest'> {
  if (dataset.version === undefined || dataset.version === 'latest' || typeof dataset.version === 'number') return dataset.version ?? 'latest';
  if (!ctx.access?.s3) throw new UsageError(`${dataset.path}: version: run needs S3 access to read the table's log`);
  const workDir = await mkdtemp(join(tmpdir(), 'cutover-wh-'));
  try {
    const store = s3TableStore(dataset.path, ctx.access.s3, workDir, { signal: ctx.access.signal });
    return (await resolveVersion(store, dataset.version, ctx.run)).version;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

function queryRelation(sql: string, source: SourceInfo): WarehouseRelation {
  return {
    sql,
    source,
    describe: async (query) => {
      const rows = await query(`DESCRIBE QUERY SELECT * FROM ${sql}`);
      return rows.filter((r) => !String(r.col_name ?? '').startsWith('#')).map((r) => ({ name: String(r.col_name), type: String(r.data_type) }));
    },
  };
}

function stringLiteral(value: string, field: string): string {
  if (/['\\]/.test(value) && value !== '\\') throw new UsageError(`${field}: ${JSON.stringify(value)} cannot be passed to read_files`);
  return value === '\\' ? `'\\\\'` : `'${value}'`;
}

interface TableRef {
  catalog: string;
  schema: string;
  table: string;
  sql: string;
}

/** `catalog.schema.table`, back-quoted or not, as parts and as a safely quoted name. */
export function tableRef(name: string): TableRef {
  const parts = name.split('.').map((p) => p.replace(/^`|`$/g, ''));
  if (parts.length !== 3 || parts.some((p) => p === '')) throw new UsageError(`expected catalog.schema.table, not "${name}"`);
  const [catalog, schema, table] = parts as [string, string, string];
  return { catalog, schema, table, sql: parts.map((p) => d.quote(p)).join('.') };
}

async function describeTable(query: WarehouseQuery, t: TableRef): Promise<SchemaColumn[]> {
  const rows = await query(
    `SELECT column_name, full_data_type FROM ${d.quote(t.catalog)}.information_schema.columns
      WHERE table_schema = :schema AND table_name = :table ORDER BY ordinal_position`,
    { parameters: [{ name: 'schema', value: t.schema.toLowerCase() }, { name: 'table', value: t.table.toLowerCase() }] },
  );
  if (rows.length === 0) throw new UsageError(`table ${t.catalog}.${t.schema}.${t.table} not found (or no columns visible)`);
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.full_data_type) }));
}
