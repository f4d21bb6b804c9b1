import { BIGINT, DuckDBDataChunk, UBIGINT } from '@duckdb/node-api';
import { UnsupportedError } from '../../errors.ts';
import { sqlString, type DuckDbSession } from '../../diff/duckdb-session.ts';
import type { AddFile } from './actions/file-actions.ts';
import { decodeDeletionVector, deletionVectorFile } from './deletion-vectors/deletion-vector.ts';
import type { TableState } from './log-replay.ts';
import { partitionLiteral, partitionValueOf } from './partition-values.ts';
import { duckdbType, hasRenamedFields, quoteIdent as q, type DeltaField, type DeltaType } from './schema.ts';
import type { ReadPlan } from './table-features.ts';
import type { TableStore } from './table-store.ts';

export interface ScanResult {
  /** Local paths of the live data files. */
  files: string[];
  /** Live rows from the log (`numRecords` minus DV cardinalities), when every file has stats. */
  rows?: number;
  /** The live rows passing a filter over the view's columns, filtered before the DV anti-join (RegisteredDataset.filtered). */
  filtered?: (filter: string) => string;
}

/** Names of the row's file and position inside `filtered`'s subquery and in the deleted-positions table. */
const FILE_COL = '__cutover_dv_file';
const ROW_COL = '__cutover_dv_row';

/**
 * Hands the snapshot to DuckDB as the temp view `view` (STYLE 16: the scan gives the engine live
 * files and row filters). The live files are read with `read_parquet`, in two groups (files
 * without a DV, files with one), each one call over its file list; the columns are the table's,
 * in its order, with its types: physical names (or field ids) mapped to logical names at every
 * level, columns a file lacks as NULL, narrower types cast. Partition columns are typed constants
 * from the log, joined by DuckDB's `file_index` (the file's position in the group's list). Rows
 * deleted by deletion vectors are removed by an anti-join on (`file_index`, `file_row_number`)
 * against a temp table of deleted positions; only the files that have a DV take part in it.
 * Integer keys, not the `filename` column: a string per row and a join on it cost more than the
 * anti-join itself (`npm run bench -- diff --target-format delta`).
 *
 * `filtered(filter)` gives the same rows filtered, with the filter applied before the anti-join:
 * DuckDB keeps an expression filter over the view (a diff's bucket bitmap, its key-hash list)
 * above the join, so a second read of 1 % of the rows would otherwise probe the join with all
 * of them (at 10M rows, 5 % deleted: the re-read 0.47 s against 0.30 s with the filter first).
 */
export async function registerScan(session: DuckDbSession, view: string, state: TableState, plan: ReadPlan, store: TableStore): Promise<ScanResult> {
  const where = `${store.root} (version ${state.version})`;
  const names = { files: q(`${view}__delta_files`), deleted: q(`${view}__delta_deleted`) };
  const locals = await store.localDataFiles(state.files);
  locals.forEach((p) => {
    if (/[*?[]/.test(p)) throw new UnsupportedError(`${where}: data file ${p} has a glob character in its path`, 'path');
  });
  const all = state.files.map((file, i) => ({ file, local: locals[i] as string }));
  const groups = [all.filter((x) => !x.file.deletionVector), all.filter((x) => x.file.deletionVector)];
  const partitioned = plan.partitionColumns.length > 0;

  if (partitioned) await createFileTable(session, names.files, groups, plan, where);
  if (groups[1]!.length > 0) await createDeletedTable(session, names.deleted, groups[1]!, store, where);

  const selects: string[] = [];
  const filteredSelects: Array<(filter: string) => string> = [];
  for (const [g, group] of groups.entries()) {
    if (group.length === 0) continue;
    const dv = g === 1;
    const source = await sourceOf(session, group.map((x) => x.local), plan, { fileIndex: partitioned || dv, rowNumbers: dv }, where);
    const from = `${source.sql} d${partitioned ? ` JOIN ${names.files} f ON f.grp = ${g} AND f.idx = d.file_index` : ''}`;
    const columns = projection(plan, source.columns).join(', ');
    const antiJoin = `ANTI JOIN ${names.deleted} x ON x.${FILE_COL} = d.file_index AND x.${ROW_COL} = d.file_row_number`;
    selects.push(`SELECT ${columns} FROM ${from}${dv ? ` ${antiJoin}` : ''}`);
    // The filter is written over the view's (logical, typed) columns, so it runs on a subquery
    // that has them; the anti-join then probes only the rows that pass it.
    filteredSelects.push(
      dv
        ? (filter) =>
            `SELECT v.* EXCLUDE (${FILE_COL}, ${ROW_COL}) FROM (SELECT ${columns}, d.file_index AS ${FILE_COL}, d.file_row_number AS ${ROW_COL} FROM ${from}) v ` +
            `ANTI JOIN ${names.deleted} x ON x.${FILE_COL} = v.${FILE_COL} AND x.${ROW_COL} = v.${ROW_COL} WHERE (${filter})`
        : (filter) => `SELECT * FROM (SELECT ${columns} FROM ${from}) v WHERE (${filter})`,
    );
  }
  if (selects.length === 0) selects.push(`SELECT ${plan.schema.map((f) => `CAST(NULL AS ${duckdbType(f.type, 'logical')}) AS ${q(f.name)}`).join(', ')} WHERE false`);
  await session.run(`CREATE OR REPLACE TEMP VIEW ${q(view)} AS ${selects.join('\nUNION ALL\n')}`);
  // A table column with one of the helper names would be hidden by them: such a table keeps the plain view.
  const clash = plan.schema.some((f) => [FILE_COL, ROW_COL].includes(f.name.toLowerCase()));
  const filtered = groups[1]!.length > 0 && !clash ? (filter: string) => `(${filteredSelects.map((f) => f(filter)).join('\nUNION ALL\n')}) AS ${q(`${view}__filtered`)}` : undefined;
  const counted = state.files.every((f) => f.numRecords !== undefined);
  const rows = counted ? state.files.reduce((n, f) => n + (f.numRecords ?? 0) - (f.deletionVector?.cardinality ?? 0), 0) : undefined;
  return { files: locals, rows, filtered };
}

/** Columns of the table, in order: partition columns from the file table, the rest from the data files. */
function projection(plan: ReadPlan, present: Set<string> | 'all'): string[] {
  const partitions = new Set(plan.partitionColumns.map((f) => f.name));
  return plan.schema.map((field) => {
    if (partitions.has(field.name)) return `f.${q(field.name)} AS ${q(field.name)}`;
    if (present !== 'all' && !present.has(field.physicalName.toLowerCase())) return `CAST(NULL AS ${duckdbType(field.type, 'logical')}) AS ${q(field.name)}`;
    return `${valueOf(`d.${q(field.physicalName)}`, field.type)} AS ${q(field.name)}`;
  });
}

/**
 * The value of a column with the table's type and logical names. A cast brings the files' type
 * to the table's (by name for structs: missing fields NULL); renamed struct fields are then
 * rebuilt under their logical names at every level.
 */
function valueOf(src: string, type: DeltaType): string {
  if (!hasRenamedFields(type)) return `CAST(${src} AS ${duckdbType(type, 'logical')})`;
  return rename(`CAST(${src} AS ${duckdbType(type, 'physical')})`, type, 0);
}

function rename(e: string, t: DeltaType, depth: number): string {
  if (!hasRenamedFields(t)) return e;
  const x = `x${depth}`;
  switch (t.kind) {
    case 'struct': {
      const fields = t.fields.map((f) => `${q(f.name)} := ${rename(`(${e}).${q(f.physicalName)}`, f.type, depth + 1)}`);
      return `CASE WHEN ${e} IS NULL THEN NULL ELSE struct_pack(${fields.join(', ')}) END`;
    }
    case 'array':
      return `list_transform(${e}, lambda ${x}: ${rename(x, t.element, depth + 1)})`;
    case 'map':
      return `map_from_entries(list_transform(map_entries(${e}), lambda ${x}: struct_pack(key := ${rename(`${x}.key`, t.key, depth + 1)}, value := ${rename(`${x}.value`, t.value, depth + 1)})))`;
    default:
      return e;
  }
}

interface Source {
  sql: string;
  /** Physical top-level columns the files have (lower case), or `all` when DuckDB maps them by field id. */
  columns: Set<string> | 'all';
}

async function sourceOf(session: DuckDbSession, files: string[], plan: ReadPlan, virtual: { fileIndex: boolean; rowNumbers: boolean }, where: string): Promise<Source> {
  const list = `[${files.map(sqlString).join(', ')}]`;
  const extra = virtual.rowNumbers ? ', file_row_number = true' : '';
  if (plan.columnMapping === 'id') {
    await checkFieldIds(session, list, plan, where);
    const data = plan.schema.filter((f) => !plan.partitionColumns.includes(f));
    const entries = data.map((f) => `${f.fieldId}: {name: ${sqlString(f.physicalName)}, type: ${sqlString(duckdbType(f.type, 'physical'))}, default_value: NULL}`);
    return { sql: `read_parquet(${list}, schema = MAP {${entries.join(', ')}}${extra})`, columns: 'all' };
  }
  const plain = `read_parquet(${list}, union_by_name = true)`;
  const described = await session.all(`DESCRIBE SELECT * FROM ${plain}`);
  const columns = new Set(described.map((r) => String(r.column_name).toLowerCase()));
  // A data column of the same name hides DuckDB's virtual column.
  for (const [needed, name, why] of [
    [virtual.rowNumbers, 'file_row_number', 'the row positions deletion vectors need'],
    [virtual.fileIndex, 'file_index', 'which file a row comes from'],
  ] as const) {
    if (needed && columns.has(name)) throw new UnsupportedError(`${where}: a data file has a column named ${name}, which hides ${why}`, virtual.rowNumbers ? 'deletionVectors' : 'partitionValues');
  }
  return { sql: `read_parquet(${list}, union_by_name = true${extra})`, columns };
}

/**
 * Column mapping `id`: DuckDB maps top-level columns by field id, nested ones by name, so every
 * nested field id must carry the physical name the schema gives it, and every file must have
 * field ids; otherwise the table is refused rather than read with NULLs.
 */
async function checkFieldIds(session: DuckDbSession, list: string, plan: ReadPlan, where: string): Promise<void> {
  const rows = await session.all(`SELECT file_name, field_id, name FROM parquet_schema(${list})`);
  const ids = new Map<number, string>();
  const collect = (fields: DeltaField[], depth: number) => {
    for (const f of fields) {
      if (depth > 0 && f.fieldId !== undefined) ids.set(f.fieldId, f.physicalName);
      for (const child of children(f.type)) collect([child], depth + 1);
    }
  };
  collect(plan.schema, 0);
  const withIds = new Set<string>();
  for (const r of rows) {
    if (r.field_id === null || r.field_id === undefined) continue;
    withIds.add(String(r.file_name));
    const expected = ids.get(Number(r.field_id));
    if (expected !== undefined && expected.toLowerCase() !== String(r.name).toLowerCase()) {
      throw new UnsupportedError(`${where}: in ${String(r.file_name)} nested field id ${String(r.field_id)} is named ${String(r.name)}, not ${expected}`, 'columnMapping id');
    }
  }
  const without = [...new Set(rows.map((r) => String(r.file_name)))].find((f) => !withIds.has(f));
  if (without) throw new UnsupportedError(`${where}: ${without} has no Parquet field ids, which column mapping mode id needs`, 'columnMapping id');
}

function children(t: DeltaType): DeltaField[] {
  if (t.kind === 'struct') return t.fields;
  if (t.kind === 'array') return children(t.element);
  if (t.kind === 'map') return [...children(t.key), ...children(t.value)];
  return [];
}

/** Partition values of every live file, keyed by (group, position in the group's file list). */
async function createFileTable(session: DuckDbSession, table: string, groups: Array<Array<{ file: AddFile }>>, plan: ReadPlan, where: string): Promise<void> {
  const columns = plan.partitionColumns.map((f) => `${q(f.name)} ${duckdbType(f.type, 'logical')}`);
  await session.run(`CREATE OR REPLACE TEMP TABLE ${table} (grp INTEGER, idx UBIGINT${columns.map((c) => `, ${c}`).join('')})`);
  for (const [g, group] of groups.entries()) {
    for (let start = 0; start < group.length; start += 1000) {
      const rows = group.slice(start, start + 1000).map(({ file }, i) => {
        const values = plan.partitionColumns.map((field) => partitionLiteral(field, partitionValueOf(file, field, where), `${where}: ${file.path}`));
        return `(${g}, ${start + i}${values.map((v) => `, ${v}`).join('')})`;
      });
      await session.run(`INSERT INTO ${table} VALUES ${rows.join(', ')}`);
    }
  }
}

/** Rows per appended chunk: DuckDB's vector size. */
const CHUNK_ROWS = 2048;

/**
 * Deleted positions of every file with a DV, keyed by the file's position in the DV group's list;
 * DV files are read once each, however many DVs they hold. Appended a chunk (2,048 rows) at a
 * time: a native call per value cost ~0.1 s at 500,000 deleted rows, a chunk about half that.
 */
async function createDeletedTable(session: DuckDbSession, table: string, files: Array<{ file: AddFile }>, store: TableStore, where: string): Promise<void> {
  await session.run(`CREATE OR REPLACE TEMP TABLE ${table} (${FILE_COL} UBIGINT, ${ROW_COL} BIGINT)`);
  const dvFiles = new Map<string, Promise<Buffer>>();
  const appender = await session.connection.createAppender(table.slice(1, -1).replaceAll('""', '"'));
  const chunk = DuckDBDataChunk.create([UBIGINT, BIGINT], CHUNK_ROWS);
  let idxs: bigint[] = [];
  let rows: bigint[] = [];
  const flush = () => {
    chunk.rowCount = rows.length;
    chunk.setColumnValues(0, idxs);
    chunk.setColumnValues(1, rows);
    appender.appendDataChunk(chunk);
    idxs = [];
    rows = [];
  };
  try {
    for (const [idx, { file }] of files.entries()) {
      const dv = file.deletionVector!;
      const path = deletionVectorFile(dv);
      let bytes: Buffer | undefined;
      if (path !== undefined) {
        const absolute = dv.storageType === 'p';
        const cached = dvFiles.get(path) ?? store.readFile(path, absolute);
        dvFiles.set(path, cached);
        bytes = await cached;
      }
      const key = BigInt(idx);
      for (const row of decodeDeletionVector(dv, bytes, `${where}: deletion vector of ${file.path}`)) {
        idxs.push(key);
        rows.push(BigInt(row));
        if (rows.length === CHUNK_ROWS) flush();
      }
    }
    if (rows.length > 0) flush();
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
