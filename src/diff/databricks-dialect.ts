import { applyStringOptions, MICROS_PER_UNIT, type ResolvedOptions, type SqlDialect } from './sql-dialect.ts';
import { canonicalNestedSql, type NestedSql } from './nested-types.ts';
import type { ColumnType, ComparePlan } from './type-family.ts';

/** Time-of-day patterns; the ISO `T` and `Z` are concatenated, not quoted inside the pattern. */
const TIME_FORMAT = { s: 'HH:mm:ss', ms: 'HH:mm:ss.SSS', us: 'HH:mm:ss.SSSSSS' } as const;

const quote = (id: string) => `\`${id.replaceAll('`', '``')}\``;

/**
 * Structs rebuilt in field-name order; maps as their entries sorted by key (Spark cannot compare
 * maps at all, arrays of structs it can).
 */
const nestedSql: NestedSql = {
  field: (expr, name) => `${expr}.${quote(name)}`,
  struct: (fields) => `named_struct(${fields.map((f) => `'${f.name.replaceAll("'", "\\'")}', ${f.value}`).join(', ')})`,
  sortedEntries: (expr, v, key, value) => {
    const entries = key === `${v}.key` && value === `${v}.value` ? `map_entries(${expr})` : `transform(map_entries(${expr}), ${v} -> named_struct('key', ${key}, 'value', ${value}))`;
    return `array_sort(${entries})`;
  },
  transform: (expr, v, body) => `transform(${expr}, ${v} -> ${body})`,
};

/**
 * Databricks SQL. Statements run without a session we control, so nothing here depends on the
 * session time zone: timestamps become UTC epoch microseconds (floored to the precision) and
 * only the sample text converts back, through `to_utc_timestamp(..., current_timezone())`.
 *
 * The row checksum is md5 of a JSON array of the canonical values (JSON escapes every value, so
 * no separator can be forged and NULL stays distinct from ''), its first 60 bits read as a
 * number, to be summed as DECIMAL(38,0): 2^60 per row leaves room for 10^20 rows.
 */
export const databricksDialect: SqlDialect = {
  name: 'databricks',
  quote,
  double: (value) => `CAST('${String(value)}' AS DOUBLE)`,
  rowHash: (parts) =>
    `CAST(conv(substr(md5(to_json(array(${parts.map((p) => `CAST(${p} AS STRING)`).join(', ')}))), 1, 15), 16, 10) AS DECIMAL(38,0))`,
  bucket: (keyParts, buckets) => `pmod(xxhash64(${keyParts.join(', ')}), ${buckets})`,

  canonical(expr: string, side: ColumnType, plan: ComparePlan, o: ResolvedOptions): string {
    switch (plan.kind) {
      case 'exact':
        if (plan.sameType) return expr;
        return `CAST(${expr} AS DECIMAL(38,${plan.scale}))`;
      case 'float':
        return side.raw.toUpperCase() === 'DOUBLE' ? expr : `CAST(${expr} AS DOUBLE)`;
      case 'timestamp': {
        const micros = epochMicros(expr, side);
        const unit = MICROS_PER_UNIT[o.timestamps];
        return unit === 1 ? micros : `(${micros} - pmod(${micros}, ${unit}))`;
      }
      case 'string':
        return applyStringOptions(expr, o);
      case 'nested':
        return canonicalNestedSql(expr, side.nested ?? { kind: 'scalar', raw: side.raw }, nestedSql);
      case 'text':
        // Nested values of different shapes compare as JSON, which keeps every value apart.
        return side.nested ? `CAST(to_json(${canonicalNestedSql(expr, side.nested, nestedSql)}) AS STRING)` : `CAST(${expr} AS STRING)`;
      default:
        return expr;
    }
  },

  display(canonical: string, plan: ComparePlan, o: ResolvedOptions): string {
    if (plan.kind === 'string') return canonical;
    if (plan.kind === 'timestamp') {
      const utc = `to_utc_timestamp(timestamp_micros(${canonical}), current_timezone())`;
      return `concat(date_format(${utc}, 'yyyy-MM-dd'), 'T', date_format(${utc}, '${TIME_FORMAT[o.timestamps]}'), 'Z')`;
    }
    return `CAST(${canonical} AS STRING)`;
  },
};

function epochMicros(expr: string, side: ColumnType): string {
  if (side.family === 'date') return `(CAST(unix_date(${expr}) AS BIGINT) * 86400000000)`;
  if (side.instant) return `unix_micros(${expr})`;
  // TIMESTAMP_NTZ is a wall clock read as UTC: wall-clock arithmetic, no time zone involved.
  return `timestampdiff(MICROSECOND, TIMESTAMP_NTZ'1970-01-01 00:00:00', ${expr})`;
}
