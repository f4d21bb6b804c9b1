import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Airflow REST API on 127.0.0.1, for both Airflow 2 (`/api/v1`, problem+json errors)
 * and Airflow 3 (`/api/v2`, FastAPI `{detail}` errors, strict trigger body with a required
 * but nullable `logical_date`). Every request needs `Authorization: Bearer <token>`; started with
 * `credentials`, it also takes them as HTTP basic auth on v1 (Airflow 2's basic_auth backend) and
 * sells JWTs for them at `POST /auth/token` (Airflow 3), valid until `expireJwts()`.
 *
 * A DAG run is `queued` on its first GET, `running` after, and takes its scripted outcome on
 * GET number `afterPolls` (a listing of the DAG's runs by state counts as a GET of each run it
 * would show); a paused DAG's runs stay queued. Other processes drive it over
 * `GET /__fake/state` and `POST /__fake/control` (a `FakeAirflowControl` body).
 */

export interface TaskScript {
  taskId: string;
  outcome?: 'success' | 'failed' | 'upstream_failed' | 'skipped';
  /** The try's log lines; a failed task gets a 40-line log ending in a traceback by default. */
  log?: string[];
  /** Instead of `log`: filler lines up to about this many bytes, then the default ending (a huge log, generated as it is sent). */
  logBytes?: number;
  tries?: number;
  /** What the task pushed to XCom, by key (`return_value` for an operator's result, e.g. EmrCreateJobFlowOperator's cluster id). */
  xcom?: Record<string, string>;
}

export interface DagRunScript {
  outcome: 'success' | 'failed';
  /** The GET of the run (1-based) that first returns the outcome. Default 3: queued, running, outcome. */
  afterPolls?: number;
  /** Default: extract, transform, load (on failure: transform fails, load is upstream_failed). */
  tasks?: TaskScript[];
}

export interface AirflowFault {
  status: number;
  times?: number;
  /** Only requests whose path contains this fail. */
  path?: string;
  retryAfter?: string;
}

export type FakeAirflowControl =
  | ({ action: 'script'; dagId: string } & DagRunScript)
  | ({ action: 'failNext' } & AirflowFault)
  | { action: 'addDag'; dagId: string; paused?: boolean }
  | { action: 'reset' };

export interface RecordedAirflowRequest {
  method: string;
  version: 'v1' | 'v2';
  path: string;
  /** The query string's parameters (`full_content`, `map_index`, `token`…). */
  query: Record<string, string>;
  body?: unknown;
  accept?: string;
}

/** A task log the server streams, as Airflow's text/plain (v1) and application/x-ndjson (v2) answers do. */
class LogStream {
  constructor(
    readonly contentType: string,
    readonly lines: () => Iterable<string>,
  ) {}
}

interface FakeTask {
  taskId: string;
  state: string | null;
  tryNumber: number;
  start?: string;
  end?: string;
  script: TaskScript;
}

interface FakeRun {
  dagId: string;
  runId: string;
  conf: Record<string, unknown>;
  logicalDate: string | null;
  queuedAt: string;
  state: string;
  polls: number;
  note: string | null;
  start?: string;
  end?: string;
  script: DagRunScript;
  tasks: FakeTask[];
}

type Version = 'v1' | 'v2';
const V2_TRIGGER_KEYS = new Set(['dag_run_id', 'data_interval_start', 'data_interval_end', 'logical_date', 'run_after', 'conf', 'note']);
const V1_TRIGGER_KEYS = new Set(['dag_run_id', 'logical_date', 'execution_date', 'data_interval_start', 'data_interval_end', 'conf', 'note']);
const TI_BATCH_KEYS = new Set(['dag_ids', 'dag_run_ids', 'task_ids', 'state', 'pool', 'queue', 'page_offset', 'page_limit', 'order_by']);
const UNFINISHED = new Set([null, 'scheduled', 'queued', 'running', 'up_for_retry']);

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
    readonly title = 'Error',
  ) {
    super(typeof detail === 'string' ? detail : JSON.stringify(detail));
  }
}

export class FakeAirflow {
  readonly requests: RecordedAirflowRequest[] = [];
  private dags = new Map<string, { paused: boolean }>();
  private runs = new Map<string, FakeRun>();
  private scripts = new Map<string, DagRunScript>();
  private faults: AirflowFault[] = [];
  /** What the health endpoint says of the scheduler (`unhealthy` after `stopScheduler()`). */
  private schedulerStatus = 'healthy';
  /** Log responses being sent right now, the most at once so far, and the bytes each one sent before it ended or its client left. */
  readonly logReads = { inFlight: 0, maxInFlight: 0, bytesSent: [] as number[] };
  /** JWTs sold at `POST /auth/token` and still valid; how many were sold. */
  private jwts = new Set<string>();
  jwtsIssued = 0;
  private credentials?: { username: string; password: string };

  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly token: string,
    private readonly autoCreateDags: boolean,
  ) {}

  /** Starts on 127.0.0.1 (random port unless `port`). With `dags`, only those DAGs exist; otherwise any does. */
  static async start(opts: { port?: number; token?: string; dags?: string[]; credentials?: { username: string; password: string } } = {}): Promise<FakeAirflow> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeAirflow(server, `http://127.0.0.1:${port}`, opts.token ?? 'fake-airflow-token', !opts.dags);
    for (const id of opts.dags ?? []) fake.addDag(id);
    fake.credentials = opts.credentials;
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void fake.handle(req, res));
    return fake;
  }

  addDag(dagId: string, paused = false): void {
    this.dags.set(dagId, { paused });
  }

  script(dagId: string, script: DagRunScript): void {
    this.scripts.set(dagId, script);
  }

  /** The scheduler stops heart-beating: health says so from now on. */
  stopScheduler(): void {
    this.schedulerStatus = 'unhealthy';
  }

  failNext(fault: AirflowFault): void {
    this.faults.push({ times: 1, ...fault });
  }

  dag(dagId: string): { dag_id: string; is_paused: boolean } | undefined {
    const dag = this.dags.get(dagId);
    return dag && { dag_id: dagId, is_paused: dag.paused };
  }

  dagRuns(dagId?: string): Record<string, unknown>[] {
    return [...this.runs.values()].filter((r) => !dagId || r.dagId === dagId).map((r) => this.runWire(r, 'v2'));
  }

  state(): { dags: Record<string, { paused: boolean }>; runs: Record<string, unknown>[]; requests: RecordedAirflowRequest[] } {
    return { dags: Object.fromEntries(this.dags), runs: this.dagRuns(), requests: this.requests };
  }

  control(cmd: FakeAirflowControl): void {
    if (cmd.action === 'script') this.script(cmd.dagId, cmd);
    else if (cmd.action === 'failNext') this.failNext(cmd);
    else if (cmd.action === 'addDag') this.addDag(cmd.dagId, cmd.paused);
    else if (cmd.action === 'reset') this.reset();
    else throw new Error(`unknown action ${(cmd as { action?: string }).action}`);
  }

  reset(): void {
    this.requests.length = 0;
    Object.assign(this.logReads, { inFlight: 0, maxInFlight: 0, bytesSent: [] });
    this.runs.clear();
    this.scripts.clear();
    this.faults = [];
    if (this.autoCreateDags) this.dags.clear();
    else for (const dag of this.dags.values()) dag.paused = false;
  }

  /** Every JWT sold so far stops working, as when `[api_auth] jwt_expiration_time` passes. */
  expireJwts(): void {
    this.jwts.clear();
  }

  private authorized(header: string | undefined, version: Version): boolean {
    if (header === `Bearer ${this.token}`) return true;
    if (header?.startsWith('Bearer ')) return this.jwts.has(header.slice('Bearer '.length));
    if (!this.credentials || version !== 'v1' || !header?.startsWith('Basic ')) return false;
    const { username, password } = this.credentials;
    return Buffer.from(header.slice('Basic '.length), 'base64').toString() === `${username}:${password}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', this.url);
    const m = /^\/api\/(v1|v2)(\/.*)$/.exec(url.pathname);
    const version: Version = (m?.[1] as Version | undefined) ?? 'v2';
    const send = (status: number, body: unknown, type = 'application/json', headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': type, ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    try {
      if (url.pathname === '/__fake/state' && req.method === 'GET') return send(200, this.state());
      if (url.pathname === '/__fake/control' && req.method === 'POST') {
        this.control(JSON.parse(raw) as FakeAirflowControl);
        return send(200, { ok: true });
      }
      if (url.pathname === '/auth/token' && req.method === 'POST' && this.credentials) {
        const given = JSON.parse(raw || '{}') as { username?: string; password?: string };
        if (given.username !== this.credentials.username || given.password !== this.credentials.password) return send(401, { detail: 'Invalid credentials' });
        const jwt = `jwt-${++this.jwtsIssued}`;
        this.jwts.add(jwt);
        return send(201, { access_token: jwt });
      }
      if (!m) throw new HttpError(404, 'Not Found', 'Not Found');
      // Health needs no authentication, in both API versions.
      if (req.method === 'GET' && m[2] === (version === 'v1' ? '/health' : '/monitor/health')) {
        const heartbeat = new Date().toISOString();
        return send(200, { metadatabase: { status: 'healthy' }, scheduler: { status: this.schedulerStatus, latest_scheduler_heartbeat: heartbeat } });
      }
      if (!this.authorized(req.headers.authorization, version)) throw new HttpError(401, 'Not authenticated', 'Unauthorized');
      const body = raw ? (JSON.parse(raw) as unknown) : undefined;
      const path = m[2]!;
      this.requests.push({ method: req.method ?? 'GET', version, path, query: Object.fromEntries(url.searchParams), body, accept: req.headers.accept });
      const fault = this.faults.find((f) => !f.path || path.includes(f.path));
      if (fault) {
        fault.times = (fault.times ?? 1) - 1;
        if (fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
        const headers: Record<string, string> = fault.retryAfter ? { 'retry-after': fault.retryAfter } : {};
        return send(fault.status, errorBody(version, fault.status, 'injected fault', 'Injected'), errorType(version), headers);
      }
      const out = this.route(req.method ?? 'GET', version, path.split('/').slice(1).map(decodeURIComponent), url, body, req.headers.accept);
      if (out instanceof LogStream) return await this.streamLog(res, out);
      if (typeof out === 'string') return send(200, out, 'text/plain; charset=utf-8');
      send(200, out);
    } catch (err) {
      const e = err instanceof HttpError ? err : new HttpError(500, String(err), 'Internal Server Error');
      send(e.status, errorBody(version, e.status, e.detail, e.title), errorType(version));
    }
  }

  private route(method: string, v: Version, seg: string[], url: URL, body: unknown, accept = ''): unknown {
    const [dags, dagId, runs, runId, tis, taskId, logs, tryNumber] = seg;
    if (dags !== 'dags' || !dagId) throw new HttpError(404, 'Not Found', 'Not Found');
    if (seg.join('/') === 'dags/~/dagRuns/~/taskInstances/list' && method === 'POST') return this.taskInstancesBatch(v, (body ?? {}) as Record<string, unknown>);
    const dag = this.findDag(dagId);
    if (seg.length === 2 && method === 'GET') return this.dagWire(dagId, v);
    if (seg.length === 2 && method === 'PATCH') {
      dag.paused = Boolean((body as { is_paused?: unknown }).is_paused);
      return this.dagWire(dagId, v);
    }
    if (runs !== 'dagRuns') throw new HttpError(404, 'Not Found', 'Not Found');
    if (seg.length === 3 && method === 'POST') return this.trigger(v, dagId, body as Record<string, unknown>);
    if (seg.length === 3 && method === 'GET') return this.listRuns(v, dagId, dag.paused, url);
    const run = this.findRun(dagId, runId);
    if (seg.length === 4 && method === 'GET') return this.runWire(this.advance(run, dag.paused), v);
    if (seg.length === 4 && method === 'PATCH') return this.runWire(this.patchRun(v, run, body as Record<string, unknown>), v);
    if (seg.length === 5 && tis === 'setNote' && v === 'v1' && method === 'PATCH') {
      run.note = String((body as { note?: unknown }).note ?? '');
      return this.runWire(run, v);
    }
    if (tis !== 'taskInstances') throw new HttpError(404, 'Not Found', 'Not Found');
    if (seg.length === 5 && method === 'GET') {
      const limit = Number(url.searchParams.get('limit') ?? (v === 'v1' ? 100 : 50));
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const all = run.tasks.map((t) => this.taskWire(run, t, v));
      return { task_instances: all.slice(offset, offset + limit), total_entries: all.length };
    }
    if (seg.length === 8 && logs === 'xcomEntries' && method === 'GET') {
      const task = run.tasks.find((t) => t.taskId === taskId);
      const key = tryNumber ?? '';
      const value = task?.script.xcom?.[key];
      if (!task || value === undefined) throw new HttpError(404, `XCom entry with key: \`${key}\` not found`, 'XCom not found');
      // Airflow 2 and 3 (stringify, the default) both answer the value as a string.
      const when = v === 'v1' ? { execution_date: run.logicalDate } : { logical_date: run.logicalDate, run_id: run.runId };
      return { key, timestamp: task.end ?? run.queuedAt, ...when, map_index: -1, task_id: taskId, dag_id: run.dagId, value };
    }
    if (seg.length === 8 && logs === 'logs' && method === 'GET') {
      const task = run.tasks.find((t) => t.taskId === taskId);
      if (!task || Number(tryNumber) < 1 || Number(tryNumber) > task.tryNumber) {
        throw new HttpError(404, 'TaskInstance not found', 'Not Found');
      }
      // Like Airflow's file handler, a finished try's log is the same whatever `full_content` says.
      const lines = () => logLines(task);
      const event = (line: string) => ({ timestamp: task.start, level: /Error|Exception/.test(line) ? 'error' : 'info', event: line });
      const textLine = (l: string) => `[${task.start}] {taskinstance.py:441} INFO - ${l}`;
      if (v === 'v2') {
        if (accept.includes('application/x-ndjson')) return new LogStream('application/x-ndjson', () => map(lines(), (l) => JSON.stringify(event(l))));
        return { content: [...lines()].map(event), continuation_token: null };
      }
      if (accept.includes('text/plain')) return new LogStream('text/plain; charset=utf-8', () => map(lines(), textLine));
      return { content: [...lines()].map(textLine).join('\n'), continuation_token: null };
    }
    throw new HttpError(405, 'Method Not Allowed', 'Method Not Allowed');
  }

  /** Writes the log line by line in ~64 KiB chunks, as fast as the client reads, and stops when it goes away. */
  private async streamLog(res: ServerResponse, log: LogStream): Promise<void> {
    const reads = this.logReads;
    reads.inFlight++;
    reads.maxInFlight = Math.max(reads.maxInFlight, reads.inFlight);
    let sent = 0;
    let gone = false;
    const left = new Promise<void>((resolve) => res.once('close', () => ((gone = true), resolve())));
    try {
      res.writeHead(200, { 'content-type': log.contentType });
      let chunk = '';
      const flush = async () => {
        sent += Buffer.byteLength(chunk);
        const more = res.write(chunk);
        chunk = '';
        if (!more) await Promise.race([new Promise((resolve) => res.once('drain', resolve)), left]);
      };
      for (const line of log.lines()) {
        if (gone) return;
        chunk += `${line}\n`;
        if (chunk.length >= 65_536) await flush();
      }
      if (chunk && !gone) await flush();
      res.end();
    } finally {
      reads.inFlight--;
      reads.bytesSent.push(sent);
    }
  }

  private trigger(v: Version, dagId: string, body: Record<string, unknown> = {}): unknown {
    const allowed = v === 'v2' ? V2_TRIGGER_KEYS : V1_TRIGGER_KEYS;
    const extra = Object.keys(body).filter((k) => !allowed.has(k));
    if (v === 'v2') {
      if (!('logical_date' in body)) {
        throw new HttpError(422, [{ type: 'missing', loc: ['body', 'logical_date'], msg: 'Field required' }]);
      }
      if (extra.length) {
        throw new HttpError(422, extra.map((k) => ({ type: 'extra_forbidden', loc: ['body', k], msg: 'Extra inputs are not permitted' })));
      }
    } else if (extra.length) {
      throw new HttpError(400, `{${extra.map((k) => `'${k}': ['Unknown field.']`).join(', ')}}`, 'Bad Request');
    }
    if (body.conf !== undefined && (typeof body.conf !== 'object' || Array.isArray(body.conf))) {
      throw new HttpError(400, 'conf must be an object', 'Bad Request');
    }
    const now = new Date().toISOString();
    const runId = typeof body.dag_run_id === 'string' ? body.dag_run_id : `manual__${now}`;
    if (this.runs.has(`${dagId}/${runId}`)) {
      throw new HttpError(409, `DAGRun with DAG ID: '${dagId}' and DAGRun ID: '${runId}' already exists`, 'Conflict');
    }
    const script = this.scripts.get(dagId) ?? { outcome: 'success' };
    const taskScripts = script.tasks ?? defaultTasks(script.outcome);
    const tasks = taskScripts.map((s) => ({ taskId: s.taskId, state: null, tryNumber: 0, script: s }));
    const logicalDate = (body.logical_date ?? body.execution_date ?? (v === 'v1' ? now : null)) as string | null;
    const run: FakeRun = {
      dagId,
      runId,
      conf: (body.conf as Record<string, unknown>) ?? {},
      logicalDate,
      queuedAt: now,
      state: 'queued',
      polls: 0,
      note: (body.note as string) ?? null,
      script,
      tasks,
    };
    this.runs.set(`${dagId}/${runId}`, run);
    return this.runWire(run, v);
  }

  /**
   * `GET /dags/{dag_id}/dagRuns`: `state` repeated for several (OR), `limit` (at most 100, Airflow's
   * default `maximum_page_limit`) and `offset`. A listing filtered by state (a batched poll; its
   * first page) observes each run it would show, as a GET of that run does: it moves on, and one that has
   * just ended drops out of the answer.
   */
  private listRuns(v: Version, dagId: string, paused: boolean, url: URL): unknown {
    const states = url.searchParams.getAll('state');
    const limit = Math.min(Number(url.searchParams.get('limit') ?? 100), 100);
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const ofDag = [...this.runs.values()].filter((r) => r.dagId === dagId);
    // Only the first page observes the runs, so later pages of the same listing see the same states.
    if (states.length && offset === 0) for (const r of ofDag) if (states.includes(r.state)) this.advance(r, paused);
    const all = ofDag.filter((r) => !states.length || states.includes(r.state));
    return { dag_runs: all.slice(offset, offset + limit).map((r) => this.runWire(r, v)), total_entries: all.length };
  }

  /**
   * `POST /dags/~/dagRuns/~/taskInstances/list` (v1 since 2.7.1 for `dag_run_ids`; v2): task
   * instances of the given DAGs and runs, `page_limit` (at most 100) and `page_offset`. Unknown
   * fields are refused, as both APIs' schemas do.
   */
  private taskInstancesBatch(v: Version, body: Record<string, unknown>): unknown {
    const extra = Object.keys(body).filter((k) => !TI_BATCH_KEYS.has(k));
    if (extra.length) throw new HttpError(v === 'v2' ? 422 : 400, `unexpected fields: ${extra.join(', ')}`, 'Bad Request');
    const dagIds = body.dag_ids as string[] | undefined;
    const runIds = body.dag_run_ids as string[] | undefined;
    const limit = Math.min(Number(body.page_limit ?? 100), 100);
    const offset = Number(body.page_offset ?? 0);
    const all = [...this.runs.values()]
      .filter((r) => (!dagIds || dagIds.includes(r.dagId)) && (!runIds || runIds.includes(r.runId)))
      .flatMap((r) => r.tasks.map((t) => this.taskWire(r, t, v)));
    return { task_instances: all.slice(offset, offset + limit), total_entries: all.length };
  }

  private advance(run: FakeRun, paused: boolean): FakeRun {
    if (run.state === 'success' || run.state === 'failed' || paused) return run;
    const now = new Date().toISOString();
    run.polls++;
    if (run.polls >= (run.script.afterPolls ?? 3)) {
      Object.assign(run, { state: run.script.outcome, start: run.start ?? now, end: now });
      for (const t of run.tasks) {
        const state = t.script.outcome ?? (run.script.outcome === 'success' ? 'success' : 'failed');
        const ran = state === 'success' || state === 'failed';
        const tryNumber = ran ? (t.script.tries ?? 1) : 0;
        Object.assign(t, { state, tryNumber, start: ran ? (t.start ?? now) : undefined, end: now });
      }
    } else if (run.polls > 1) {
      Object.assign(run, { state: 'running', start: run.start ?? now });
      const [first, ...rest] = run.tasks;
      if (first) Object.assign(first, { state: 'running', tryNumber: 1, start: first.start ?? now });
      for (const t of rest) t.state = 'scheduled';
    }
    return run;
  }

  /** Like the UI's "Mark failed"/"Mark success": unfinished tasks are failed (if running) or skipped. */
  private patchRun(v: Version, run: FakeRun, body: Record<string, unknown>): FakeRun {
    const keys = Object.keys(body ?? {});
    const allowed = v === 'v2' ? ['state', 'note'] : ['state'];
    if (keys.some((k) => !allowed.includes(k))) {
      throw new HttpError(v === 'v2' ? 422 : 400, `unexpected fields: ${keys.join(', ')}`, 'Bad Request');
    }
    if (body.note !== undefined) run.note = body.note as string;
    if (body.state === undefined) return run;
    if (!['queued', 'success', 'failed'].includes(body.state as string)) {
      throw new HttpError(400, `invalid state ${String(body.state)}`, 'Bad Request');
    }
    const now = new Date().toISOString();
    Object.assign(run, { state: body.state, end: body.state === 'queued' ? undefined : now });
    for (const t of run.tasks) {
      if (!UNFINISHED.has(t.state) || body.state === 'queued') continue;
      t.state = body.state === 'success' ? 'success' : t.state === 'running' ? 'failed' : 'skipped';
      t.end = now;
    }
    return run;
  }

  private runWire(r: FakeRun, v: Version): Record<string, unknown> {
    const common = {
      dag_run_id: r.runId,
      dag_id: r.dagId,
      logical_date: r.logicalDate,
      start_date: r.start ?? null,
      end_date: r.end ?? null,
      data_interval_start: r.logicalDate,
      data_interval_end: r.logicalDate,
      last_scheduling_decision: null,
      run_type: 'manual',
      state: r.state,
      conf: r.conf,
      note: r.note,
    };
    if (v === 'v1') return { ...common, execution_date: r.logicalDate, external_trigger: true };
    const v2 = { queued_at: r.queuedAt, run_after: r.logicalDate ?? r.queuedAt, triggered_by: 'rest_api', dag_versions: [] };
    return { ...common, ...v2, bundle_version: null, dag_display_name: r.dagId };
  }

  private taskWire(r: FakeRun, t: FakeTask, v: Version): Record<string, unknown> {
    const duration = t.start && t.end ? (Date.parse(t.end) - Date.parse(t.start)) / 1000 : null;
    const common = {
      task_id: t.taskId,
      dag_id: r.dagId,
      dag_run_id: r.runId,
      map_index: -1,
      logical_date: r.logicalDate,
      start_date: t.start ?? null,
      end_date: t.end ?? null,
      duration,
      state: t.state,
      try_number: t.tryNumber,
      max_tries: t.script.tries ?? 1,
      hostname: 'worker-1',
      operator: 'BashOperator',
      pool: 'default_pool',
      queue: 'default',
    };
    if (v === 'v1') return { ...common, execution_date: r.logicalDate };
    return { ...common, id: `${r.runId}-${t.taskId}`, task_display_name: t.taskId, run_after: r.queuedAt };
  }

  private dagWire(dagId: string, v: Version): Record<string, unknown> {
    const paused = this.findDag(dagId).paused;
    const common = { dag_id: dagId, is_paused: paused, description: null, fileloc: `/opt/airflow/dags/${dagId}.py`, owners: ['data-eng'], tags: [] };
    return v === 'v1' ? { ...common, is_active: true, root_dag_id: null } : { ...common, dag_display_name: dagId, is_stale: false };
  }

  private findDag(dagId: string): { paused: boolean } {
    if (!this.dags.has(dagId) && this.autoCreateDags) this.addDag(dagId);
    const dag = this.dags.get(dagId);
    if (!dag) throw new HttpError(404, `DAG with dag_id: '${dagId}' not found`, 'DAG not found');
    return dag;
  }

  private findRun(dagId: string, runId: string | undefined): FakeRun {
    const run = this.runs.get(`${dagId}/${runId}`);
    if (!run) throw new HttpError(404, `DAGRun with DAG ID: '${dagId}' and DagRun ID: '${runId}' not found`, 'DAGRun not found');
    return run;
  }
}

function defaultTasks(outcome: DagRunScript['outcome']): TaskScript[] {
  if (outcome === 'success') return [{ taskId: 'extract' }, { taskId: 'transform' }, { taskId: 'load' }];
  return [{ taskId: 'extract', outcome: 'success' }, { taskId: 'transform', outcome: 'failed' }, { taskId: 'load', outcome: 'upstream_failed' }];
}

function* logLines(task: FakeTask): Iterable<string> {
  const { log, logBytes } = task.script;
  if (log) return yield* log;
  if (logBytes === undefined) return yield* defaultLog(task);
  let bytes = 0;
  for (let i = 1; bytes < logBytes; i++) {
    const line = `${task.taskId}: processed batch ${i} of a very long run, rows read so far: ${i * 1000}`;
    bytes += line.length + 1;
    yield line;
  }
  yield* defaultLog(task).slice(-6);
}

function* map<T, U>(items: Iterable<T>, f: (item: T) => U): Iterable<U> {
  for (const item of items) yield f(item);
}

function defaultLog(task: FakeTask): string[] {
  const lines = Array.from({ length: 34 }, (_, i) => `${task.taskId}: processed batch ${i + 1}`);
  if (task.state !== 'failed') return [...lines, 'Done. Returned value was: None'];
  return [
    ...lines,
    'Task failed with exception',
    'Traceback (most recent call last):',
    `  File "/opt/airflow/dags/jobs.py", line 42, in ${task.taskId}`,
    '    raise ValueError("negative revenue in 3 rows")',
    'ValueError: negative revenue in 3 rows',
    'Marking task as FAILED.',
  ];
}

/** v1 (connexion) answers RFC 7807 problem+json; v2 (FastAPI) answers `{detail}`. */
function errorBody(v: Version, status: number, detail: unknown, title: string): unknown {
  if (v === 'v2') return { detail };
  const code = V1_ERROR_TYPES[status] ?? 'Unknown';
  const type = `https://airflow.apache.org/docs/apache-airflow/2.10.5/stable-rest-api-ref.html#section/Errors/${code}`;
  return { detail, status, title, type };
}

/** The `type` links Airflow 2 puts on its problems (`api_connexion/exceptions.py`). */
const V1_ERROR_TYPES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthenticated',
  403: 'PermissionDenied',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'AlreadyExists',
};

const errorType = (v: Version): string => (v === 'v1' ? 'application/problem+json' : 'application/json');

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
