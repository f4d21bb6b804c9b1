import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqlString, withDuckDb } from '../../src/diff/duckdb-session.ts';
import { redshiftType } from '../../src/datasets/text/manifest.ts';

/**
 * What the fake Redshift Data API does for `UNLOAD ('select') TO 's3://…' …`: parse the
 * statement as Redshift's grammar has it (formats.md 4), and write the result where UNLOAD
 * would, named as UNLOAD names its objects: `<prefix><slice>_part_00[.parquet]` per slice and
 * `<prefix>manifest`, `|`-delimited text (ESCAPE, NULL AS, DELIMITER, HEADER honoured) or
 * Parquet (written by DuckDB), and the manifest's VERBOSE schema.
 */

export interface UnloadStatement {
  select: string;
  to: string;
  iamRole?: string;
  format: 'text' | 'parquet' | 'csv';
  manifest?: 'plain' | 'verbose';
  header: boolean;
  escape: boolean;
  delimiter: string;
  nullAs: string;
  allowOverwrite: boolean;
}

/** Where a fake UNLOAD writes: the fake S3's put and listing. */
export interface UnloadTarget {
  put(bucket: string, key: string, body: Buffer | string): void;
  keys(bucket: string, prefix?: string): string[];
}

/** A result column: its name and PostgreSQL type (oid and modifier), which the fake renders as Redshift's. */
export interface ResultColumn {
  name: string;
  dataTypeID: number;
  dataTypeModifier: number;
}

/** Parses an UNLOAD; anything else (or a malformed one) is undefined / an error in Redshift's words. */
export function parseUnload(sql: string): UnloadStatement | undefined {
  const head = /^\s*UNLOAD\s*\(\s*'((?:[^']|'')*)'\s*\)\s*TO\s*'((?:[^']|'')*)'/i.exec(sql);
  if (!/^\s*UNLOAD\b/i.test(sql)) return undefined;
  if (!head) throw new Error('ERROR: syntax error at or near "UNLOAD"');
  const rest = sql.slice(head[0].length);
  const option = (re: RegExp) => re.exec(rest);
  const stripped = rest.replace(/'(?:[^']|'')*'/g, "''");
  const format = /\bFORMAT\s+(AS\s+)?PARQUET\b/i.test(stripped) ? 'parquet' : /\bFORMAT\s+(AS\s+)?CSV\b|\bCSV\b/i.test(stripped) ? 'csv' : 'text';
  const unquote = (s: string | undefined) => s?.replaceAll("''", "'");
  const u: UnloadStatement = {
    select: head[1]!.replaceAll("''", "'"),
    to: head[2]!.replaceAll("''", "'"),
    iamRole: unquote(option(/\bIAM_ROLE\s+'((?:[^']|'')*)'/i)?.[1]),
    format,
    manifest: /\bMANIFEST\s+VERBOSE\b/i.test(stripped) ? 'verbose' : /\bMANIFEST\b/i.test(stripped) ? 'plain' : undefined,
    header: /\bHEADER\b/i.test(stripped),
    escape: /\bESCAPE\b/i.test(stripped),
    delimiter: unquote(option(/\bDELIMITER\s+(?:AS\s+)?'((?:[^']|'')*)'/i)?.[1]) ?? (format === 'csv' ? ',' : '|'),
    nullAs: unquote(option(/\bNULL\s+(?:AS\s+)?'((?:[^']|'')*)'/i)?.[1]) ?? '',
    allowOverwrite: /\bALLOWOVERWRITE\b/i.test(stripped),
  };
  if (!u.iamRole && !/\bCREDENTIALS\b|\bACCESS_KEY_ID\b/i.test(stripped)) throw new Error('ERROR: UNLOAD needs IAM_ROLE (or credentials) to write to Amazon S3');
  if (u.format === 'parquet' && (u.header || u.escape || /\bDELIMITER\b|\bNULL\s+AS\b|\bADDQUOTES\b|\bGZIP\b/i.test(stripped))) {
    throw new Error('ERROR: Parquet format does not support DELIMITER, HEADER, ESCAPE, NULL AS, ADDQUOTES or compression options');
  }
  if (!/^s3:\/\/[^/]+\//.test(u.to)) throw new Error(`ERROR: invalid Amazon S3 path "${u.to}"`);
  return u;
}

/** PostgreSQL type oids → the type Redshift reports (manifest `base`, ColumnMetadata typeName). */
const TYPES: Record<number, { base: string; typeName: string }> = {
  16: { base: 'boolean', typeName: 'bool' },
  20: { base: 'bigint', typeName: 'int8' },
  21: { base: 'smallint', typeName: 'int2' },
  23: { base: 'integer', typeName: 'int4' },
  25: { base: 'character varying', typeName: 'varchar' },
  1043: { base: 'character varying', typeName: 'varchar' },
  1042: { base: 'character', typeName: 'bpchar' },
  700: { base: 'real', typeName: 'float4' },
  701: { base: 'double precision', typeName: 'float8' },
  1700: { base: 'numeric', typeName: 'numeric' },
  1082: { base: 'date', typeName: 'date' },
  1114: { base: 'timestamp without time zone', typeName: 'timestamp' },
  1184: { base: 'timestamp with time zone', typeName: 'timestamptz' },
};

/** A column as Redshift describes it: the manifest's `type` and the Data API's metadata. */
export function redshiftColumn(c: ResultColumn): { base: string; typeName: string; precision?: number; scale?: number } {
  const t = TYPES[c.dataTypeID];
  if (!t) throw new Error(`ERROR: the fake does not know the type of column ${c.name} (oid ${c.dataTypeID})`);
  if (c.dataTypeID === 1700 && c.dataTypeModifier >= 4) {
    const mod = c.dataTypeModifier - 4;
    return { ...t, precision: mod >> 16, scale: mod & 0xffff };
  }
  return t;
}

/**
 * Writes the rows (PostgreSQL's text rendering, which for these types is Redshift's) as UNLOAD
 * would, over two slices dealt round-robin. Returns how many rows were written.
 */
export async function writeUnload(u: UnloadStatement, columns: ResultColumn[], rows: (string | null)[][], s3: UnloadTarget): Promise<number> {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(u.to)!;
  const [bucket, prefix] = [m[1]!, m[2]!];
  if (!u.allowOverwrite && s3.keys(bucket, prefix).length > 0) {
    throw new Error('ERROR: Specified unload destination on S3 is not empty. Consider using a different bucket / prefix, manually removing the target files in S3, or using the ALLOWOVERWRITE option.');
  }
  const slices = [0, 1].map((s) => rows.filter((_, i) => i % 2 === s));
  const entries: Array<{ key: string; body: Buffer; count: number }> = [];
  for (const [s, slice] of slices.entries()) {
    const key = `${prefix}${String(s).padStart(4, '0')}_part_00${u.format === 'parquet' ? '.parquet' : ''}`;
    if (u.format === 'parquet') {
      // A slice without rows writes no Parquet file.
      if (slice.length > 0) entries.push({ key, body: await parquetOf(columns, slice), count: slice.length });
    } else {
      const lines = slice.map((r) => r.map((v) => field(v, u)).join(u.delimiter));
      if (u.header && slice.length > 0) lines.unshift(columns.map((c) => field(c.name, u)).join(u.delimiter));
      entries.push({ key, body: Buffer.from(lines.map((l) => `${l}\n`).join('')), count: slice.length });
    }
  }
  for (const e of entries) s3.put(bucket, e.key, e.body);
  if (u.manifest) {
    const list = entries.map((e) => ({ url: `s3://${bucket}/${e.key}`, ...(u.manifest === 'verbose' ? { meta: { content_length: e.body.length, record_count: e.count } } : {}) }));
    const manifest =
      u.manifest === 'verbose'
        ? {
            entries: list,
            schema: { elements: columns.map((c) => ({ name: c.name, type: typeOf(c) })) },
            meta: { content_length: entries.reduce((n, e) => n + e.body.length, 0), record_count: rows.length },
            author: { name: 'Amazon Redshift', version: '1.0.0' },
          }
        : { entries: list };
    s3.put(bucket, `${prefix}manifest`, JSON.stringify(manifest));
  }
  return rows.length;
}

function typeOf(c: ResultColumn): { base: string; precision?: number; scale?: number } {
  const { base, precision, scale } = redshiftColumn(c);
  return precision === undefined ? { base } : { base, precision, scale };
}

/** One text field as UNLOAD renders it: NULL AS, ESCAPE before `\`, the delimiter, LF and CR; CSV quoting. */
function field(value: string | null, u: UnloadStatement): string {
  if (value === null) return u.nullAs;
  if (u.format === 'csv') return value.includes(u.delimiter) || /["\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
  if (!u.escape) return value;
  return [...value].map((ch) => (ch === '\\' || ch === u.delimiter || ch === '\n' || ch === '\r' ? `\\${ch}` : ch)).join('');
}

/** The rows as one Parquet file, typed as Redshift types them (TIMESTAMPTZ loses its zone, formats.md 4.5). */
async function parquetOf(columns: ResultColumn[], rows: (string | null)[][]): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'fake-unload-'));
  const file = join(dir, 'part.parquet');
  try {
    const types = columns.map((c) => {
      const t = redshiftType(typeOf(c), c.name);
      return t === 'TIMESTAMPTZ' ? 'TIMESTAMP' : t;
    });
    const values = rows.map((r) => `(${r.map((v, i) => (v === null ? `CAST(NULL AS ${types[i]})` : `CAST(${sqlString(v)} AS ${types[i]})`)).join(', ')})`);
    const names = columns.map((c) => `"${c.name.replaceAll('"', '""')}"`).join(', ');
    await withDuckDb({ threads: 1 }, (db) => db.run(`COPY (SELECT * FROM (VALUES ${values.join(', ')}) v(${names})) TO ${sqlString(file)} (FORMAT parquet)`));
    return await readFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
