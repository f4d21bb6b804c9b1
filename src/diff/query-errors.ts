import { isCodedError, QueryError } from '../errors.ts';
import { redactSecrets } from '../logger.ts';

/**
 * The one place that decides whether a failed SQL statement is worth running again (issue 14
 * #11), for DuckDB (the diff, the checks, the dataset readers) and for the SQL warehouse. Only
 * I/O and service failures are: a network error, an HTTP 5xx or 429 from S3, a warehouse that is
 * starting. Input and schema errors (a corrupt Parquet file, bad SQL, a type mismatch, a missing
 * column) fail the same way every time, so retrying them only delays the report for days.
 */

/** DuckDB's error classes (`<class> Error: …`) that are I/O: another try may read what this one could not. */
const DUCKDB_TRANSIENT = new Set(['IO', 'HTTP', 'Network', 'Connection']);
/** An I/O error that says the input is not there: the same on every try. */
const DUCKDB_MISSING_INPUT = /^No files found that match the pattern/;

/**
 * A DuckDB statement's error as a QueryError. Coded errors (our own, a reader's) pass through as
 * they are. The message keeps DuckDB's first lines only: the `LINE n: <statement>` context that
 * DuckDB appends can quote a whole statement, `CREATE SECRET` credentials included, and secret
 * literals left anywhere else are redacted.
 */
export function duckDbQueryError(err: unknown): unknown {
  if (isCodedError(err) || !(err instanceof Error)) return err;
  const text = scrubStatement(err.message);
  const m = /^([A-Za-z][A-Za-z _]*?) Error: /.exec(text);
  const kind = m?.[1] ?? 'unknown';
  const detail = m ? text.slice(m[0].length) : text;
  return new QueryError({ engine: 'duckdb', kind, message: text, retryable: isTransientDuckDb(kind, detail), cause: err });
}

function isTransientDuckDb(kind: string, detail: string): boolean {
  if (!DUCKDB_TRANSIENT.has(kind)) return false;
  if (DUCKDB_MISSING_INPUT.test(detail)) return false;
  // httpfs: "HTTP GET error on '…' (HTTP 403 Forbidden)"; status 0 means no answer at all.
  const status = /\(HTTP (\d{1,3})\b/.exec(detail)?.[1];
  if (status === undefined) return true;
  const n = Number(status);
  return n === 0 || n === 408 || n === 429 || n >= 500;
}

/** SQLSTATE classes of the warehouse that are service conditions, not the statement's fault. */
const SQLSTATE_TRANSIENT = new Set(['08', '40', '53', '57', '58', 'XX']);
/** Statement Execution `status.error.error_code`s worth another try. */
const WAREHOUSE_TRANSIENT_CODES = new Set(['TEMPORARILY_UNAVAILABLE', 'WORKSPACE_TEMPORARILY_UNAVAILABLE', 'SERVICE_UNDER_MAINTENANCE', 'RESOURCE_EXHAUSTED', 'INTERNAL_ERROR', 'IO_ERROR', 'ABORTED', 'DEADLINE_EXCEEDED']);

/** A statement the warehouse ended FAILED (or CANCELED/CLOSED) as a QueryError. */
export function warehouseQueryError(opts: { statementId: string; state: string; errorCode?: string; message?: string; sqlState?: string }): QueryError {
  const kind = opts.errorCode ?? opts.state;
  const sqlState = opts.sqlState ?? /SQLSTATE: ([0-9A-Z]{5})/.exec(opts.message ?? '')?.[1];
  const transient = opts.state === 'FAILED' && (WAREHOUSE_TRANSIENT_CODES.has(kind) || (sqlState !== undefined && SQLSTATE_TRANSIENT.has(sqlState.slice(0, 2))));
  const message = `statement ${opts.statementId} ${opts.state}: ${scrubStatement(opts.message ?? 'no result')}${opts.sqlState ? ` (SQLSTATE ${opts.sqlState})` : ''}`;
  return new QueryError({ engine: 'databricks-sql', kind, message, retryable: transient, sqlState });
}

/** Drops an echoed statement (`LINE 1: …` and what follows) and redacts secret literals. */
function scrubStatement(message: string): string {
  const cut = message.search(/\n\s*LINE \d+:/);
  return redactSecrets((cut >= 0 ? message.slice(0, cut) : message).trimEnd());
}
