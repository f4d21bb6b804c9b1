import { ApiError, parseRetryAfter } from '../../errors.ts';
import type { Fetch } from '../../http/instrumented-fetch.ts';
import { parseLogBody, parseLogEvent } from './log-lines.ts';

/** `v1`: Airflow 2's stable REST API (`/api/v1`); `v2`: Airflow 3's (`/api/v2`). */
export type AirflowApiVersion = 'v1' | 'v2';

export interface AirflowClientOptions {
  /** Root of the Airflow web/API server, e.g. `https://airflow.example.com`; a trailing `/api/v1` or `/api/v2` is ignored. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <token>`; none for a test server without auth. */
  token?: string;
  /**
   * A user's name and password instead of a token. `v1`: HTTP basic auth (Airflow 2's
   * `airflow.api.auth.backend.basic_auth`). `v2`: Airflow 3's API takes only JWTs, so they buy one
   * from `POST /auth/token`, kept until the API refuses it (it expires), then bought again.
   */
  credentials?: { username: string; password: string };
  /** Default `v1`. */
  apiVersion?: AirflowApiVersion;
  /** Default: the global fetch. The app passes an instrumented one. */
  fetch?: Fetch;
}

export type DagRunState = 'queued' | 'running' | 'success' | 'failed';

/** The fields of `DAGRun` (v1) / `DAGRunResponse` (v2) that Cutover reads; both versions name them alike. */
export interface DagRun {
  dag_id: string;
  dag_run_id: string;
  state: DagRunState;
  logical_date?: string | null;
  start_date?: string | null;
  end_date?: string | null;
  conf?: Record<string, unknown> | null;
  note?: string | null;
}

export interface TaskInstance {
  task_id: string;
  /** -1 for an unmapped task. */
  map_index?: number;
  state: string | null;
  start_date?: string | null;
  end_date?: string | null;
  try_number: number;
}

/** Airflow's health answer; components other than these are ignored. */
export interface AirflowHealth {
  metadatabase?: { status?: string };
  scheduler?: { status?: string; latest_scheduler_heartbeat?: string | null };
}

export interface Dag {
  dag_id: string;
  is_paused: boolean;
}

export interface TriggerInput {
  dagRunId: string;
  conf: Record<string, unknown>;
  /** ISO date; omitted means "now" (v1) / `null` (v2, where the field is required but nullable). */
  logicalDate?: string;
}

interface RequestOptions {
  body?: unknown;
  /** An array value repeats the parameter (`state=queued&state=running`), as Airflow's list filters take it. */
  query?: Record<string, string | number | boolean | string[] | undefined>;
  accept?: string;
  signal?: AbortSignal;
}

const TASK_PAGE = 100;
/** Airflow's default `maximum_page_limit`: a larger `limit` is cut to it. */
const RUN_PAGE = 100;

/** A thin typed client for the parts of Airflow's REST API that Cutover uses (STYLE 11). */
export class AirflowClient {
  readonly apiVersion: AirflowApiVersion;
  private readonly root: string;
  private readonly token?: string;
  private readonly credentials?: { username: string; password: string };
  /** Airflow 3's JWT bought with `credentials`; a failed purchase is not kept. */
  private jwt?: Promise<string>;
  private readonly fetch: Fetch;

  constructor({ baseUrl, token, credentials, apiVersion = 'v1', fetch: f = fetch }: AirflowClientOptions) {
    this.root = baseUrl.replace(/\/+$/, '').replace(/\/api\/v[12]$/, '');
    this.token = token;
    this.credentials = credentials;
    this.apiVersion = apiVersion;
    this.fetch = f;
  }

  /**
   * Triggers a DAG run with our own `dag_run_id`. A 409 means that id already exists, i.e.
   * an earlier attempt of this same trigger got through: we return that run (`created: false`),
   * which is what makes a retried trigger idempotent.
   */
  async triggerDagRun(dagId: string, input: TriggerInput, signal?: AbortSignal): Promise<{ run: DagRun; created: boolean }> {
    const body: Record<string, unknown> = { dag_run_id: input.dagRunId, conf: input.conf };
    if (input.logicalDate !== undefined || this.apiVersion === 'v2') body.logical_date = input.logicalDate ?? null;
    try {
      const run = await this.json<DagRun>('POST', `/dags/${seg(dagId)}/dagRuns`, { body, signal });
      return { run, created: true };
    } catch (err) {
      if (!(err instanceof ApiError) || err.statusCode !== 409) throw err;
      // v1 also answers 409 for a clashing logical date; then our run id does not exist and the 409 stands.
      const run = await this.getDagRun(dagId, input.dagRunId, signal).catch((e: unknown) => {
        throw e instanceof ApiError && e.statusCode === 404 ? err : e;
      });
      return { run, created: false };
    }
  }

  getDagRun(dagId: string, dagRunId: string, signal?: AbortSignal): Promise<DagRun> {
    return this.json('GET', `/dags/${seg(dagId)}/dagRuns/${seg(dagRunId)}`, { signal });
  }

  /**
   * The DAG's runs in the given states, across pages (`GET /dags/{dag_id}/dagRuns?state=…`, in
   * v1 and v2 alike; newest first is not guaranteed, nor needed). At most `maxPages` pages of 100:
   * `truncated` says more existed.
   */
  async listDagRuns(dagId: string, states: DagRunState[], opts: { maxPages: number; signal?: AbortSignal }): Promise<{ runs: DagRun[]; truncated: boolean }> {
    const runs: DagRun[] = [];
    for (let page = 0; page < opts.maxPages; page++) {
      const res = await this.json<{ dag_runs: DagRun[]; total_entries: number }>('GET', `/dags/${seg(dagId)}/dagRuns`, {
        query: { state: states, limit: RUN_PAGE, offset: page * RUN_PAGE },
        signal: opts.signal,
      });
      runs.push(...res.dag_runs);
      if (res.dag_runs.length < RUN_PAGE || runs.length >= res.total_entries) return { runs, truncated: false };
    }
    return { runs, truncated: true };
  }

  /**
   * The task instances of several runs of one DAG in one request (the batch endpoint
   * `POST /dags/~/dagRuns/~/taskInstances/list` with `dag_ids` and `dag_run_ids`; Airflow 2.7.1+
   * and 3), across pages.
   */
  async listTaskInstancesOfRuns(dagId: string, dagRunIds: string[], signal?: AbortSignal): Promise<(TaskInstance & { dag_run_id: string })[]> {
    const all: (TaskInstance & { dag_run_id: string })[] = [];
    for (let offset = 0; ; offset += TASK_PAGE) {
      const page = await this.json<{ task_instances: (TaskInstance & { dag_run_id: string })[]; total_entries: number }>('POST', '/dags/~/dagRuns/~/taskInstances/list', {
        body: { dag_ids: [dagId], dag_run_ids: dagRunIds, page_offset: offset, page_limit: TASK_PAGE },
        signal,
      });
      all.push(...page.task_instances);
      if (page.task_instances.length < TASK_PAGE || all.length >= page.total_entries) return all;
    }
  }

  /**
   * Airflow has no cancel: setting the run's state is what the UI's "Mark failed" does. A
   * `note` says why; v2 takes it in the same PATCH, v1 (Airflow ≥ 2.5) through `setNote`.
   */
  async setDagRunState(dagId: string, dagRunId: string, state: DagRunState, opts: { note?: string; signal?: AbortSignal } = {}): Promise<DagRun> {
    const path = `/dags/${seg(dagId)}/dagRuns/${seg(dagRunId)}`;
    const { note, signal } = opts;
    if (this.apiVersion === 'v2') return this.json('PATCH', path, { body: note === undefined ? { state } : { state, note }, signal });
    const run = await this.json<DagRun>('PATCH', path, { body: { state }, signal });
    return note === undefined ? run : this.json('PATCH', `${path}/setNote`, { body: { note }, signal });
  }

  /** Every task instance of a run, across pages. */
  async listTaskInstances(dagId: string, dagRunId: string, signal?: AbortSignal): Promise<TaskInstance[]> {
    const all: TaskInstance[] = [];
    for (let offset = 0; ; offset += TASK_PAGE) {
      const page = await this.json<{ task_instances: TaskInstance[]; total_entries: number }>(
        'GET',
        `/dags/${seg(dagId)}/dagRuns/${seg(dagRunId)}/taskInstances`,
        { query: { limit: TASK_PAGE, offset }, signal },
      );
      all.push(...page.task_instances);
      if (page.task_instances.length < TASK_PAGE || all.length >= page.total_entries) return all;
    }
  }

  /**
   * One XCom value of a task of a run, as text (e.g. the cluster id EmrCreateJobFlowOperator
   * returns). v1 sends `value` as a string; v2 as JSON, which is stringified here.
   */
  async getXcomValue(dagId: string, dagRunId: string, taskId: string, key: string, signal?: AbortSignal): Promise<string> {
    const entry = await this.json<{ value?: unknown }>('GET', `/dags/${seg(dagId)}/dagRuns/${seg(dagRunId)}/taskInstances/${seg(taskId)}/xcomEntries/${seg(key)}`, { signal });
    return typeof entry.value === 'string' ? entry.value : JSON.stringify(entry.value ?? null);
  }

  /**
   * The last `lines` lines of one try's log, read as a stream and never more than `maxBytes` of
   * it (issue 14 #15). Airflow's API has no way to ask for the end of a log: with or without
   * `full_content`, a finished try's log comes whole, and continuation tokens are signed by the
   * server, so no offset can be chosen. So the log is streamed (v1 `text/plain`, v2
   * `application/x-ndjson`: one structured event per line, as Airflow streams it), only the last
   * lines are kept, and a log larger than `maxBytes` is abandoned (`complete: false`, no lines):
   * its end is further than Cutover will read. A server that answers JSON anyway is read within
   * the same bound.
   */
  async readLogTail(
    dagId: string,
    dagRunId: string,
    taskId: string,
    tryNumber: number,
    opts: { mapIndex?: number; lines: number; maxBytes: number; signal?: AbortSignal },
  ): Promise<{ lines: string[]; complete: boolean }> {
    const path = `/dags/${seg(dagId)}/dagRuns/${seg(dagRunId)}/taskInstances/${seg(taskId)}/logs/${tryNumber}`;
    const mapIndex = opts.mapIndex !== undefined && opts.mapIndex >= 0 ? opts.mapIndex : undefined;
    const accept = this.apiVersion === 'v1' ? 'text/plain' : 'application/x-ndjson';
    const res = await this.request('GET', path, { query: { map_index: mapIndex }, accept, signal: opts.signal });
    const type = res.headers.get('content-type');
    const events = type?.includes('ndjson') ?? false;
    const tail: string[] = [];
    const keep = (line: string) => {
      tail.push(...(events ? parseLogEvent(line) : [line]));
      if (tail.length > opts.lines) tail.splice(0, tail.length - opts.lines);
    };
    const whole: string[] = [];
    const json = !events && (type?.includes('json') ?? false);
    const reader = res.body?.getReader();
    const decoder = new TextDecoder();
    let read = 0;
    let pending = '';
    try {
      for (;;) {
        const { done, value } = reader ? await reader.read() : { done: true, value: undefined };
        if (done) break;
        read += value.byteLength;
        if (read > opts.maxBytes) return { lines: [], complete: false };
        const text = decoder.decode(value, { stream: true });
        if (json) {
          whole.push(text);
          continue;
        }
        const parts = (pending + text).split(/\r?\n/);
        pending = parts.pop() ?? '';
        for (const part of parts) keep(part);
      }
    } finally {
      await reader?.cancel().catch(() => undefined);
    }
    const rest = pending + decoder.decode();
    if (json) return { lines: parseLogBody(whole.join('') + rest, type).slice(-opts.lines), complete: true };
    if (rest !== '') keep(rest);
    return { lines: tail, complete: true };
  }

  /** `GET /dags/{dag_id}`: the preflight's check that a DAG exists and is visible with this token. */
  getDag(dagId: string, signal?: AbortSignal): Promise<Dag> {
    return this.json('GET', `/dags/${seg(dagId)}`, { signal });
  }

  /** The health endpoint (`/health` in API v1, `/monitor/health` in v2): metadatabase and scheduler status. */
  health(signal?: AbortSignal): Promise<AirflowHealth> {
    return this.json('GET', this.apiVersion === 'v1' ? '/health' : '/monitor/health', { signal });
  }

  /** `PATCH /dags/{dag_id}` with `is_paused`: used by the cutover actions `airflow.pauseDag` / `unpauseDag`. */
  setDagPaused(dagId: string, paused: boolean, signal?: AbortSignal): Promise<Dag> {
    return this.json('PATCH', `/dags/${seg(dagId)}`, { body: { is_paused: paused }, query: { update_mask: 'is_paused' }, signal });
  }

  pauseDag(dagId: string, signal?: AbortSignal): Promise<Dag> {
    return this.setDagPaused(dagId, true, signal);
  }

  unpauseDag(dagId: string, signal?: AbortSignal): Promise<Dag> {
    return this.setDagPaused(dagId, false, signal);
  }

  /** Link to the run in the Airflow UI (Airflow 2's grid view, Airflow 3's run page). */
  runUrl(dagId: string, dagRunId: string, taskId?: string): string {
    if (this.apiVersion === 'v2') {
      return `${this.root}/dags/${seg(dagId)}/runs/${seg(dagRunId)}${taskId ? `/tasks/${seg(taskId)}` : ''}`;
    }
    const q = new URLSearchParams({ dag_run_id: dagRunId, ...(taskId ? { task_id: taskId, tab: 'logs' } : {}) });
    return `${this.root}/dags/${seg(dagId)}/grid?${q}`;
  }

  private async json<T>(method: string, path: string, opts: RequestOptions): Promise<T> {
    const res = await this.request(method, path, { accept: 'application/json', ...opts });
    return (await res.json()) as T;
  }

  private async request(method: string, path: string, opts: RequestOptions): Promise<Response> {
    const authorization = await this.authorization(opts.signal);
    const jwt = this.jwt;
    const res = await this.send(method, path, opts, authorization);
    if (res.status === 401 && jwt) {
      // The JWT expired (Airflow 3 signs them for `[api_auth] jwt_expiration_time`): buy another, once
      // (requests that failed with the same one share the new purchase).
      if (this.jwt === jwt) this.jwt = undefined;
      await res.body?.cancel();
      const again = await this.send(method, path, opts, await this.authorization(opts.signal));
      if (!again.ok) throw await toApiError(again, method, path);
      return again;
    }
    if (!res.ok) throw await toApiError(res, method, path);
    return res;
  }

  private async send(method: string, path: string, { body, query, accept, signal }: RequestOptions, authorization: string | undefined): Promise<Response> {
    const url = new URL(`${this.root}/api/${this.apiVersion}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) {
      if (Array.isArray(v)) for (const item of v) url.searchParams.append(k, item);
      else if (v !== undefined) url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { accept: accept ?? 'application/json' };
    if (authorization) headers.authorization = authorization;
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await this.fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new ApiError({ service: 'airflow', message: `Airflow ${method} ${path}: ${String(err)}`, cause: err });
    }
  }

  /** The `Authorization` header: the token, basic auth (v1) or a JWT bought with the credentials (v2). */
  private async authorization(signal?: AbortSignal): Promise<string | undefined> {
    if (this.token) return `Bearer ${this.token}`;
    if (!this.credentials) return undefined;
    const { username, password } = this.credentials;
    if (this.apiVersion === 'v1') return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    this.jwt ??= this.buyJwt(signal).catch((err: unknown) => {
      this.jwt = undefined;
      throw err;
    });
    return `Bearer ${await this.jwt}`;
  }

  /** `POST /auth/token` (Airflow 3's simple and FAB auth managers): `{access_token}` for a user's name and password. */
  private async buyJwt(signal?: AbortSignal): Promise<string> {
    const path = '/auth/token';
    let res: Response;
    try {
      res = await this.fetch(new URL(`${this.root}${path}`), {
        method: 'POST',
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify(this.credentials),
        signal,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new ApiError({ service: 'airflow', message: `Airflow POST ${path}: ${String(err)}`, cause: err });
    }
    if (!res.ok) throw await toApiError(res, 'POST', path);
    const token = ((await res.json()) as { access_token?: unknown }).access_token;
    if (typeof token !== 'string' || !token) throw new ApiError({ service: 'airflow', message: `Airflow POST ${path} returned no access_token` });
    return token;
  }
}

const seg = encodeURIComponent;

/** v1 errors are problem+json (`type` ends in a code such as `AlreadyExists`); v2 errors are FastAPI `{detail}`. */
async function toApiError(res: Response, method: string, path: string): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let detail = text.slice(0, 500) || res.statusText;
  let apiCode = `http_${res.status}`;
  try {
    const j = JSON.parse(text) as { detail?: unknown; title?: unknown; type?: unknown };
    if (typeof j.detail === 'string') detail = j.detail;
    else if (j.detail !== undefined) detail = JSON.stringify(j.detail);
    else if (typeof j.title === 'string') detail = j.title;
    if (typeof j.type === 'string') apiCode = j.type.split(/[/#]/).pop() || apiCode;
  } catch {
    // Not JSON (a proxy's HTML page): the text itself is the best detail there is.
  }
  return new ApiError({
    service: 'airflow',
    message: `Airflow ${method} ${path} → ${res.status}: ${detail}`,
    statusCode: res.status,
    apiCode,
    retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
  });
}
