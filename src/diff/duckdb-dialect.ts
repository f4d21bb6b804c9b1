import { applyStringOptions, MICROS_PER_UNIT, type ResolvedOptions, type SqlDialect } from './sql-dialect.ts';
import { canonicalNestedSql, type NestedSql } from './nested-types.ts';
import type { ColumnType, ComparePlan } from './type-family.ts';

const quote = (id: string) => `"${id.replaceAll('"', '""')}"`;

/** Structs rebuilt in field-name order; maps rebuilt in key order, so equality and hash() agree. */
const nestedSql: NestedSql = {
  field: (expr, name) => `struct_extract(${expr}, '${name.replaceAll("'", "''")}')`,
  struct: (fields) => `struct_pack(${fields.map((f) => `${quote(f.name)} := ${f.value}`).join(', ')})`,
  sortedEntries: (expr, v, key, value) => {
    const entries = key === `${v}.key` && value === `${v}.value` ? `map_entries(${expr})` : `list_transform(map_entries(${expr}), lambda ${v}: struct_pack(key := ${key}, value := ${value}))`;
    return `map_from_entries(list_sort(${entries}))`;
  },
  transform: (expr, v, body) => `list_transform(${expr}, lambda ${v}: ${body})`,
};

const TRUNC_UNIT = { s: 'second', ms: 'millisecond', us: 'microsecond' } as const;
const TS_FORMAT = { s: '%Y-%m-%dT%H:%M:%SZ', ms: '%Y-%m-%dT%H:%M:%S.%gZ', us: '%Y-%m-%dT%H:%M:%S.%fZ' } as const;

/**
 * DuckDB. The session runs with TimeZone=UTC (see duckdb-session.ts), so casting an instant
 * (TIMESTAMPTZ) to TIMESTAMP yields its UTC wall clock; a plain TIMESTAMP is read as UTC.
 */
export const duckdbDialect: SqlDialect = {
  name: 'duckdb',
  quote,
  double: (value) => `CAST('${String(value)}' AS DOUBLE)`,
  rowHash: (parts) => `hash(${parts.join(', ')})`,
  bucket: (keyParts, buckets) => `(hash(${keyParts.join(', ')}) % ${buckets})`,

  canonical(expr: string, side: ColumnType, plan: ComparePlan, o: ResolvedOptions): string {
    switch (plan.kind) {
      case 'exact':
        if (plan.sameType) return expr;
        if (plan.scale > 0) return `CAST(${expr} AS DECIMAL(38,${plan.scale}))`;
        return `CAST(${expr} AS ${plan.wide ? 'HUGEINT' : 'BIGINT'})`;
      case 'float':
        return side.raw.toUpperCase() === 'DOUBLE' ? expr : `CAST(${expr} AS DOUBLE)`;
      case 'timestamp':
        return canonicalTimestamp(expr, side, o);
      case 'string':
        return applyStringOptions(expr, o);
      case 'nested':
        return canonicalNestedSql(expr, side.nested ?? { kind: 'scalar', raw: side.raw }, nestedSql);
      case 'text':
        // Nested values of different shapes compare as JSON, which keeps every value apart.
        return side.nested ? `CAST(to_json(${canonicalNestedSql(expr, side.nested, nestedSql)}) AS VARCHAR)` : `CAST(${expr} AS VARCHAR)`;
      default:
        return expr;
    }
  },

  display(canonical: string, plan: ComparePlan, o: ResolvedOptions): string {
    if (plan.kind === 'string') return canonical;
    if (plan.kind === 'timestamp') return `strftime(${canonical}, '${TS_FORMAT[o.timestamps]}')`;
    return `CAST(${canonical} AS VARCHAR)`;
  },
};

function canonicalTimestamp(expr: string, side: ColumnType, o: ResolvedOptions): string {
  let ts: string;
  if (side.family === 'date' || side.instant) ts = `CAST(${expr} AS TIMESTAMP)`;
  else if (side.unit === 'ns') {
    // Casting TIMESTAMP_NS rounds; flooring keeps "truncate" true before 1970 too.
    const ns = `epoch_ns(${expr})`;
    ts = `make_timestamp((${ns} - ((${ns} % 1000) + 1000) % 1000) // 1000)`;
  } else if (side.unit !== 'us') ts = `CAST(${expr} AS TIMESTAMP)`;
  else ts = expr;
  return MICROS_PER_UNIT[o.timestamps] === 1 ? ts : `date_trunc('${TRUNC_UNIT[o.timestamps]}', ${ts})`;
}
