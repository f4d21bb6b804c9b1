import { sqlString, type DuckDbSession } from '../diff/duckdb-session.ts';
import type { SchemaColumn } from '../diff/column-plan.ts';
import { hivePartitions } from './hive-partitions.ts';
import type { DataFile } from './locate-files.ts';
import { readerError } from './reader-errors.ts';
import { describeRelation, type RegisteredDataset } from './register-dataset.ts';
import { quoteIdent, settleUnparsed, typedSelect, type SettleOptions } from './typed-columns.ts';
import type { RegisterOptions } from './types.ts';

const FILE = '__cutover_file';

/** What a Hive-partitioned reader needs to build (and rebuild) its view. */
export interface PartitionedSource {
  session: DuckDbSession;
  /** The view's quoted name; helper tables are named after it. */
  view: string;
  files: DataFile[];
  /** SQL reading every file, with each row's file in column `__cutover_file`. */
  reader: string;
  /** The reader's own columns (the files' schema). */
  fileColumns: SchemaColumn[];
  settle: Omit<SettleOptions, 'keepUnparsed'>;
}

/**
 * Loose Parquet files. DuckDB's own Hive partitioning is off: it guesses types, reads folders
 * above the dataset's root as columns and drops partition columns silently when files disagree.
 * Partition values come from hivePartitions instead, as text, typed like the other side's column
 * of that name (`like`), or kept as text.
 */
export async function registerParquetFiles(
  session: DuckDbSession,
  view: string,
  files: DataFile[],
  where: string,
  options: RegisterOptions,
): Promise<Pick<RegisteredDataset, 'columns' | 'untyped' | 'retype'>> {
  const sourceOf = sourceMap(files);
  const list = `[${files.map((f) => sqlString(f.path)).join(', ')}]`;
  const reader = `read_parquet(${list}, union_by_name = true, hive_partitioning = false, filename = '${FILE}')`;
  const plain = `read_parquet(${list}, union_by_name = true, hive_partitioning = false)`;
  const settle = { where, sourceOf, fileColumn: FILE };
  try {
    const partitions = hivePartitions(files.map((f) => f.rel));
    if (partitions.names.length === 0) {
      await session.run(`CREATE OR REPLACE TEMP VIEW ${view} AS SELECT * FROM ${plain}`);
      return { columns: await describeRelation(session, view) };
    }
    const fileColumns = await describeRelation(session, `(SELECT * FROM ${plain} LIMIT 0)`);
    return await buildPartitionedView({ session, view, files, reader, fileColumns, settle }, options);
  } catch (err) {
    throw readerError(err, { format: 'parquet', where, sourceOf });
  }
}

/**
 * The view over `reader` joined with a small table of each file's partition values (cast once
 * per file, not per row). Partition columns replace file columns of the same name, as in Spark.
 */
export async function buildPartitionedView(src: PartitionedSource, options: RegisterOptions): Promise<Pick<RegisteredDataset, 'columns' | 'untyped' | 'retype'>> {
  const { session, view, files } = src;
  const partitions = hivePartitions(files.map((f) => f.rel));
  const like = new Map((options.like ?? []).map((c) => [c.name, c.type]));
  const raw = partitions.names.map((_, i) => `p${i}`);
  const typed = typedSelect(partitions.names.map((name, i) => ({ name, raw: raw[i] as string, type: like.get(name) })), 'p');
  const rows = files.map((f, i) => `(${[f.path, ...(partitions.values[i] ?? [])].map((v) => (v === null ? 'NULL' : sqlString(v))).join(', ')})`);
  const parts = `"${view.slice(1, -1)}__partitions"`;
  await session.run(`CREATE OR REPLACE TEMP TABLE ${parts} AS SELECT ${FILE}, ${typed.items.join(', ')}
    FROM (VALUES ${rows.join(', ')}) v(${[FILE, ...raw].join(', ')})`);
  const settled = await settleUnparsed(session, parts, typed.columns, { ...src.settle, keepUnparsed: options.keepUnparsed });
  const names = new Set(partitions.names);
  const kept = src.fileColumns.filter((c) => c.name !== FILE && !names.has(c.name));
  const select = [...kept.map((c) => `d.${quoteIdent(c.name)}`), ...settled.select.map((s) => `p.${s}`)];
  await session.run(`CREATE OR REPLACE TEMP VIEW ${view} AS SELECT ${select.join(', ')} FROM ${src.reader} d JOIN ${parts} p ON d.${FILE} = p.${FILE}`);
  return {
    columns: [...kept, ...settled.columns],
    untyped: typed.columns.filter((c) => c.untyped).map((c) => c.name),
    retype: async (other) => (await buildPartitionedView(src, { ...options, like: other })).columns,
  };
}

/** The name people know for each file DuckDB reads (the S3 URL of a download). */
export function sourceMap(files: DataFile[]): (path: string) => string {
  const map = new Map(files.map((f) => [f.path, f.source]));
  return (path) => map.get(path) ?? path;
}
