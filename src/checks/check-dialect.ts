import { databricksDialect, duckdbDialect, sqlString } from '../diff/index.ts';

/**
 * What the check SQL needs beyond the diff's dialects (whose identifier quoting it reuses):
 * string literals, regular expressions, instants and the order of samples.
 */
export interface CheckDialect {
  readonly name: 'duckdb' | 'databricks';
  quote(identifier: string): string;
  string(value: string): string;
  /** A value as text, so mixed-type `accepted_values` compare the same way everywhere. */
  text(expr: string): string;
  /** True when the non-null text of `expr` does not contain a match of `pattern`. */
  notMatching(expr: string, pattern: string): string;
  /** `expr` as an instant (a timestamp without time zone is read as UTC). */
  instant(expr: string): string;
  /** The instant `ms` (epoch milliseconds) as a literal. */
  instantLiteral(ms: number): string;
  /** An instant as ISO-8601 UTC text, for samples. */
  isoText(instant: string): string;
  /** ORDER BY for samples; `columns` are ones the failing query is known to return. */
  sampleOrder(columns: string[]): string;
  /** A named parameter marker: values of `{{period}}` and `{{param.X}}` are bound, never pasted. */
  marker(name: string): string;
}

export const duckdbChecks: CheckDialect = {
  name: 'duckdb',
  quote: duckdbDialect.quote,
  // DuckDB never treats backslashes in literals as escapes: only quotes need doubling.
  string: sqlString,
  text: (expr) => `CAST(${expr} AS VARCHAR)`,
  notMatching: (expr, pattern) => `NOT regexp_matches(CAST(${expr} AS VARCHAR), ${sqlString(pattern)})`,
  // The session runs in UTC (see withDuckDb), so a plain TIMESTAMP cast here is read as UTC.
  instant: (expr) => `CAST(${expr} AS TIMESTAMPTZ)`,
  instantLiteral: (ms) => `TIMESTAMPTZ '${new Date(ms).toISOString()}'`,
  isoText: (instant) => `strftime(${instant}, '%Y-%m-%dT%H:%M:%SZ')`,
  // ORDER BY ALL makes samples stable from run to run whatever the failing query returns.
  sampleOrder: () => ' ORDER BY ALL',
  // Prepared-statement parameters ($name), bound by DuckDB as VARCHAR.
  marker: (name) => `$${name}`,
};

export const databricksChecks: CheckDialect = {
  name: 'databricks',
  quote: databricksDialect.quote,
  // Spark SQL reads backslash escapes in literals, so a regex's `\d` must arrive as `\\d`.
  string: (value) => `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`,
  text: (expr) => `CAST(${expr} AS STRING)`,
  notMatching: (expr, pattern) => `NOT (CAST(${expr} AS STRING) RLIKE ${databricksChecks.string(pattern)})`,
  instant: (expr) => `CAST(${expr} AS TIMESTAMP)`,
  // An epoch literal does not depend on how the warehouse parses zone suffixes.
  instantLiteral: (ms) => `timestamp_millis(${Math.trunc(ms)})`,
  isoText: (instant) => {
    const utc = `to_utc_timestamp(${instant}, current_timezone())`;
    return `concat(date_format(${utc}, 'yyyy-MM-dd'), 'T', date_format(${utc}, 'HH:mm:ss'), 'Z')`;
  },
  // ORDER BY ALL fails on MAP columns there: order only by columns the check itself reads.
  sampleOrder: (columns) => (columns.length === 0 ? '' : ` ORDER BY ${columns.join(', ')}`),
  // Statement Execution API named markers (:name), sent as `parameters` of type STRING.
  marker: (name) => `:${name}`,
};

/** A numeric literal; the catalog schema guarantees a finite number. */
export function numberLiteral(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
  return String(value);
}
