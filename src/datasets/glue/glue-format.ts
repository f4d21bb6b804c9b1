import type { Table } from '@aws-sdk/client-glue';
import { UnsupportedError } from '../../errors.ts';
import type { SchemaColumn } from '../../diff/column-plan.ts';
import type { CsvOptions } from '../types.ts';

/** How a Glue table is read: one of the readers' formats, where its data is, and its text options. */
export interface GlueStorage {
  format: 'parquet' | 'csv' | 'delta';
  /** The table's data location as an `s3://` URL (a Spark table's real path, a Delta table's root). */
  location: string;
  /** CSV only: delimiter, header, quote, escape and NULL text from the SerDe and table parameters. */
  csv?: CsvOptions;
  /** CSV only: the table's columns (not its partition keys) in DuckDB types. */
  columns?: SchemaColumn[];
  /**
   * CSV only: the text reader to use. `unload` for LazySimpleSerDe text with an escape character,
   * whose backslash escapes may stand anywhere in a field, as in Redshift's ESCAPE.
   */
  reader?: 'csv' | 'unload';
}

const PARQUET_INPUT = 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat';
const PARQUET_SERDE = 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe';
const TEXT_INPUT = 'org.apache.hadoop.mapred.TextInputFormat';
const LAZY_SIMPLE = 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe';
const OPEN_CSV = 'org.apache.hadoop.hive.serde2.OpenCSVSerde';
const SYMLINK_INPUT = 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat';

/** Formats recognised only to be refused by name (formats.md 6: the SerDe or input format says which). */
const REFUSED: Array<[RegExp, string]> = [
  [/\.orc\./i, 'ORC'],
  [/avro/i, 'Avro'],
  [/json/i, 'JSON'],
  [/RCFile|columnar/i, 'RCFile'],
  [/SequenceFile/i, 'SequenceFile'],
  [/hudi/i, 'Hudi'],
  [/RegexSerDe/i, 'regex text'],
];

/**
 * The format of a Glue table from its metadata (formats.md 6): the table parameters first
 * (Iceberg `table_type`, Delta `table_type` or `spark.sql.sources.provider`), then the input
 * format and SerDe (Parquet, text with LazySimpleSerDe or OpenCSVSerde, a Delta symlink
 * manifest). Anything else (ORC, Avro, Iceberg, JSON, Hudi, a view…) is refused naming what it is.
 * The crawler's `classification` is only a hint and decides nothing.
 */
export function glueStorage(table: Table, name: string): GlueStorage {
  const params = lowerKeys(table.Parameters);
  const sd = table.StorageDescriptor ?? {};
  const serde = sd.SerdeInfo?.SerializationLibrary ?? '';
  const input = sd.InputFormat ?? '';
  const tableType = (params.table_type ?? '').toUpperCase();
  const provider = (params['spark.sql.sources.provider'] ?? '').toLowerCase();
  if ((table.TableType ?? '').toUpperCase() === 'VIRTUAL_VIEW') throw new UnsupportedError(`glue ${name} is a view: Cutover reads tables`, 'Glue view');
  if (tableType === 'ICEBERG' || provider === 'iceberg' || table.IcebergTableMetadata) throw new UnsupportedError(`glue ${name} is an Iceberg table: Cutover reads Parquet, CSV and Delta Glue tables`, 'Iceberg');
  if (tableType === 'DELTA' || provider === 'delta') return { format: 'delta', location: locationOf(table, name) };
  if (input === SYMLINK_INPUT) {
    const location = locationOf(table, name);
    const root = /^(.*?)\/?_symlink_format_manifest\/?$/.exec(location)?.[1];
    if (!root) throw new UnsupportedError(`glue ${name} reads a symlink manifest at ${location}: Cutover reads only Delta tables' _symlink_format_manifest/`, 'SymlinkTextInputFormat');
    return { format: 'delta', location: `${root}/` };
  }
  if (provider === 'parquet' || input === PARQUET_INPUT || serde === PARQUET_SERDE) return { format: 'parquet', location: locationOf(table, name) };
  if (input === TEXT_INPUT && (serde === LAZY_SIMPLE || serde === OPEN_CSV)) {
    const csv = textOptions(serde, lowerKeys(sd.SerdeInfo?.Parameters), params);
    const reader = serde === LAZY_SIMPLE && csv.escape ? 'unload' : 'csv';
    return { format: 'csv', location: locationOf(table, name), csv, columns: columnsOf(table, name), reader };
  }
  const what = REFUSED.find(([re]) => re.test(`${serde} ${input} ${provider}`))?.[1] ?? (provider || serde || input || 'format-less');
  throw new UnsupportedError(`glue ${name} is stored as ${what}${serde || input ? ` (${serde || input})` : ''}: Cutover reads Parquet, CSV and Delta Glue tables`, what);
}

/** Delimiter, quote, escape, NULL text and header of a text table (Hive's defaults where unset). */
function textOptions(serde: string, p: Record<string, string>, table: Record<string, string>): CsvOptions {
  const header = Number(table['skip.header.line.count'] ?? '0') > 0;
  if (serde === OPEN_CSV) {
    // OpenCSVSerde: `,` `"` `\` by default; it has no NULL text, an empty field is NULL for Athena.
    return { header, delimiter: oneChar(p.separatorchar, ','), quote: oneChar(p.quotechar, '"'), escape: oneChar(p.escapechar, '\\'), null: '' };
  }
  // LazySimpleSerDe: Hive's default field delimiter is \u0001 and NULL is written as \N.
  const delimiter = oneChar(p['field.delim'] ?? p['serialization.format'], '\u0001');
  const escape = p['escape.delim'];
  // Hive's text is never quoted: a `"` is data.
  return { header, delimiter, null: p['serialization.null.format'] ?? '\\N', quote: '', ...(escape ? { escape: oneChar(escape, '\\') } : {}) };
}

/**
 * A SerDe character parameter as Hive reads it (LazySerDeParameters.getByte): a number that fits
 * a byte is that byte (`field.delim` '1' is \u0001, '9' a tab), anything else its first character.
 */
function oneChar(value: string | undefined, fallback: string): string {
  if (value === undefined || value === '') return fallback;
  if (/^-?\d+$/.test(value) && Number(value) >= -128 && Number(value) <= 127) return String.fromCharCode((Number(value) + 256) % 256);
  if (value.length === 1) return value;
  if (value === '\\t') return '\t';
  return value[0]!;
}

/**
 * The data location: `Location`, unless a Spark datasource table put a placeholder there
 * (SPARK-15269), whose real path is the SerDe's `path`; `s3a://`/`s3n://` read as `s3://`.
 */
function locationOf(table: Table, name: string): string {
  const sd = table.StorageDescriptor ?? {};
  let location = sd.Location ?? '';
  if (!location || location.includes('__PLACEHOLDER__')) location = lowerKeys(sd.SerdeInfo?.Parameters).path ?? '';
  if (!location) throw new UnsupportedError(`glue ${name} has no storage location`, 'Location');
  const s3 = location.replace(/^s3[an]:\/\//, 's3://');
  if (!s3.startsWith('s3://')) throw new UnsupportedError(`glue ${name} is stored at ${location}: Cutover reads Glue tables stored in S3`, 'storage scheme');
  return s3;
}

/** The table's columns as DuckDB types, for reading its text. */
function columnsOf(table: Table, name: string): SchemaColumn[] {
  return (table.StorageDescriptor?.Columns ?? []).map((c) => ({ name: c.Name ?? '', type: duckdbType(c.Type ?? 'string', `glue ${name} column ${c.Name}`) }));
}

/**
 * A Hive type string (`string`, `decimal(18,2)`, `varchar(20)`) as a DuckDB type. Nested types
 * (array, map, struct) have no agreed text form in a CSV table, so they are refused.
 */
export function duckdbType(hive: string, what: string): string {
  const t = hive.trim().toLowerCase();
  const simple: Record<string, string> = {
    string: 'VARCHAR',
    boolean: 'BOOLEAN',
    tinyint: 'TINYINT',
    smallint: 'SMALLINT',
    int: 'INTEGER',
    integer: 'INTEGER',
    bigint: 'BIGINT',
    long: 'BIGINT',
    float: 'FLOAT',
    double: 'DOUBLE',
    date: 'DATE',
    timestamp: 'TIMESTAMP',
    binary: 'BLOB',
  };
  if (simple[t]) return simple[t];
  if (/^(var)?char\(\d+\)$/.test(t)) return 'VARCHAR';
  const dec = /^decimal(?:\((\d+)\s*,\s*(\d+)\))?$/.exec(t);
  if (dec) return `DECIMAL(${dec[1] ?? 10},${dec[2] ?? 0})`;
  throw new UnsupportedError(`${what}: the type ${hive} cannot be read from text`, `Hive type ${hive}`);
}

function lowerKeys(map: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}
