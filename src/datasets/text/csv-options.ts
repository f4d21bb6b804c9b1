import { sqlString } from '../../diff/duckdb-session.ts';
import type { CsvOptions } from '../types.ts';

/** A side's text options with every default applied. */
export interface TextOptions {
  format: 'csv' | 'unload';
  header: boolean;
  delimiter: string;
  /** The text that means NULL; '' is an empty field. */
  null: string;
  /** '' when fields are never quoted. */
  quote: string;
  /** The escape character, or '' for none. */
  escape: string;
}

/**
 * Defaults (DESIGN.md "Dataset sources and formats"): `csv` is RFC 4180 with a header
 * (`,`, `"` doubled inside quotes); `unload` is Redshift UNLOAD's default text: `|`, no header,
 * no quotes (UNLOAD quotes only with FORMAT CSV or ADDQUOTES, so a `"` in default text is
 * data), an empty field is NULL, no escapes unless ESCAPE.
 */
export function resolveTextOptions(format: 'csv' | 'unload', csv: CsvOptions = {}): TextOptions {
  const unload = format === 'unload';
  const escape = csv.escape === true ? '\\' : csv.escape === false || csv.escape === undefined ? '' : csv.escape;
  return {
    format,
    header: csv.header ?? !unload,
    delimiter: csv.delimiter ?? (unload ? '|' : ','),
    null: csv.null ?? '',
    quote: csv.quote ?? (unload ? '' : '"'),
    escape,
  };
}

/**
 * Redshift's ESCAPE puts `\` before delimiters, line breaks, quotes and itself anywhere in a
 * field, quoted or not; DuckDB only honours an escape before a quote inside quotes. Such text
 * goes through unescapeText first. A `csv` side's escape (Spark writes `\"` inside quotes) is
 * DuckDB's own.
 */
export function needsUnescaping(o: TextOptions): boolean {
  return o.format === 'unload' && o.escape !== '';
}

/** The read_csv options for text in these options (nothing is sniffed but the line ending). */
export function duckdbCsvOptions(o: TextOptions): string[] {
  const quoteEscape = o.escape !== '' ? o.escape : o.quote;
  return [
    `delim = ${sqlString(o.delimiter)}`,
    `quote = ${sqlString(o.quote)}`,
    `escape = ${sqlString(o.quote === '' ? '' : quoteEscape)}`,
    `nullstr = ${sqlString(o.null)}`,
    // UNLOAD cannot tell '' from NULL (ADDQUOTES writes NULL as ""); a CSV writer like Spark writes
    // NULL as an empty field and '' as "".
    `allow_quoted_nulls = ${o.format === 'unload'}`,
    `comment = ''`,
    `skip = 0`,
  ];
}

/** What unescapeText writes: RFC 4180, every value quoted, NULL an empty unquoted field. */
export const UNESCAPED_OPTIONS: TextOptions = { format: 'csv', header: false, delimiter: ',', null: '', quote: '"', escape: '' };
