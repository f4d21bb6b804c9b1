import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sqlString, withDuckDb } from '../../src/diff/duckdb-session.ts';

/** A column as a verbose manifest describes it (formats.md 4.3). */
export interface UnloadColumn {
  name: string;
  type: { base: string; precision?: number; scale?: number };
}

/**
 * What an UNLOAD statement said. Values are given as Redshift renders them (formats.md 4.4:
 * `t`/`f`, full-scale decimals, `YYYY-MM-DD HH:MI:SS[.ffffff]`), NULL as null.
 */
export interface UnloadSpec {
  columns: UnloadColumn[];
  rows: (string | null)[][];
  /** Slices: rows are dealt round-robin into `<prefix><slice>_part_00`. Default 2. */
  slices?: number;
  header?: boolean;
  /** DELIMITER; default `|` (`,` with csv). */
  delimiter?: string;
  /** NULL AS; default the empty field. */
  nullAs?: string;
  /** ESCAPE: `\` before LF, CR, the delimiter, `\` and (with addQuotes) `"`. */
  escape?: boolean;
  /** FORMAT CSV: quote a field holding the delimiter, `"`, LF or CR, doubling inner quotes. */
  csv?: boolean;
  /** ADDQUOTES: every field in `"`. */
  addQuotes?: boolean;
  compression?: 'gzip' | 'bzip2' | 'zstd';
  /** MANIFEST [VERBOSE]: written as `<prefix>manifest`, its URLs under `urlBase`. */
  manifest?: 'plain' | 'verbose';
  /** Where the manifest says the parts are, e.g. `s3://legacy-unload/insights/`. Default `s3://unload/`. */
  urlBase?: string;
  /** Empty slices are written as empty objects, as UNLOAD does for a slice with no rows. */
  emptySlices?: number;
}

const require = createRequire(import.meta.url);

/** Renders one field as UNLOAD would. */
function field(value: string | null, s: UnloadSpec): string {
  const delimiter = s.delimiter ?? (s.csv ? ',' : '|');
  if (value === null) {
    const nul = s.nullAs ?? '';
    return s.addQuotes ? `"${nul}"` : nul;
  }
  let v = value;
  if (s.escape) v = v.replace(new RegExp(`[\\\\\\n\\r${delimiter === '\\' ? '' : delimiter.replace(/[\]^\\-]/g, '\\$&')}${s.addQuotes ? '"' : ''}]`, 'g'), (c) => `\\${c}`);
  if (s.addQuotes) return `"${v}"`;
  if (s.csv && (v.includes(delimiter) || /["\r\n]/.test(v) || v === '')) return `"${v.replaceAll('"', '""')}"`;
  return v;
}

/**
 * Writes an UNLOAD's objects under `dir` the way Redshift names them (`<prefix>0000_part_00`,
 * `.gz`/`.bz2`/`.zst` suffixes, `<prefix>manifest`) and returns the file names written.
 */
export async function writeUnload(dir: string, prefix: string, spec: UnloadSpec): Promise<string[]> {
  const slices = spec.slices ?? 2;
  const delimiter = spec.delimiter ?? (spec.csv ? ',' : '|');
  const ext = { gzip: '.gz', bzip2: '.bz2', zstd: '.zst' }[spec.compression ?? 'none' as never] ?? '';
  const names: string[] = [];
  const texts: string[] = [];
  for (let slice = 0; slice < slices + (spec.emptySlices ?? 0); slice++) {
    const rows = slice < slices ? spec.rows.filter((_, i) => i % slices === slice) : [];
    const lines = rows.map((r) => r.map((v) => field(v, spec)).join(delimiter));
    if (spec.header && rows.length > 0) lines.unshift(spec.columns.map((c) => field(c.name, spec)).join(delimiter));
    names.push(`${prefix}${String(slice).padStart(4, '0')}_part_00${ext}`);
    texts.push(lines.map((l) => `${l}\n`).join(''));
  }
  for (const [i, name] of names.entries()) {
    const path = join(dir, name);
    await mkdir(dirname(path), { recursive: true });
    await writeBytes(path, texts[i] as string, spec.compression);
  }
  if (spec.manifest) {
    const base = spec.urlBase ?? 's3://unload/';
    const entries = names.map((n, i) => ({ url: `${base}${n}`, ...(spec.manifest === 'verbose' ? { meta: { content_length: Buffer.byteLength(texts[i] as string), record_count: spec.rows.filter((_, r) => r % slices === i).length } } : {}) }));
    const manifest = spec.manifest === 'verbose'
      ? { entries, schema: { elements: spec.columns }, meta: { content_length: texts.join('').length, record_count: spec.rows.length }, author: { name: 'Amazon Redshift', version: '1.0.0' } }
      : { entries };
    await writeFile(join(dir, `${prefix}manifest`), JSON.stringify(manifest));
    names.push(`${prefix}manifest`);
  }
  return names;
}

async function writeBytes(path: string, text: string, compression: UnloadSpec['compression']): Promise<void> {
  if (compression === 'gzip') return writeFile(path, gzipSync(text));
  if (compression === 'bzip2') {
    const compressjs = require('compressjs') as { Bzip2: { compressFile(input: Buffer): number[] } };
    return writeFile(path, Buffer.from(compressjs.Bzip2.compressFile(Buffer.from(text))));
  }
  if (compression === 'zstd') {
    // Node 20's zlib has no zstd; DuckDB writes each line verbatim (no quoting: the delimiter is a
    // byte the text never holds), so the file holds exactly `text`.
    if (text.includes('\r') || text.includes('\u001f') || /(^|\n)\n/.test(text)) throw new Error('writeUnload: zstd parts must be plain lines');
    const lines = text.split('\n').slice(0, -1);
    await withDuckDb({ threads: 1 }, async (db) => {
      const values = lines.length > 0 ? lines.map((l, i) => `(${i}, ${sqlString(l)})`).join(', ') : `(0, NULL)`;
      const where = lines.length > 0 ? '' : ' WHERE false';
      await db.run(`COPY (SELECT l FROM (VALUES ${values}) v(i, l)${where} ORDER BY i) TO ${sqlString(path)} (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\u001f', COMPRESSION zstd)`);
    });
    return;
  }
  return writeFile(path, text);
}
