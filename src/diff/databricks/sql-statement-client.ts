import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, parseRetryAfter, QueryError } from '../../errors.ts';
import { warehouseQueryError } from '../query-errors.ts';

/**
 * A thin typed client for the Databricks SQL Statement Execution API (apis.md section 2):
 * submit with a short server-side wait, poll until the statement is terminal, then follow
 * result chunks. JSON_ARRAY results are strings (or null) whatever the column type.
 */
export interface SqlStatementClientOptions {
  /** Workspace URL, e.g. `https://adb-123.azuredatabricks.net` or a fake's `http://127.0.0.1:PORT`. */
  host: string;
  /** A PAT or an OAuth access token; asked for on every request so it can be refreshed. */
  getToken: () => Promise<string>;
  warehouseId: string;
  fetch?: typeof fetch;
  /** First poll delay; doubles up to `maxPollIntervalMs`. Default 500 ms. */
  pollIntervalMs?: number;
  /** Default 5,000 ms (the API may lag ~5 s behind reality anyway). */
  maxPollIntervalMs?: number;
  /** Server-side wait on submit: `0s` or `5s`–`50s`. Default `10s`. */
  waitTimeout?: string;
  /**
   * How long a statement may take, submit to result (`CUTOVER_SQL_STATEMENT_TIMEOUT_MS`). Past it
   * the statement is cancelled and the call fails, saying so. Default 1 hour.
   */
  timeoutMs?: number;
}

/** Default of `SqlStatementClientOptions.timeoutMs`. */
export const SQL_STATEMENT_TIMEOUT_MS = 3_600_000;

export interface StatementParameter {
  name: string;
  value: string | null;
  type?: string;
}

export interface StatementResult {
  statementId: string;
  columns: { name: string; typeName: string }[];
  rows: (string | null)[][];
  truncated: boolean;
}

type State = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED' | 'CLOSED';
interface ResultChunk {
  data_array?: (string | null)[][];
  next_chunk_index?: number;
  next_chunk_internal_link?: string;
}
interface StatementResponse {
  statement_id: string;
  status: { state: State; error?: { error_code?: string; message?: string }; sql_state?: string };
  manifest?: { schema?: { columns?: { name: string; type_name: string }[] }; truncated?: boolean };
  result?: ResultChunk;
}

export class SqlStatementClient {
  private readonly fetch: typeof fetch;
  private readonly base: string;

  constructor(private readonly options: SqlStatementClientOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.base = `${options.host.replace(/\/+$/, '')}/api/2.0/sql/statements`;
  }

  /**
   * Runs one statement to completion. FAILED, CANCELED and CLOSED become QueryErrors, retryable
   * only for service conditions (src/diff/query-errors.ts); HTTP failures of the API are ApiErrors.
   */
  async execute(statement: string, opts: { parameters?: StatementParameter[]; signal?: AbortSignal } = {}): Promise<StatementResult> {
    const { signal } = opts;
    const timeoutMs = this.options.timeoutMs ?? SQL_STATEMENT_TIMEOUT_MS;
    const deadline = performance.now() + timeoutMs;
    let res = await this.call<StatementResponse>('POST', this.base, signal, {
      warehouse_id: this.options.warehouseId,
      statement,
      parameters: opts.parameters,
      wait_timeout: this.options.waitTimeout ?? '10s',
      on_wait_timeout: 'CONTINUE',
      disposition: 'INLINE',
      format: 'JSON_ARRAY',
    });
    let delay = this.options.pollIntervalMs ?? 500;
    const id = res.statement_id;
    try {
      while (res.status.state === 'PENDING' || res.status.state === 'RUNNING') {
        const left = deadline - performance.now();
        if (left <= 0) {
          await this.call('POST', `${this.base}/${id}/cancel`, undefined).catch(() => undefined);
          throw new QueryError({
            engine: 'databricks-sql',
            kind: 'TIMEOUT',
            retryable: false,
            message: `statement ${id} was still ${res.status.state} after ${formatDuration(timeoutMs)}, the limit (CUTOVER_SQL_STATEMENT_TIMEOUT_MS); Cutover cancelled it`,
          });
        }
        await sleep(Math.min(delay, left), undefined, { signal });
        delay = Math.min(delay * 2, this.options.maxPollIntervalMs ?? 5000);
        res = await this.call<StatementResponse>('GET', `${this.base}/${id}`, signal);
      }
    } catch (err) {
      if (!signal?.aborted) throw err;
      // Stopping to poll does not stop the statement: cancel it explicitly, then say why.
      await this.call('POST', `${this.base}/${id}/cancel`, undefined).catch(() => undefined);
      throw signal.reason ?? err;
    }
    if (res.status.state !== 'SUCCEEDED') throw statementError(res);
    const rows = [...(res.result?.data_array ?? [])];
    let chunk = res.result;
    while (chunk?.next_chunk_index !== undefined && chunk.next_chunk_index !== null) {
      const url = chunk.next_chunk_internal_link
        ? `${this.options.host.replace(/\/+$/, '')}${chunk.next_chunk_internal_link}`
        : `${this.base}/${res.statement_id}/result/chunks/${chunk.next_chunk_index}`;
      chunk = await this.call<ResultChunk>('GET', url, signal);
      rows.push(...(chunk.data_array ?? []));
    }
    const columns = (res.manifest?.schema?.columns ?? []).map((c) => ({ name: c.name, typeName: c.type_name }));
    return { statementId: res.statement_id, columns, rows, truncated: res.manifest?.truncated ?? false };
  }

  /** The warehouse itself (`GET /api/2.0/sql/warehouses/{id}`): the preflight's check that it exists and can be used. */
  getWarehouse(signal?: AbortSignal): Promise<{ id: string; name?: string; state?: string }> {
    return this.call('GET', `${this.options.host.replace(/\/+$/, '')}/api/2.0/sql/warehouses/${encodeURIComponent(this.options.warehouseId)}`, signal);
  }

  /** Rows as objects keyed by column name (values still strings or null). */
  async query(statement: string, opts: { parameters?: StatementParameter[]; signal?: AbortSignal } = {}): Promise<Record<string, string | null>[]> {
    const result = await this.execute(statement, opts);
    return result.rows.map((row) => Object.fromEntries(result.columns.map((c, i) => [c.name, row[i] ?? null])));
  }

  private async call<T>(method: 'GET' | 'POST', url: string, signal: AbortSignal | undefined, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.fetch(url, {
        method,
        signal,
        headers: { Authorization: `Bearer ${await this.options.getToken()}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new ApiError({ service: 'databricks-sql', message: `${method} ${new URL(url).pathname}: ${(err as Error).message}`, cause: err });
    }
    const text = await res.text();
    if (!res.ok) {
      const parsed = safeJson(text) as { error_code?: string; message?: string } | undefined;
      throw new ApiError({
        service: 'databricks-sql',
        statusCode: res.status,
        apiCode: parsed?.error_code,
        message: `${method} ${new URL(url).pathname}: ${res.status} ${parsed?.message ?? text.slice(0, 200)}`,
        retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
      });
    }
    return (text ? JSON.parse(text) : {}) as T;
  }
}

function statementError(res: StatementResponse): QueryError {
  const { state, error, sql_state: sqlState } = res.status;
  return warehouseQueryError({ statementId: res.statement_id, state, errorCode: error?.error_code, message: error?.message, sqlState });
}

function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
