import { ApiError } from '../../errors.ts';
import type { Fetch } from '../../http/instrumented-fetch.ts';
import type { Logger } from '../../logger.ts';
import { errorFromResponse, networkError } from './api-error.ts';
import { OAuthM2MTokenSource, personalAccessToken, type TokenSource } from './token-source.ts';
import type { Job, JobSettings, Run, RunList, RunOutput } from './types.ts';

export interface DatabricksClientOptions {
  /** Workspace URL, e.g. `https://adb-123.4.azuredatabricks.net`; `http://127.0.0.1:PORT` works for tests. Trailing slashes are ignored. */
  host: string;
  /** A personal access token (`{ token }`), or an OAuth M2M service principal (`{ clientId, clientSecret }`). */
  auth: { token: string } | { clientId: string; clientSecret: string };
  /** The fetch to use (the app passes `instrumentedFetch('databricks', metrics)`). Default: global `fetch`. */
  fetch?: Fetch;
  /** Gets one debug line per call (method, path, status, ms; never a credential). Default: no logging. */
  logger?: Logger;
  /** Clock for OAuth token expiry. Default: `Date.now`. */
  now?: () => number;
}

export interface RunNowInput {
  jobId: number;
  /** Sent as `job_parameters`; values must be strings. */
  jobParameters?: Record<string, string>;
  /** ≤ 64 characters; the same token never starts a second run. */
  idempotencyToken?: string;
}

export interface RepairRunInput {
  runId: number;
  rerunAllFailedTasks: true;
  /** Required by Databricks on every repair after the first one of a run. */
  latestRepairId?: number;
}

const API = '/api/2.1/jobs';
const MAX_IDEMPOTENCY_TOKEN = 64;

/**
 * A thin typed client for the Databricks Jobs API 2.1 (STYLE 11). It does not retry: every
 * failure is an `ApiError` whose `retryable`/`retryAfterMs` tell the BullMQ job what to do.
 */
export class DatabricksClient {
  readonly host: string;
  readonly #fetch: Fetch;
  readonly #logger?: Logger;
  readonly #tokens: TokenSource;

  constructor(options: DatabricksClientOptions) {
    this.host = options.host.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? fetch;
    this.#logger = options.logger;
    this.#tokens =
      'token' in options.auth
        ? personalAccessToken(options.auth.token)
        : new OAuthM2MTokenSource({ ...options.auth, host: this.host, fetch: this.#fetch, now: options.now ?? Date.now });
  }

  async runNow({ jobId, jobParameters, idempotencyToken }: RunNowInput, signal?: AbortSignal): Promise<{ runId: number }> {
    if (idempotencyToken !== undefined && idempotencyToken.length > MAX_IDEMPOTENCY_TOKEN) {
      // Databricks would refuse it with a 400; say so before sending anything.
      throw new ApiError({
        service: 'databricks',
        apiCode: 'INVALID_PARAMETER_VALUE',
        message: `idempotency_token must be at most ${MAX_IDEMPOTENCY_TOKEN} characters (got ${idempotencyToken.length})`,
        retryable: false,
      });
    }
    const body = { job_id: jobId, job_parameters: jobParameters, idempotency_token: idempotencyToken };
    const res = await this.#request<{ run_id: number }>('POST', `${API}/run-now`, { body }, signal);
    return { runId: res.run_id };
  }

  getRun(runId: number, { includeHistory = false }: { includeHistory?: boolean } = {}, signal?: AbortSignal): Promise<Run> {
    const query = { run_id: String(runId), ...(includeHistory ? { include_history: 'true' } : {}) };
    return this.#request<Run>('GET', `${API}/runs/get`, { query }, signal);
  }

  /**
   * One page of a job's runs, newest first (`runs/list`, at most 25 a page). `activeOnly` leaves
   * out ended runs; `expandTasks` includes each run's tasks, so a page can stand in for a
   * `runs/get` of each active run (batched polling, issue 17).
   */
  listRuns(
    { jobId, activeOnly = false, expandTasks = false, pageToken }: { jobId: number; activeOnly?: boolean; expandTasks?: boolean; pageToken?: string },
    signal?: AbortSignal,
  ): Promise<RunList> {
    const query: Record<string, string> = { job_id: String(jobId), limit: '25', active_only: String(activeOnly), expand_tasks: String(expandTasks) };
    if (pageToken) query.page_token = pageToken;
    return this.#request<RunList>('GET', `${API}/runs/list`, { query }, signal);
  }

  /** Output of one task run: pass `tasks[].run_id`, never the parent id of a multi-task run. */
  getRunOutput(taskRunId: number, signal?: AbortSignal): Promise<RunOutput> {
    return this.#request<RunOutput>('GET', `${API}/runs/get-output`, { query: { run_id: String(taskRunId) } }, signal);
  }

  /** Asks for cancellation; the run stays active until a later `getRun` shows it terminated. */
  async cancelRun(runId: number, signal?: AbortSignal): Promise<void> {
    await this.#request('POST', `${API}/runs/cancel`, { body: { run_id: runId } }, signal);
  }

  async repairRun({ runId, rerunAllFailedTasks, latestRepairId }: RepairRunInput, signal?: AbortSignal): Promise<{ repairId: number }> {
    const body = { run_id: runId, rerun_all_failed_tasks: rerunAllFailedTasks, latest_repair_id: latestRepairId };
    const res = await this.#request<{ repair_id: number }>('POST', `${API}/runs/repair`, { body }, signal);
    return { repairId: res.repair_id };
  }

  getJob(jobId: number, signal?: AbortSignal): Promise<Job> {
    return this.#request<Job>('GET', `${API}/get`, { query: { job_id: String(jobId) } }, signal);
  }

  /** Replaces the given top-level settings wholesale (send the whole `schedule`, not a part of it). */
  async updateJob(jobId: number, newSettings: Partial<JobSettings>, signal?: AbortSignal): Promise<void> {
    await this.#request('POST', `${API}/update`, { body: { job_id: jobId, new_settings: newSettings } }, signal);
  }

  async #request<T>(
    method: 'GET' | 'POST',
    path: string,
    { query, body }: { query?: Record<string, string>; body?: unknown },
    signal?: AbortSignal,
  ): Promise<T> {
    const operation = `${method} ${path}`;
    const url = `${this.host}${path}${query ? `?${new URLSearchParams(query).toString()}` : ''}`;
    const token = await this.#tokens.token(signal);
    const started = performance.now();
    let res: Response;
    try {
      res = await this.#fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      // An abort is the caller's decision (job cancelled, shutdown), not a failure to retry.
      if (signal?.aborted) throw signal.reason ?? err;
      this.#logger?.debug({ service: 'databricks', operation, error: String(err) }, 'databricks call failed');
      throw networkError(err, operation);
    }
    this.#logger?.debug({ service: 'databricks', operation, status: res.status, ms: Math.round(performance.now() - started) }, 'databricks call');
    if (!res.ok) {
      if (res.status === 401) this.#tokens.invalidate();
      throw await errorFromResponse(res, operation, [...this.#tokens.secrets, token]);
    }
    return readJson<T>(res, operation, signal);
  }
}

async function readJson<T>(res: Response, operation: string, signal: AbortSignal | undefined): Promise<T> {
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    if (signal?.aborted) throw signal.reason ?? err;
    throw networkError(err, operation);
  }
  try {
    return (text ? JSON.parse(text) : {}) as T;
  } catch (err) {
    // A 2xx that is not JSON comes from a proxy in the way, not from the API: try again later.
    throw new ApiError({ service: 'databricks', message: `Databricks ${operation} returned a body that is not JSON`, retryable: true, cause: err });
  }
}
