import { isCodedError, QueryError, UnsupportedError } from '../errors.ts';

/**
 * A DuckDB error met while reading a dataset's files, as one line that names the file people
 * know (the `s3://` URL of a download) and what went wrong, without DuckDB's SQL excerpt or the
 * offending line's text (which may hold personal data). DuckDB's input errors (a QueryError that
 * another try would not change) become UnsupportedErrors; retryable I/O errors and every other
 * coded error pass unchanged.
 */
export function readerError(err: unknown, what: { format: string; where: string; sourceOf?: (path: string) => string }): Error {
  const duckdbInput = err instanceof QueryError && err.engine === 'duckdb' && !err.retryable;
  if (!(err instanceof Error) || (isCodedError(err) && !duckdbInput)) return err as Error;
  const message = err.message;
  const fileMatch = /file(?: = |\s+)'?([^'\n]+?)'?(?:\n|$)/.exec(message) ?? /file '([^']+)'/.exec(message);
  const path = fileMatch?.[1]?.trim();
  const file = path ? (what.sourceOf?.(path) ?? path) : what.where;
  const first = (message.split('\n')[0] ?? message)
    .replace(/^[A-Za-z ]*Error: /, '')
    .replace(/^File '[^']*' /, '')
    .replace(/\s*'[^']*'\s*$/, '');
  let reason = first;
  if (/No magic bytes/i.test(message)) reason = `not a Parquet file (no magic bytes at its end)${what.format === 'parquet' ? '; for CSV text give the format (--format csv)' : ''}`;
  const csvLine = /CSV Error on Line: (\d+)/.exec(message);
  const columns = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(message);
  if (csvLine) reason = columns ? `line ${csvLine[1]}: ${columns[2]} fields where ${columns[1]} were expected` : `line ${csvLine[1]}: ${first.replace(/^.*Line: \d+\s*/, '') || 'cannot be parsed'}`;
  const out = new UnsupportedError(`${file}: cannot be read as ${what.format}: ${reason}`, what.format);
  (out as { cause?: unknown }).cause = err;
  return out;
}
