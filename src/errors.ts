/**
 * Every error Cutover raises on purpose, in one place (STYLE 7).
 *
 * Errors cross Redis (BullMQ stores `failedReason` and our own job data), so callers
 * match on the stable `code`, never on the message. `retryable` tells the job layer
 * whether BullMQ should try again; `retryAfterMs` carries a server's `Retry-After`.
 */
export interface CodedError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly statusCode?: number;
  readonly retryAfterMs?: number;
}

export type ErrorCode =
  | 'config_invalid'
  | 'usage_invalid'
  | 'permission_denied'
  | 'not_found'
  | 'invalid_state'
  | 'api_error'
  | 'unsupported'
  | 'query_failed'
  | 'internal';

abstract class BaseError extends Error implements CodedError {
  abstract readonly code: ErrorCode;
  readonly retryable: boolean = false;
  readonly statusCode?: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The catalog or the environment is invalid; `problems` names every bad field by path. */
export class ConfigError extends BaseError {
  readonly code = 'config_invalid' as const;
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Bad slash-command or CLI input; `usage` is the usage line to show with it. */
export class UsageError extends BaseError {
  readonly code = 'usage_invalid' as const;
  override readonly statusCode = 400;
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

export class PermissionDeniedError extends BaseError {
  readonly code = 'permission_denied' as const;
  override readonly statusCode = 403;
}

export class NotFoundError extends BaseError {
  readonly code = 'not_found' as const;
  override readonly statusCode = 404;
}

/** An operation that is not allowed in the current state (e.g. repairing a run that is still running). */
export class InvalidStateError extends BaseError {
  readonly code = 'invalid_state' as const;
  override readonly statusCode = 409;
}

/**
 * Input Cutover cannot read correctly: a Delta reader feature it does not implement, a format
 * it does not know, a column count that does not match. Permanent, and named (STYLE 17): the
 * message says which file or table and which feature, because a silently wrong diff is worse
 * than none.
 */
export class UnsupportedError extends BaseError {
  readonly code = 'unsupported' as const;
  override readonly statusCode = 422;
  constructor(
    message: string,
    /** The feature, format or option that is not supported, e.g. `typeWidening` or `orc`. */
    readonly feature: string,
  ) {
    super(message);
  }
}

/**
 * A SQL statement failed in DuckDB or in the SQL warehouse (see src/diff/query-errors.ts, the
 * one classifier). `retryable` only for I/O and service failures (S3 unreachable, a warehouse
 * starting); a corrupt file, bad SQL, a type mismatch or a missing column fail the same way
 * every time, so they are reported at once instead of being retried for days.
 */
export class QueryError extends BaseError {
  readonly code = 'query_failed' as const;
  override readonly retryable: boolean;
  override readonly statusCode = 422;
  readonly engine: 'duckdb' | 'databricks-sql';
  /** The engine's own class of error: DuckDB's `Binder`, `IO`…; the warehouse's error code. */
  readonly kind: string;
  /** The warehouse's SQLSTATE, when it gave one. */
  readonly sqlState?: string;
  constructor(opts: { engine: 'duckdb' | 'databricks-sql'; kind: string; message: string; retryable: boolean; sqlState?: string; cause?: unknown }) {
    super(opts.message, { cause: opts.cause });
    this.engine = opts.engine;
    this.kind = opts.kind;
    this.retryable = opts.retryable;
    this.sqlState = opts.sqlState;
  }
}

export type ApiService =
  | 'databricks'
  | 'databricks-sql'
  | 'emr'
  | 'airflow'
  | 'slack'
  | 's3'
  | 'sns'
  | 'redshift-data'
  | 'sfn'
  | 'emr-serverless'
  | 'scheduler'
  | 'eventbridge'
  | 'glue'
  | 'cost-explorer';


/**
 * A failed call to an outside API. 429, 5xx and network failures are retryable; 4xx are
 * permanent and carry the API's own error code and message so people can act on them.
 */
export class ApiError extends BaseError {
  readonly code = 'api_error' as const;
  override readonly retryable: boolean;
  override readonly statusCode?: number;
  readonly service: ApiService;
  /** The API's own error code, e.g. Databricks `RESOURCE_DOES_NOT_EXIST`. */
  readonly apiCode?: string;
  readonly retryAfterMs?: number;
  constructor(opts: {
    service: ApiService;
    message: string;
    statusCode?: number;
    apiCode?: string;
    retryable?: boolean;
    retryAfterMs?: number;
    cause?: unknown;
  }) {
    super(opts.message, { cause: opts.cause });
    this.service = opts.service;
    this.statusCode = opts.statusCode;
    this.apiCode = opts.apiCode;
    this.retryAfterMs = opts.retryAfterMs;
    this.retryable = opts.retryable ?? isRetryableStatus(opts.statusCode);
  }
}

/** 429 and 5xx (and no status at all, i.e. the network) are worth another try. */
export function isRetryableStatus(status: number | undefined): boolean {
  return status === undefined || status === 429 || status >= 500;
}

export class InternalError extends BaseError {
  readonly code = 'internal' as const;
  override readonly retryable = true;
}

export function isCodedError(err: unknown): err is CodedError {
  return err instanceof Error && typeof (err as Partial<CodedError>).code === 'string' && 'retryable' in err;
}

/** At the edges: anything thrown becomes a CodedError (unknown errors are retryable internals). */
export function asCodedError(err: unknown): CodedError {
  if (isCodedError(err)) return err;
  if (err instanceof Error) return new InternalError(err.message, { cause: err });
  return new InternalError(String(err));
}

/** Parses an HTTP `Retry-After` header (seconds or HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
