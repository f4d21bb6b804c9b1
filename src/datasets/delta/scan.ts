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
}

/** DuckDB's name for the file column; a Delta column may well be called `filename`. */
const FILE_COLUMN = '__cutover_delta_file';

/**
 * Hands the snapshot to DuckDB as the temp view `view` (STYLE 16: the scan gives the engine live
 * files and row filters). The live files are read with `read_parquet`; the columns are the
 * table's, in its order, with its types: physical names (or field ids) mapped to logical names at
 * every level, columns a file lacks as NULL, narrower types cast. Partition columns are typed
 * constants from the log, joined by file. Rows deleted by deletion vectors are removed by an
 * anti-join on (file, `file_row_number`) against a temp table of deleted positions; only the
 * files that have a DV take part in it.
 */
export async function registerScan(session: DuckDbSession, view: string, state: TableState, plan: ReadPlan, store: TableStore): Promise<ScanResult> {
  const where = `${store.root} (version ${state.version})`;
  const names = { files: q(`${view}__delta_files`), deleted: q(`${view}__delta_deleted`) };
  const locals = await store.localDataFiles(state.files);
  locals.forEach((p) => {
    if (/[*?[]/.test(p)) throw new UnsupportedError(`${where}: data file ${p} has a glob character in its path`, 'path');
  });
  const withDv = state.files.map((f, i) => ({ file: f, local: locals[i] as string, fid: i })).filter((x) => x.file.deletionVector);
  const withoutDv = state.files.map((f, i) => ({ file: f, local: locals[i] as string, fid: i })).filter((x) => !x.file.deletionVector);
  const partitioned = plan.partitionColumns.length > 0;

  if (partitioned || withDv.length > 0) await createFileTable(session, names.files, state.files, locals, plan, where);
  if (withDv.length > 0) await createDeletedTable(session, names.deleted, withDv, store, where);

  const selects: string[] = [];
  for (const group of [withoutDv, withDv]) {
    if (group.length === 0) continue;
    const dv = group === withDv;
    const source = await sourceOf(session, group.map((g) => g.local), plan, dv, where);
    const joins = [
      ...(partitioned || dv ? [`JOIN ${names.files} f ON f.filename = d.${FILE_COLUMN}`] : []),
      ...(dv ? [`ANTI JOIN ${names.deleted} x ON x.fid = f.fid AND x."row" = d.file_row_number`] : []),
    ];
    selects.push(`SELECT ${projection(plan, source.columns).join(', ')} FROM ${source.sql} d ${joins.join(' ')}`);
  }
  if (selects.length === 0) selects.push(`SELECT ${plan.schema.map((f) => `CAST(NULL AS ${duckdbType(f.type, 'logical')}) AS ${q(f.name)}`).join(', ')} WHERE false`);
  await session.run(`CREATE OR REPLACE TEMP VIEW ${q(view)} AS ${selects.join('\nUNION ALL\n')}`);
  const counted = state.files.every((f) => f.numRecords !== undefined);
  const rows = counted ? state.files.reduce((n, f) => n + (f.numRecords ?? 0) - (f.deletionVector?.cardinality ?? 0), 0) : undefined;
  return { files: locals, rows };
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

async function sourceOf(session: DuckDbSession, files: string[], plan: ReadPlan, rowNumbers: boolean, where: string): Promise<Source> {
  const list = `[${files.map(sqlString).join(', ')}]`;
  const extra = `filename = '${FILE_COLUMN}'${rowNumbers ? ', file_row_number = true' : ''}`;
  if (plan.columnMapping === 'id') {
    await checkFieldIds(session, list, plan, where);
    const data = plan.schema.filter((f) => !plan.partitionColumns.includes(f));
    const entries = data.map((f) => `${f.fieldId}: {name: ${sqlString(f.physicalName)}, type: ${sqlString(duckdbType(f.type, 'physical'))}, default_value: NULL}`);
    return { sql: `read_parquet(${list}, schema = MAP {${entries.join(', ')}}, ${extra})`, columns: 'all' };
  }
  const plain = `read_parquet(${list}, union_by_name = true)`;
  const described = await session.all(`DESCRIBE SELECT * FROM ${plain}`);
  const columns = new Set(described.map((r) => String(r.column_name).toLowerCase()));
  if (rowNumbers && columns.has('file_row_number')) throw new UnsupportedError(`${where}: a data file has a column named file_row_number, which hides the row positions deletion vectors need`, 'deletionVectors');
  return { sql: `read_parquet(${list}, union_by_name = true, ${extra})`, columns };
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

async function createFileTable(session: DuckDbSession, table: string, files: AddFile[], locals: string[], plan: ReadPlan, where: string): Promise<void> {
  const columns = plan.partitionColumns.map((f) => `${q(f.name)} ${duckdbType(f.type, 'logical')}`);
  await session.run(`CREATE OR REPLACE TEMP TABLE ${table} (fid INTEGER, filename VARCHAR${columns.map((c) => `, ${c}`).join('')})`);
  for (let start = 0; start < files.length; start += 1000) {
    const rows = files.slice(start, start + 1000).map((file, i) => {
      const values = plan.partitionColumns.map((field) => partitionLiteral(field, partitionValueOf(file, field, where), `${where}: ${file.path}`));
      return `(${start + i}, ${sqlString(locals[start + i] as string)}${values.map((v) => `, ${v}`).join('')})`;
    });
    await session.run(`INSERT INTO ${table} VALUES ${rows.join(', ')}`);
  }
}

/** Deleted positions of every file with a DV; DV files are read once each, however many DVs they hold. */
async function createDeletedTable(session: DuckDbSession, table: string, files: Array<{ file: AddFile; fid: number }>, store: TableStore, where: string): Promise<void> {
  await session.run(`CREATE OR REPLACE TEMP TABLE ${table} (fid INTEGER, "row" BIGINT)`);
  const dvFiles = new Map<string, Promise<Buffer>>();
  const appender = await session.connection.createAppender(table.slice(1, -1).replaceAll('""', '"'));
  try {
    for (const { file, fid } of files) {
      const dv = file.deletionVector!;
      const path = deletionVectorFile(dv);
      let bytes: Buffer | undefined;
      if (path !== undefined) {
        const absolute = dv.storageType === 'p';
        const cached = dvFiles.get(path) ?? store.readFile(path, absolute);
        dvFiles.set(path, cached);
        bytes = await cached;
      }
      for (const row of decodeDeletionVector(dv, bytes, `${where}: deletion vector of ${file.path}`)) {
        appender.appendInteger(fid);
        appender.appendBigInt(BigInt(row));
        appender.endRow();
      }
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
