import { sqlString } from '../diff/duckdb-session.ts';
import { parseType } from '../diff/type-family.ts';

/** How a text column is read as a type: the typed value, and when a non-NULL text fails to parse. */
export interface TextCast {
  /** SQL of the typed value (NULL for NULL text and for text that does not parse). */
  value: string;
  /** SQL that is true when the text is not NULL but is not a value of `type`. */
  fails: string;
  /** The type the value has: `type`, or VARCHAR for types text is never cast to. */
  type: string;
}

const TRUE_TEXT = ['t', 'true', '1'];
const FALSE_TEXT = ['f', 'false', '0'];

/**
 * Reads DuckDB text `raw` as `type` exactly, the way Redshift renders values (formats.md 4.4)
 * and Spark writes CSV: `t`/`f` (or `true`/`false`) are booleans; integers are digits only
 * (DuckDB's cast would round `1.5` and take `0x1` or `1_000`); a DECIMAL keeps its type and
 * refuses digits beyond its scale instead of rounding them away; a timestamp with an offset is
 * converted to UTC (DuckDB's TIMESTAMP cast would drop the offset); nested types come from JSON
 * text (Redshift SUPER). BLOB stays text: UNLOAD writes VARBYTE as hex, which no cast reads.
 */
export function castText(raw: string, type: string): TextCast {
  const t = parseType(type, 'duckdb');
  const name = type.trim().toUpperCase();
  const tryCast = (as: string) => `TRY_CAST(${raw} AS ${as})`;
  const failsWhen = (value: string, guard?: string) => `(${raw} IS NOT NULL AND (${guard ? `NOT ${guard} OR ` : ''}${value} IS NULL))`;
  const exact = (value: string, guard?: string): TextCast => ({ value: guard ? `CASE WHEN ${guard} THEN ${value} END` : value, fails: failsWhen(value, guard), type });
  switch (t.family) {
    case 'string':
      return { value: raw, fails: 'false', type };
    case 'integer':
      return exact(tryCast(type), `regexp_full_match(${raw}, '[+-]?[0-9]+')`);
    case 'decimal':
      return exact(tryCast(type), `regexp_full_match(${raw}, ${sqlString(decimalPattern(t.scale))})`);
    case 'boolean': {
      const list = (xs: string[]) => xs.map(sqlString).join(', ');
      return exact(`CASE WHEN lower(${raw}) IN (${list(TRUE_TEXT)}) THEN true WHEN lower(${raw}) IN (${list(FALSE_TEXT)}) THEN false END`);
    }
    case 'timestamp':
      if (name === 'TIMESTAMP') return exact(`CAST(${tryCast('TIMESTAMPTZ')} AS TIMESTAMP)`);
      return exact(tryCast(type));
    case 'float':
    case 'date':
      return exact(tryCast(type));
    default:
      if (name === 'BLOB' || name === 'BYTEA' || name === 'VARBINARY') return { value: raw, fails: 'false', type: 'VARCHAR' };
      if (/[()]|\[\]$/.test(name)) return exact(`TRY_CAST(${tryCast('JSON')} AS ${type})`);
      return exact(tryCast(type));
  }
}

/** Digits with at most `scale` significant decimals (trailing zeros beyond the scale are exact). */
function decimalPattern(scale: number): string {
  if (scale === 0) return '[+-]?[0-9]+(\\.0*)?';
  return `[+-]?([0-9]+(\\.[0-9]{0,${scale}}0*)?|\\.[0-9]{1,${scale}}0*)`;
}
