import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Databricks workspace on 127.0.0.1 speaking the Jobs API 2.1 wire format (also
 * answers on /api/2.2), for unit, integration and end-to-end tests. All state lives in the
 * instance, and everything the in-process API does can also be done over HTTP
 * (`GET /__fake/state`, `POST /__fake/control`) when the fake runs in another process.
 *
 * Each run state is shown to `pollsPerStep` calls of `runs/get` before the run moves one
 * step (or it moves every `msPerStep` ms):
 * [QUEUED →] PENDING → RUNNING(first task) → RUNNING(next task)… → TERMINATED. Tasks run
 * one after another in the job's order; a failing task leaves the later ones UPSTREAM_FAILED.
 */

export type FakeOutcome = 'succeed' | { fail: { task: string; error?: string; trace?: string } };
/** `runs`/`repairs`: every later run/repair of the job; `next-run`/`next-repair`: only the next one (queued). */
export type OutcomeScope = 'runs' | 'next-run' | 'repairs' | 'next-repair';

export interface FakeJobInput {
  jobId: number;
  /** Task keys, run in this order. Default `['main']`. */
  tasks?: string[];
  name?: string;
  schedule?: { quartz_cron_expression: string; timezone_id: string; pause_status?: 'PAUSED' | 'UNPAUSED' };
  outcome?: FakeOutcome;
  repairOutcome?: FakeOutcome;
}

export interface Fault {
  status?: number;
  retryAfter?: string;
  errorCode?: string;
  message?: string;
  /** Sent as is instead of `{error_code, message}`; a string is sent as text (HTML if it starts with `<`). */
  body?: unknown;
  /** Destroy the socket without answering: the client sees a network error. */
  drop?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: Record<string, string>;
  at: number;
}

export interface TimelineEntry {
  runId: number;
  jobId: number;
  startedAt: number;
  endedAt?: number;
  /** The run's `job_parameters`, e.g. to tell which period a run was for. */
  params: Record<string, string>;
}

export type ControlCommand =
  | ({ command: 'addJob' } & FakeJobInput)
  | { command: 'setOutcome'; jobId: number; outcome: FakeOutcome; for?: OutcomeScope }
  | { command: 'failNext'; path: string; faults: Fault[] }
  | { command: 'advance'; runId: number; steps?: number }
  | { command: 'setOutcomeFor'; jobId: number; params: Record<string, string>; outcome: FakeOutcome; times?: number };

export interface FakeDatabricksOptions {
  /** Accepted personal access tokens. Default `['dapi-fake-token']`. */
  tokens?: string[];
  /** OAuth M2M client accepted by `/oidc/v1/token`. Default `fake-client-id` / `fake-client-secret`. */
  clientId?: string;
  clientSecret?: string;
  /** `expires_in` of issued OAuth tokens, seconds. Default 3600. */
  tokenExpiresIn?: number;
  /** How many `runs/get` calls see each state before the run moves on. Default 1; 0: runs move only by `advance()`. */
  pollsPerStep?: number;
  /** When set, runs advance on a timer every this many ms instead of by polls. */
  msPerStep?: number;
  /** Runs start QUEUED instead of PENDING. Default false. */
  queued?: boolean;
  /** Default 0 (a free port). */
  port?: number;
}

export interface FinishedTask { jobId: number; runId: number; taskKey: string; taskRunId: number; params: Record<string, string> }
export interface FakeUcTable {
  fullName: string;
  tableId: string;
  storageLocation: string;
  tableType?: string;
  format?: string;
  credentials: { access_key_id: string; secret_access_key: string; session_token: string };
  /** Temporary credentials are refused (no EXTERNAL USE SCHEMA). */
  denied?: boolean;
}

type Phase = 'QUEUED' | 'PENDING' | 'BLOCKED' | 'RUNNING' | 'TERMINATED';
type Result = 'SUCCESS' | 'FAILED' | 'CANCELED' | 'UPSTREAM_FAILED';
interface TaskRun { key: string; runId: number; phase: Phase; result?: Result; message?: string; error?: string; trace?: string; start: number; end: number }
interface Attempt { type: 'ORIGINAL' | 'REPAIR'; id?: number; start: number; end: number; taskRunIds: number[]; phase?: Phase; result?: Result; message?: string }
interface FakeJob { input: FakeJobInput; tasks: string[]; settings: Record<string, unknown>; nextRuns: FakeOutcome[]; nextRepairs: FakeOutcome[]; byParams?: Array<{ params: Record<string, string>; outcome: FakeOutcome; times: number }> }
interface FakeRun {
  runId: number; jobId: number; params: Record<string, string>; phase: Phase; result?: Result; message?: string;
  start: number; end: number; tasks: TaskRun[]; queue: string[]; current?: string; outcome: FakeOutcome;
  attempts: Attempt[]; polls: number; cancelRequested: boolean; timer?: NodeJS.Timeout;
}

class HttpError extends Error {
  constructor(readonly status: number, readonly errorCode: string, message: string) {
    super(message);
  }
}

const DEFAULT_CODES: Record<number, string> = {
  400: 'INVALID_PARAMETER_VALUE', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'RESOURCE_DOES_NOT_EXIST',
  409: 'RESOURCE_CONFLICT', 429: 'REQUEST_LIMIT_EXCEEDED', 500: 'INTERNAL_ERROR', 503: 'TEMPORARILY_UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};
const MULTI_TASK_OUTPUT = 'Retrieving the output of runs with multiple tasks is not supported. Please retrieve the output of each individual task run instead.';

export class FakeDatabricks {
  readonly requests: RecordedRequest[] = [];
  tokenRequests = 0;
  readonly #opts: Required<Omit<FakeDatabricksOptions, 'msPerStep'>> & { msPerStep?: number };
  readonly #jobs = new Map<number, FakeJob>();
  readonly #runs = new Map<number, FakeRun>();
  readonly #taskRuns = new Map<number, { run: FakeRun; task: TaskRun }>();
  readonly #idempotency = new Map<string, number>();
  readonly #faults = new Map<string, Fault[]>();
  readonly #issued = new Map<string, number>();
  readonly #taskHooks: Array<(t: FinishedTask) => void> = [];
  readonly #ucTables = new Map<string, FakeUcTable>();
  #nextId = 880_000_000_000_001; // realistic, large (but safe) int64 ids
  #server?: Server;
  #baseUrl = '';

  constructor(options: FakeDatabricksOptions = {}) {
    this.#opts = {
      tokens: ['dapi-fake-token'], clientId: 'fake-client-id', clientSecret: 'fake-client-secret',
      tokenExpiresIn: 3600, pollsPerStep: 1, queued: false, port: 0,
      // An option given as undefined (e.g. from an unset env variable) keeps its default.
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    };
  }

  /** `http://127.0.0.1:PORT` once started (also returned by `start()`). */
  get baseUrl(): string {
    return this.#baseUrl;
  }

  get url(): string {
    return this.#baseUrl;
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#opts.port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.#baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.#baseUrl;
  }

  async stop(): Promise<void> {
    for (const run of this.#runs.values()) clearInterval(run.timer);
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Called as each task of a run succeeds, before the run ends: e.g. to write the task's Delta commit. */
  onTaskSucceeded(hook: (t: FinishedTask) => void): void {
    this.#taskHooks.push(hook);
  }

  /** A Unity Catalog table served by `GET …/unity-catalog/tables/{name}` and its temporary credentials. */
  addUnityCatalogTable(table: FakeUcTable): void {
    this.#ucTables.set(table.fullName, table);
  }

  addJob(input: FakeJobInput): void {
    const tasks = input.tasks ?? ['main'];
    const settings: Record<string, unknown> = {
      name: input.name ?? `job-${input.jobId}`,
      tasks: tasks.map((key, i) => ({ task_key: key, ...(i > 0 ? { depends_on: [{ task_key: tasks[i - 1] }] } : {}) })),
      max_concurrent_runs: 1000,
      ...(input.schedule ? { schedule: { pause_status: 'UNPAUSED', ...input.schedule } } : {}),
    };
    this.#jobs.set(input.jobId, { input, tasks, settings, nextRuns: [], nextRepairs: [] });
    if (input.outcome) this.setOutcome(input.jobId, input.outcome);
    if (input.repairOutcome) this.setOutcome(input.jobId, input.repairOutcome, 'repairs');
  }

  setOutcome(jobId: number, outcome: FakeOutcome, scope: OutcomeScope = 'runs'): void {
    const job = this.#jobs.get(jobId);
    if (!job) throw new Error(`fake: no job ${jobId}`);
    if (outcome !== 'succeed' && !job.tasks.includes(outcome.fail.task)) throw new Error(`fake: job ${jobId} has no task ${outcome.fail.task}`);
    if (scope === 'runs') job.input.outcome = outcome;
    else if (scope === 'repairs') job.input.repairOutcome = outcome;
    else (scope === 'next-run' ? job.nextRuns : job.nextRepairs).push(outcome);
  }

  /**
   * The outcome of the next `times` runs of the job whose `job_parameters` include `params`
   * (e.g. `{ period: '2026-03' }`), whatever order runs are started in. Wins over the other scopes.
   */
  setOutcomeFor(jobId: number, params: Record<string, string>, outcome: FakeOutcome, times = 1): void {
    const job = this.#jobs.get(jobId);
    if (!job) throw new Error(`fake: no job ${jobId}`);
    if (outcome !== 'succeed' && !job.tasks.includes(outcome.fail.task)) throw new Error(`fake: job ${jobId} has no task ${outcome.fail.task}`);
    (job.byParams ??= []).push({ params, outcome, times });
  }

  /** Answers the next requests to `path` (exact pathname, or `*` for any API path) with these faults, in order. */
  failNext(path: string, faults: Fault[]): void {
    this.#faults.set(path, [...(this.#faults.get(path) ?? []), ...faults]);
  }

  /** Moves a run forward by hand (for `pollsPerStep: 0`). */
  advance(runId: number, steps = 1): void {
    const run = this.#mustRun(runId);
    for (let i = 0; i < steps; i++) this.#step(run);
  }

  control(cmd: ControlCommand): void {
    if (cmd.command === 'addJob') this.addJob(cmd);
    else if (cmd.command === 'setOutcome') this.setOutcome(cmd.jobId, cmd.outcome, cmd.for);
    else if (cmd.command === 'failNext') this.failNext(cmd.path, cmd.faults);
    else if (cmd.command === 'advance') this.advance(cmd.runId, cmd.steps);
    else if (cmd.command === 'setOutcomeFor') this.setOutcomeFor(cmd.jobId, cmd.params, cmd.outcome, cmd.times);
    else throw new Error(`fake: unknown command ${(cmd as { command?: string }).command}`);
  }

  calls(path: string, method?: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path && (!method || r.method === method));
  }

  /** When each run started (run-now) and last became terminal, epoch ms. */
  get timeline(): TimelineEntry[] {
    return [...this.#runs.values()].map((r) => ({ runId: r.runId, jobId: r.jobId, startedAt: r.start, ...(r.end ? { endedAt: r.end } : {}), params: r.params }));
  }

  /** The run as `runs/get?include_history=true` would show it, without counting as a poll. */
  run(runId: number): Record<string, unknown> {
    return this.#runJson(this.#mustRun(runId), true);
  }

  jobSettings(jobId: number): Record<string, unknown> | undefined {
    return this.#jobs.get(jobId)?.settings;
  }

  state(): Record<string, unknown> {
    return {
      jobs: [...this.#jobs.keys()].map((id) => this.#jobJson(id)),
      runs: [...this.#runs.values()].map((r) => this.#runJson(r, true)),
      requests: this.requests,
      timeline: this.timeline,
      tokenRequests: this.tokenRequests,
    };
  }

  #sqlUrl?: string;

  /**
   * One workspace host serves both the Jobs API and the SQL Statement Execution API: with this,
   * requests under `/api/2.0/sql/` go to a fake SQL warehouse (test/fakes/databricks-sql-server.ts).
   */
  forwardSqlTo(url: string): void {
    this.#sqlUrl = url;
  }

  async #forwardSql(req: IncomingMessage, url: URL, raw: string, res: ServerResponse): Promise<void> {
    const answer = await fetch(`${this.#sqlUrl}${url.pathname}${url.search}`, {
      method: req.method,
      headers: { authorization: req.headers.authorization ?? '', 'content-type': req.headers['content-type'] ?? 'application/json' },
      body: req.method === 'GET' ? undefined : raw,
    });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(await answer.text());
  }

  // ---- HTTP ----

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname;
    const raw = await new Promise<string>((resolve) => {
      let data = '';
      req.setEncoding('utf8').on('data', (c: string) => (data += c)).on('end', () => resolve(data));
    });
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
      const type = typeof payload !== 'string' ? 'application/json' : text.startsWith('<') ? 'text/html' : 'text/plain';
      res.writeHead(status, { 'content-type': type, ...headers }).end(text);
    };
    try {
      const body = parseBody(raw, req.headers['content-type'] ?? '');
      if (path.startsWith('/__fake/')) return send(200, this.#fakeRoute(req.method ?? 'GET', path, body));
      if (this.#sqlUrl && path.startsWith('/api/2.0/sql/')) return await this.#forwardSql(req, url, raw, res);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
      this.requests.push({ method: req.method ?? 'GET', path, query: Object.fromEntries(url.searchParams), body, headers, at: Date.now() });
      const fault = this.#takeFault(path);
      if (fault?.drop) return void req.socket.destroy();
      if (fault) {
        const status = fault.status ?? 503;
        const payload = fault.body ?? { error_code: fault.errorCode ?? DEFAULT_CODES[status] ?? 'UNKNOWN', message: fault.message ?? `Injected HTTP ${status}` };
        return send(status, payload, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
      }
      if (path === '/oidc/v1/token' && req.method === 'POST') return send(200, this.#issueToken(req.headers.authorization, body));
      this.#authenticate(req.headers.authorization);
      send(200, this.#api(`${req.method} ${path.replace(/^\/api\/2\.2\//, '/api/2.1/')}`, Object.fromEntries(url.searchParams), body));
    } catch (err) {
      if (err instanceof HttpError && err.errorCode.startsWith('oauth:')) return send(err.status, { error: err.errorCode.slice(6), error_description: err.message });
      if (err instanceof HttpError) return send(err.status, { error_code: err.errorCode, message: err.message });
      send(500, { error_code: 'INTERNAL_ERROR', message: err instanceof Error ? err.message : String(err) });
    }
  }

  #fakeRoute(method: string, path: string, body: unknown): unknown {
    if (method === 'GET' && path === '/__fake/state') return this.state();
    if (method === 'POST' && path === '/__fake/control') {
      try {
        this.control(body as ControlCommand);
      } catch (err) {
        throw new HttpError(400, 'INVALID_PARAMETER_VALUE', err instanceof Error ? err.message : String(err));
      }
      return { ok: true };
    }
    throw new HttpError(404, 'ENDPOINT_NOT_FOUND', `No fake route ${method} ${path}`);
  }

  #takeFault(path: string): Fault | undefined {
    for (const key of [path, '*']) {
      const queue = this.#faults.get(key);
      if (queue?.length) return queue.shift();
    }
    return undefined;
  }

  #issueToken(authorization: string | undefined, body: unknown): unknown {
    this.tokenRequests++;
    const expected = `Basic ${Buffer.from(`${this.#opts.clientId}:${this.#opts.clientSecret}`).toString('base64')}`;
    if (authorization !== expected) throw new HttpError(401, 'oauth:invalid_client', 'Client authentication failed');
    const form = body as Record<string, string>;
    if (form.grant_type !== 'client_credentials') throw new HttpError(400, 'oauth:unsupported_grant_type', 'grant_type must be client_credentials');
    const token = `fake-oauth-${this.tokenRequests}-${Math.random().toString(36).slice(2)}`;
    this.#issued.set(token, Date.now() + this.#opts.tokenExpiresIn * 1000);
    return { access_token: token, token_type: 'Bearer', expires_in: this.#opts.tokenExpiresIn, scope: form.scope ?? 'all-apis' };
  }

  #authenticate(authorization: string | undefined): void {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    const oauthExpiry = token ? this.#issued.get(token) : undefined;
    if (token && (this.#opts.tokens.includes(token) || (oauthExpiry !== undefined && oauthExpiry > Date.now()))) return;
    throw new HttpError(401, 'UNAUTHENTICATED', 'Credential was not sent or was of an unsupported type for this API.');
  }

  // ---- Jobs API ----

  #api(route: string, query: Record<string, string>, body: unknown): unknown {
    const b = (body ?? {}) as Record<string, unknown>;
    switch (route) {
      case 'POST /api/2.1/jobs/run-now':
        return this.#runNow(b);
      case 'GET /api/2.1/jobs/runs/get': {
        const run = this.#mustRun(idParam(query.run_id, 'run_id'));
        this.#observe(run);
        return this.#runJson(run, query.include_history === 'true');
      }
      case 'GET /api/2.1/jobs/runs/list':
        return this.#listRuns(query);
      case 'GET /api/2.1/jobs/runs/get-output':
        return this.#output(idParam(query.run_id, 'run_id'));
      case 'POST /api/2.1/jobs/runs/cancel': {
        const run = this.#mustRun(idParam(b.run_id, 'run_id'));
        if (run.phase !== 'TERMINATED') run.cancelRequested = true;
        return {};
      }
      case 'POST /api/2.1/jobs/runs/repair':
        return this.#repair(b);
      case 'GET /api/2.1/jobs/get':
        return this.#jobJson(idParam(query.job_id, 'job_id'));
      case 'POST /api/2.1/jobs/update':
        return this.#update(b);
      case 'POST /api/2.1/unity-catalog/temporary-table-credentials':
      case 'POST /api/2.0/unity-catalog/temporary-table-credentials':
        return this.#tableCredentials(b);
      default:
        if (route.startsWith('GET /api/2.1/unity-catalog/tables/')) return this.#ucTable(decodeURIComponent(route.slice('GET /api/2.1/unity-catalog/tables/'.length)));
        throw new HttpError(404, 'ENDPOINT_NOT_FOUND', `No API found for '${route}'`);
    }
  }

  // ---- Unity Catalog (formats.md 3.1, 3.2) ----

  #ucTable(fullName: string): unknown {
    const t = this.#ucTables.get(fullName);
    if (!t) throw new HttpError(404, 'TABLE_DOES_NOT_EXIST', `Table '${fullName}' does not exist.`);
    const [catalog, schema, name] = fullName.split('.');
    return {
      name, catalog_name: catalog, schema_name: schema, full_name: fullName, table_id: t.tableId,
      table_type: t.tableType ?? 'MANAGED', data_source_format: t.format ?? 'DELTA', storage_location: t.storageLocation,
      owner: 'data-eng', created_at: 1_700_000_000_000, updated_at: 1_700_000_000_000, columns: [],
    };
  }

  #tableCredentials(b: Record<string, unknown>): unknown {
    const t = [...this.#ucTables.values()].find((x) => x.tableId === b.table_id);
    if (!t) throw new HttpError(404, 'TABLE_DOES_NOT_EXIST', `Table with id ${String(b.table_id)} does not exist.`);
    if (b.operation !== 'READ' && b.operation !== 'READ_WRITE') throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'operation must be READ or READ_WRITE');
    if (t.denied) throw new HttpError(403, 'PERMISSION_DENIED', `User does not have EXTERNAL USE SCHEMA on Schema '${t.fullName.split('.').slice(0, 2).join('.')}'`);
    return { aws_temp_credentials: t.credentials, expiration_time: Date.now() + 3_600_000, url: t.storageLocation };
  }

  #runNow(b: Record<string, unknown>): unknown {
    const jobId = idParam(b.job_id, 'job_id');
    const job = this.#mustJob(jobId);
    const params = b.job_parameters ?? {};
    if (typeof params !== 'object' || Array.isArray(params) || Object.values(params).some((v) => typeof v !== 'string')) {
      throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'job_parameters must be a map from string to string');
    }
    const token = b.idempotency_token;
    if (token !== undefined && (typeof token !== 'string' || token.length > 64)) {
      throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'idempotency_token must be a string of at most 64 characters');
    }
    const existing = typeof token === 'string' ? this.#idempotency.get(token) : undefined;
    if (existing !== undefined) return { run_id: existing, number_in_job: existing };
    const now = Date.now();
    const run: FakeRun = {
      runId: this.#nextId++, jobId, params: params as Record<string, string>, phase: this.#opts.queued ? 'QUEUED' : 'PENDING',
      start: now, end: 0, tasks: [], queue: [...job.tasks], outcome: takeByParams(job, params as Record<string, string>) ?? job.nextRuns.shift() ?? job.input.outcome ?? 'succeed',
      attempts: [], polls: 0, cancelRequested: false,
    };
    run.tasks = job.tasks.map((key) => this.#newTaskRun(run, key));
    run.attempts.push({ type: 'ORIGINAL', start: now, end: 0, taskRunIds: run.tasks.map((t) => t.runId) });
    this.#runs.set(run.runId, run);
    if (typeof token === 'string') this.#idempotency.set(token, run.runId);
    this.#startTimer(run);
    return { run_id: run.runId, number_in_job: run.runId };
  }

  #repair(b: Record<string, unknown>): unknown {
    const run = this.#mustRun(idParam(b.run_id, 'run_id'));
    if (run.phase !== 'TERMINATED') throw new HttpError(400, 'INVALID_STATE', `Run ${run.runId} is still active; only a finished run can be repaired.`);
    const all = b.rerun_all_failed_tasks === true;
    const listed = Array.isArray(b.rerun_tasks) ? (b.rerun_tasks as string[]) : undefined;
    if (all === Boolean(listed)) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'Exactly one of rerun_tasks or rerun_all_failed_tasks must be set.');
    const latest = run.attempts.filter((a) => a.type === 'REPAIR').at(-1)?.id;
    const given = b.latest_repair_id === undefined ? undefined : Number(b.latest_repair_id);
    if (latest !== undefined && given === undefined) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'latest_repair_id must be provided when the run has already been repaired.');
    if (given !== latest) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `latest_repair_id ${given} is not the latest repair of run ${run.runId} (${latest ?? 'none'}).`);
    const keys = run.tasks.filter((t) => (listed ? listed.includes(t.key) : t.result !== 'SUCCESS')).map((t) => t.key);
    if (keys.length === 0) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `Run ${run.runId} has no tasks to repair.`);
    const job = this.#mustJob(run.jobId);
    run.tasks = run.tasks.map((t) => (keys.includes(t.key) ? this.#newTaskRun(run, t.key) : t));
    Object.assign(run, { phase: 'PENDING', result: undefined, message: undefined, end: 0, queue: keys, current: undefined, polls: 0, cancelRequested: false });
    run.outcome = job.nextRepairs.shift() ?? job.input.repairOutcome ?? 'succeed';
    const repairId = this.#nextId++;
    const taskRunIds = run.tasks.filter((t) => keys.includes(t.key)).map((t) => t.runId);
    run.attempts.push({ type: 'REPAIR', id: repairId, start: Date.now(), end: 0, taskRunIds });
    this.#startTimer(run);
    return { repair_id: repairId };
  }

  /**
   * `runs/list` as the API answers it: newest first, `limit` 1–25 (default 20), `offset` or
   * `page_token` paging with `has_more`/`next_page_token`, `active_only`/`completed_only`,
   * `expand_tasks` for the tasks. Each run listed counts as one poll, like `runs/get`.
   */
  #listRuns(query: Record<string, string>): unknown {
    const limit = query.limit === undefined ? 20 : idParam(query.limit, 'limit');
    if (limit < 1 || limit > 25) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'limit must be between 1 and 25');
    const activeOnly = query.active_only === 'true';
    const completedOnly = query.completed_only === 'true';
    if (activeOnly && completedOnly) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'active_only and completed_only cannot both be true');
    const jobId = query.job_id === undefined ? undefined : idParam(query.job_id, 'job_id');
    const start = query.page_token ? Number(Buffer.from(query.page_token, 'base64url').toString()) : query.offset ? idParam(query.offset, 'offset') : 0;
    if (!Number.isSafeInteger(start) || start < 0) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'invalid page_token');
    const matching = [...this.#runs.values()]
      .filter((r) => (jobId === undefined || r.jobId === jobId) && (!activeOnly || r.phase !== 'TERMINATED') && (!completedOnly || r.phase === 'TERMINATED'))
      .sort((a, b) => b.start - a.start || b.runId - a.runId);
    const page = matching.slice(start, start + limit);
    for (const run of page) this.#observe(run);
    const hasMore = start + limit < matching.length;
    const runs = page.map((r) => {
      const { tasks, ...rest } = this.#runJson(r, false);
      return query.expand_tasks === 'true' ? { ...rest, tasks } : rest;
    });
    return { ...(runs.length > 0 ? { runs } : {}), has_more: hasMore, ...(hasMore ? { next_page_token: Buffer.from(String(start + limit)).toString('base64url') } : {}) };
  }

  /** One look at a run by a client (runs/get or runs/list): moves it on after `pollsPerStep` looks. */
  #observe(run: FakeRun): void {
    if (run.cancelRequested && run.phase !== 'TERMINATED') this.#cancel(run);
    else if (!this.#opts.msPerStep && this.#opts.pollsPerStep > 0) {
      // Each state is seen by exactly `pollsPerStep` polls, the first one included.
      if (run.polls >= this.#opts.pollsPerStep) this.#step(run);
      run.polls++;
    }
  }

  #output(runId: number): unknown {
    let found = this.#taskRuns.get(runId);
    const parent = this.#runs.get(runId);
    if (!found && parent) {
      if (parent.tasks.length > 1) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', MULTI_TASK_OUTPUT);
      found = { run: parent, task: parent.tasks[0] as TaskRun };
    }
    if (!found) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `Run ${runId} does not exist.`);
    const { run, task } = found;
    const metadata = { job_id: run.jobId, ...this.#taskJson(run, task), run_id: task.runId };
    return task.result === 'FAILED' ? { metadata, error: task.error, error_trace: task.trace } : { metadata };
  }

  #update(b: Record<string, unknown>): unknown {
    const job = this.#mustJob(idParam(b.job_id, 'job_id'));
    const settings = (b.new_settings ?? {}) as Record<string, unknown>;
    const schedule = settings.schedule as Record<string, unknown> | undefined;
    if (schedule && (typeof schedule.quartz_cron_expression !== 'string' || typeof schedule.timezone_id !== 'string')) {
      throw new HttpError(400, 'INVALID_PARAMETER_VALUE', 'schedule needs quartz_cron_expression and timezone_id');
    }
    Object.assign(job.settings, settings); // top-level fields replaced wholesale, as the API does
    for (const field of (b.fields_to_remove as string[] | undefined) ?? []) delete job.settings[field];
    return {};
  }

  // ---- run simulation ----

  #step(run: FakeRun): void {
    if (run.phase === 'TERMINATED') return;
    run.polls = 0;
    if (run.cancelRequested) return this.#cancel(run);
    if (run.phase === 'QUEUED') run.phase = 'PENDING';
    else if (run.phase === 'PENDING') this.#startNextTask(run);
    else this.#finishCurrentTask(run);
  }

  #startNextTask(run: FakeRun): void {
    const key = run.queue.shift();
    if (key === undefined) return this.#terminate(run, 'SUCCESS', '');
    run.phase = 'RUNNING';
    run.current = key;
    for (const t of run.tasks) {
      if (t.key === key) Object.assign(t, { phase: 'RUNNING', start: Date.now() });
      else if (run.queue.includes(t.key)) t.phase = 'BLOCKED';
    }
  }

  #finishCurrentTask(run: FakeRun): void {
    const task = run.tasks.find((t) => t.key === run.current) as TaskRun;
    const now = Date.now();
    const fail = run.outcome !== 'succeed' && run.outcome.fail.task === task.key ? run.outcome.fail : undefined;
    if (!fail) {
      // The task's writes happen while it runs: before the run is seen to end.
      for (const hook of this.#taskHooks) hook({ jobId: run.jobId, runId: run.runId, taskKey: task.key, taskRunId: task.runId, params: run.params });
      Object.assign(task, { phase: 'TERMINATED', result: 'SUCCESS', end: now, message: '' });
      return this.#startNextTask(run);
    }
    const error = fail.error ?? 'java.lang.RuntimeException: task failed';
    Object.assign(task, { phase: 'TERMINATED', result: 'FAILED', end: now, error, message: error, trace: fail.trace ?? `${error}\n\tat fake.Task.run(Task.scala:1)` });
    for (const t of run.tasks.filter((x) => run.queue.includes(x.key))) {
      Object.assign(t, { phase: 'TERMINATED', result: 'UPSTREAM_FAILED', end: now, message: 'Upstream task failed.' });
    }
    this.#terminate(run, 'FAILED', `Task ${task.key} failed with message: ${error}. This caused all downstream tasks to get skipped.`);
  }

  #cancel(run: FakeRun): void {
    for (const t of run.tasks) if (t.phase !== 'TERMINATED') Object.assign(t, { phase: 'TERMINATED', result: 'CANCELED', end: Date.now(), message: 'Run cancelled.' });
    this.#terminate(run, 'CANCELED', 'Run cancelled.');
  }

  #terminate(run: FakeRun, result: Result, message: string): void {
    Object.assign(run, { phase: 'TERMINATED', result, message, end: Date.now(), queue: [], current: undefined, cancelRequested: false });
    clearInterval(run.timer);
    Object.assign(run.attempts.at(-1) as Attempt, { end: run.end, phase: 'TERMINATED', result, message });
  }

  #startTimer(run: FakeRun): void {
    if (!this.#opts.msPerStep) return;
    clearInterval(run.timer);
    run.timer = setInterval(() => this.#step(run), this.#opts.msPerStep).unref();
  }

  #newTaskRun(run: FakeRun, key: string): TaskRun {
    const task: TaskRun = { key, runId: this.#nextId++, phase: 'PENDING', start: 0, end: 0 };
    this.#taskRuns.set(task.runId, { run, task });
    return task;
  }

  // ---- wire format ----

  #runJson(run: FakeRun, history: boolean): Record<string, unknown> {
    const job = this.#jobs.get(run.jobId);
    return {
      job_id: run.jobId, run_id: run.runId, number_in_job: run.runId, run_name: job?.settings.name,
      run_page_url: `${this.#baseUrl}/#job/${run.jobId}/run/${run.runId}`, ...stateJson(run.phase, run.result, run.message),
      start_time: run.start, end_time: run.end, run_duration: (run.end || Date.now()) - run.start,
      setup_duration: 0, execution_duration: 0, cleanup_duration: 0, trigger: 'ONE_TIME', run_type: 'JOB_RUN', attempt_number: 0,
      job_parameters: Object.entries(run.params).map(([name, value]) => ({ name, value })),
      overriding_parameters: { job_parameters: run.params },
      tasks: run.tasks.map((t) => this.#taskJson(run, t)),
      ...(history ? { repair_history: run.attempts.map((a, i) => this.#attemptJson(run, a, i === run.attempts.length - 1)) } : {}),
    };
  }

  #taskJson(run: FakeRun, t: TaskRun): Record<string, unknown> {
    const i = this.#jobs.get(run.jobId)?.tasks.indexOf(t.key) ?? 0;
    const upstream = this.#jobs.get(run.jobId)?.tasks[i - 1];
    return {
      task_key: t.key, run_id: t.runId, ...stateJson(t.phase, t.result, t.message), start_time: t.start, end_time: t.end,
      run_page_url: `${this.#baseUrl}/#job/${run.jobId}/run/${t.runId}`, attempt_number: 0,
      ...(upstream ? { depends_on: [{ task_key: upstream }] } : {}),
    };
  }

  #attemptJson(run: FakeRun, a: Attempt, current: boolean): Record<string, unknown> {
    const state = current ? stateJson(run.phase, run.result, run.message) : stateJson(a.phase ?? 'TERMINATED', a.result, a.message);
    return { type: a.type, ...(a.id !== undefined ? { id: a.id } : {}), start_time: a.start, end_time: a.end, ...state, task_run_ids: a.taskRunIds };
  }

  #jobJson(jobId: number): Record<string, unknown> {
    return { job_id: jobId, creator_user_name: 'fake@example.com', created_time: 1_700_000_000_000, settings: this.#mustJob(jobId).settings };
  }

  #mustJob(jobId: number): FakeJob {
    const job = this.#jobs.get(jobId);
    if (!job) throw new HttpError(404, 'RESOURCE_DOES_NOT_EXIST', `Job ${jobId} does not exist.`);
    return job;
  }

  #mustRun(runId: number): FakeRun {
    const run = this.#runs.get(runId);
    if (!run) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `Run ${runId} does not exist.`);
    return run;
  }
}

/** Both the legacy `state` and the newer `status` object, as Databricks sends them. */
function stateJson(phase: Phase, result: Result | undefined, message = ''): Record<string, unknown> {
  if (phase !== 'TERMINATED') {
    return { state: { life_cycle_state: phase, state_message: message }, status: { state: phase } };
  }
  const [code, type] =
    result === 'SUCCESS' ? ['SUCCESS', 'SUCCESS'] : result === 'CANCELED' ? ['USER_CANCELED', 'SUCCESS'] : result === 'UPSTREAM_FAILED' ? ['SKIPPED', 'CLIENT_ERROR'] : ['RUN_EXECUTION_ERROR', 'CLIENT_ERROR'];
  return {
    state: { life_cycle_state: 'TERMINATED', result_state: result, state_message: message, user_cancelled_or_timedout: result === 'CANCELED' },
    status: { state: 'TERMINATED', termination_details: { code, type, message } },
  };
}

function takeByParams(job: FakeJob, params: Record<string, string>): FakeOutcome | undefined {
  const hit = job.byParams?.find((b) => b.times > 0 && Object.entries(b.params).every(([k, v]) => params[k] === v));
  if (!hit) return undefined;
  hit.times--;
  return hit.outcome;
}

function parseBody(raw: string, contentType: string): unknown {
  if (!raw) return undefined;
  if (contentType.includes('x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  try {
    return JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'MALFORMED_REQUEST', 'Request body is not valid JSON');
  }
}

function idParam(value: unknown, name: string): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new HttpError(400, 'INVALID_PARAMETER_VALUE', `${name} must be an integer`);
  return n;
}
