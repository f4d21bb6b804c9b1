import { UnsupportedError } from '../../errors.ts';
import type { SchemaColumn } from '../../diff/column-plan.ts';

/** A Redshift UNLOAD manifest: the files of the unload and, when VERBOSE, the table's columns. */
export interface UnloadManifest {
  /** `entries[].url`, in order. */
  urls: string[];
  /** VERBOSE only: names and DuckDB types, in column order. */
  schema?: SchemaColumn[];
}

/** `<prefix>manifest` (UNLOAD's own name for it), whatever the prefix. */
export function isManifestName(rel: string): boolean {
  return /manifest$/i.test(rel.slice(rel.lastIndexOf('/') + 1));
}

/**
 * Parses a manifest (formats.md 4.3): `{"entries":[{"url":…}], "schema":{"elements":[{"name",
 * "type":{"base",…}}]}}`. Anything else is refused naming the file: a manifest read wrongly
 * would drop files or name columns wrongly.
 */
export function parseManifest(text: string, source: string): UnloadManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UnsupportedError(`${source}: not a Redshift UNLOAD manifest (not JSON)`, 'manifest');
  }
  const entries = (json as { entries?: unknown }).entries;
  if (!Array.isArray(entries) || entries.some((e) => typeof (e as { url?: unknown })?.url !== 'string')) {
    throw new UnsupportedError(`${source}: not a Redshift UNLOAD manifest (no "entries" with a "url" each)`, 'manifest');
  }
  const urls = entries.map((e) => (e as { url: string }).url);
  const elements = (json as { schema?: { elements?: unknown } }).schema?.elements;
  if (elements === undefined) return { urls };
  if (!Array.isArray(elements)) throw new UnsupportedError(`${source}: "schema.elements" is not a list`, 'manifest');
  const schema = elements.map((el, i) => {
    const name = (el as { name?: unknown })?.name;
    if (typeof name !== 'string' || name === '') throw new UnsupportedError(`${source}: schema element ${i + 1} has no name`, 'manifest');
    return { name, type: redshiftType((el as { type?: unknown }).type, `${source}: column "${name}"`) };
  });
  return { urls, schema };
}

const TYPES: Record<string, string> = {
  smallint: 'SMALLINT', int2: 'SMALLINT',
  integer: 'INTEGER', int: 'INTEGER', int4: 'INTEGER',
  bigint: 'BIGINT', int8: 'BIGINT',
  real: 'REAL', float4: 'REAL',
  'double precision': 'DOUBLE', float8: 'DOUBLE', float: 'DOUBLE',
  boolean: 'BOOLEAN', bool: 'BOOLEAN',
  'character varying': 'VARCHAR', varchar: 'VARCHAR', character: 'VARCHAR', char: 'VARCHAR', bpchar: 'VARCHAR',
  nchar: 'VARCHAR', nvarchar: 'VARCHAR', text: 'VARCHAR',
  date: 'DATE',
  timestamp: 'TIMESTAMP', 'timestamp without time zone': 'TIMESTAMP',
  timestamptz: 'TIMESTAMPTZ', 'timestamp with time zone': 'TIMESTAMPTZ',
  time: 'TIME', 'time without time zone': 'TIME',
  timetz: 'TIMETZ', 'time with time zone': 'TIMETZ',
  // SUPER is JSON text and VARBYTE hex: compared as the text they are.
  super: 'VARCHAR', varbyte: 'VARCHAR', 'binary varying': 'VARCHAR', varbinary: 'VARCHAR',
};

/**
 * A manifest column type as DuckDB names it. The docs' own example of DECIMAL precision is not
 * valid JSON, so precision and scale are looked for defensively: `precision`/`scale` keys, or
 * `numeric(20,5)` in `base`. A DECIMAL without both is refused: guessing a scale is exactly the
 * rounding this reader exists to avoid.
 */
export function redshiftType(type: unknown, what: string): string {
  const t = (typeof type === 'string' ? { base: type } : type) as Record<string, unknown> | undefined;
  const baseText = typeof t?.base === 'string' ? t.base.trim().toLowerCase() : undefined;
  if (!baseText) throw new UnsupportedError(`${what}: the manifest gives no type`, 'manifest');
  const inline = /^(numeric|decimal)\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(baseText);
  const base = inline ? inline[1] : baseText.replace(/\s*\(.*\)$/, '');
  if (base === 'numeric' || base === 'decimal') {
    const precision = inline ? Number(inline[2]) : Number(t?.precision);
    const scale = inline ? Number(inline[3]) : Number(t?.scale ?? 0);
    if (!Number.isInteger(precision) || precision < 1 || precision > 38 || !Number.isInteger(scale) || scale < 0 || scale > precision) {
      throw new UnsupportedError(`${what}: ${baseText} without a precision and scale Cutover can read`, 'manifest');
    }
    return `DECIMAL(${precision},${scale})`;
  }
  const mapped = base ? TYPES[base] : undefined;
  if (!mapped) throw new UnsupportedError(`${what}: type "${baseText}" is not supported`, baseText);
  return mapped;
}
