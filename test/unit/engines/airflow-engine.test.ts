import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LegacyEngineConfig } from '../../../src/config/catalog-schema.ts';
import { AirflowClient, CANCEL_NOTE, createAirflowEngine, type AirflowApiVersion } from '../../../src/engines/airflow/index.ts';
import type { Engine, EngineRunStatus, SubmitRequest } from '../../../src/engines/types.ts';
import { ApiError } from '../../../src/errors.ts';
import { FakeAirflow } from '../../fakes/airflow-server.ts';

const DAG = 'incites_monthly';
const config: LegacyEngineConfig = { engine: 'airflow', dagId: DAG, conf: { period: '2026-07', mode: 'full' } };

let fake: FakeAirflow;
beforeAll(async () => {
  fake = await FakeAirflow.start();
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

const request = (runId: string, params: Record<string, string> = {}): SubmitRequest => ({
  runId,
  pipeline: 'incites-monthly',
  config,
  period: '2026-07',
  params,
});

async function pollUntilTerminal(engine: Engine, externalId: string): Promise<EngineRunStatus[]> {
  const seen: EngineRunStatus[] = [];
  for (let i = 0; i < 10; i++) {
    const status = await engine.poll(externalId);
    seen.push(status);
    if (['succeeded', 'failed', 'cancelled'].includes(status.state)) break;
  }
  return seen;
}

describe.each<AirflowApiVersion>(['v1', 'v2'])('airflow engine on /api/%s', (apiVersion) => {
  const client = (token = fake.token) => new AirflowClient({ baseUrl: `${fake.url}/api/${apiVersion}/`, token, apiVersion });
  const engine = () => createAirflowEngine({ client: client() });

  it('triggers a run named after our run id, with params merged over the rendered conf', async () => {
    const { externalId, url } = await engine().submit(request('r1', { mode: 'incremental' }));
    expect(externalId).toBe(`${DAG}/cutover-r1`);
    const [post] = fake.requests;
    expect(post).toMatchObject({ method: 'POST', version: apiVersion, path: `/dags/${DAG}/dagRuns` });
    const conf = { period: '2026-07', mode: 'incremental' };
    // Airflow 3's trigger body requires logical_date (nullable); Airflow 2 picks "now" when it is left out.
    expect(post?.body).toEqual(apiVersion === 'v2' ? { dag_run_id: 'cutover-r1', conf, logical_date: null } : { dag_run_id: 'cutover-r1', conf });
    expect(url).toBe(
      apiVersion === 'v2' ? `${fake.url}/dags/${DAG}/runs/cutover-r1` : `${fake.url}/dags/${DAG}/grid?dag_run_id=cutover-r1`,
    );
  });

  it('a retried trigger gets 409 and returns the existing run: one DAG run only', async () => {
    const first = await engine().submit(request('r2'));
    const second = await engine().submit(request('r2'));
    expect(second.externalId).toBe(first.externalId);
    expect(fake.dagRuns(DAG)).toHaveLength(1);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST /dags/${DAG}/dagRuns`,
      `POST /dags/${DAG}/dagRuns`,
      `GET /dags/${DAG}/dagRuns/cutover-r2`,
    ]);
  });

  it('polls queued → running → success, with task instances', async () => {
    const e = engine();
    const { externalId } = await e.submit(request('p1'));
    const seen = await pollUntilTerminal(e, externalId);
    expect(seen.map((s) => s.state)).toEqual(['pending', 'running', 'succeeded']);
    expect(seen[1]?.tasks.map((t) => [t.key, t.state])).toEqual([
      ['extract', 'running'],
      ['transform', 'pending'],
      ['load', 'pending'],
    ]);
    const done = seen.at(-1)!;
    expect(done.message).toBe('success');
    expect(done.tasks.every((t) => t.state === 'succeeded' && typeof t.startedAt === 'number')).toBe(true);
    expect(done.endedAt).toBeGreaterThanOrEqual(done.startedAt!);
    expect(await e.failures(externalId, done)).toEqual([]);
  });

  it('polls to failure; failures() reads the failed task instance and the last 30 lines of its log', async () => {
    fake.script(DAG, { outcome: 'failed' });
    const e = engine();
    const { externalId } = await e.submit(request('f1'));
    const done = (await pollUntilTerminal(e, externalId)).at(-1)!;
    expect(done.state).toBe('failed');
    expect(done.tasks.map((t) => [t.key, t.state])).toEqual([
      ['extract', 'succeeded'],
      ['transform', 'failed'],
      ['load', 'failed'],
    ]);
    fake.requests.length = 0;
    const [failure, ...rest] = await e.failures(externalId, done);
    expect(rest).toEqual([]);
    expect(failure?.task).toBe('transform');
    expect(failure?.error).toMatch(/ValueError: negative revenue in 3 rows$/);
    const trace = failure?.trace?.split('\n') ?? [];
    expect(trace).toHaveLength(30);
    expect(trace.at(-1)).toMatch(/Marking task as FAILED\.$/);
    expect(failure?.logUrl).toContain('transform');
    const logRequest = fake.requests.find((r) => r.path.includes('/logs/'));
    expect(logRequest?.path).toBe(`/dags/${DAG}/dagRuns/cutover-f1/taskInstances/transform/logs/1`);
    expect(logRequest?.accept).toBe(apiVersion === 'v1' ? 'text/plain' : 'application/x-ndjson');
  });

  it('finding 15: reads only the tail of each failed task’s log, one task at a time, within a byte bound', async () => {
    fake.script(DAG, {
      outcome: 'failed',
      afterPolls: 1,
      tasks: [
        { taskId: 'second', outcome: 'failed' },
        { taskId: 'small', outcome: 'failed', log: ['starting', 'Traceback (most recent call last):', 'KeyError: region'] },
        // Last, so that the server's lag in noticing an abandoned stream cannot look like two reads at once.
        { taskId: 'huge', outcome: 'failed', logBytes: 256 * 1024 * 1024 },
      ],
    });
    const e = createAirflowEngine({ client: client(), logMaxBytes: 1024 * 1024 });
    const { externalId } = await e.submit(request('f15'));
    const done = (await pollUntilTerminal(e, externalId)).at(-1)!;
    fake.requests.length = 0;
    const failures = await e.failures(externalId, done);
    expect(failures.map((f) => [f.task, f.error])).toEqual([
      ['second', expect.stringMatching(/ValueError: negative revenue in 3 rows$/)],
      ['small', expect.stringMatching(/KeyError: region$/)],
      ['huge', 'task failed (try 1); its log is larger than 1 MiB, too large to read its end here: open it in Airflow'],
    ]);
    expect(failures[0]?.trace?.split('\n')).toHaveLength(30);
    expect(failures[1]?.trace?.split('\n').map((l) => l.replace(/^.* - /, ''))).toEqual(['starting', 'Traceback (most recent call last):', 'KeyError: region']);
    const logRequests = fake.requests.filter((r) => r.path.includes('/logs/'));
    expect(logRequests).toHaveLength(3);
    // Never the whole log on purpose, and never several logs at once.
    expect(logRequests.map((r) => r.query.full_content)).toEqual([undefined, undefined, undefined]);
    expect(fake.logReads.maxInFlight).toBe(1);
    // The 256 MiB log was abandoned after the bound: what the server managed to send is a small part of it.
    await vi.waitFor(() => expect(fake.logReads.inFlight).toBe(0));
    expect(Math.max(...fake.logReads.bytesSent)).toBeLessThan(32 * 1024 * 1024);
  });

  it('honours scripted outcomes, logs and try numbers', async () => {
    fake.script(DAG, {
      outcome: 'failed',
      afterPolls: 1,
      tasks: [{ taskId: 'only', outcome: 'failed', tries: 2, log: ['starting', 'KeyError: period', 'done'] }],
    });
    const e = engine();
    const { externalId } = await e.submit(request('f2'));
    const status = await e.poll(externalId);
    const [failure] = await e.failures(externalId, status);
    expect(failure?.error).toMatch(/KeyError: period$/);
    expect(failure?.trace?.split('\n')).toHaveLength(3);
    expect(fake.requests.at(-1)?.path).toMatch(/\/logs\/2$/);
  });

  it('cancels by marking the run failed with a note; poll then says cancelled', async () => {
    const e = engine();
    const { externalId } = await e.submit(request('c1'));
    await e.poll(externalId);
    await e.poll(externalId);
    await e.cancel(externalId);
    const patches = fake.requests.filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => [r.path, r.body])).toEqual(
      apiVersion === 'v2'
        ? [[`/dags/${DAG}/dagRuns/cutover-c1`, { state: 'failed', note: CANCEL_NOTE }]]
        : [
            [`/dags/${DAG}/dagRuns/cutover-c1`, { state: 'failed' }],
            [`/dags/${DAG}/dagRuns/cutover-c1/setNote`, { note: CANCEL_NOTE }],
          ],
    );
    const status = await e.poll(externalId);
    expect(status.state).toBe('cancelled');
    expect(status.tasks.map((t) => t.state)).toEqual(['failed', 'cancelled', 'cancelled']);
    expect(await e.failures(externalId, status)).toEqual([]);
  });

  it('a run failed without a failed task still explains itself', async () => {
    const c = client();
    const e = createAirflowEngine({ client: c });
    const { externalId } = await e.submit(request('m1'));
    await c.setDagRunState(DAG, 'cutover-m1', 'failed');
    const status = await e.poll(externalId);
    expect(status.state).toBe('failed');
    expect(await e.failures(externalId, status)).toEqual([
      expect.objectContaining({ task: DAG, error: expect.stringContaining('without a failed task') }),
    ]);
  });

  it('pauses and unpauses a DAG; runs of a paused DAG stay pending', async () => {
    const c = client();
    expect(await c.pauseDag(DAG)).toMatchObject({ dag_id: DAG, is_paused: true });
    expect(fake.dag(DAG)?.is_paused).toBe(true);
    const e = createAirflowEngine({ client: c });
    const { externalId } = await e.submit(request('z1'));
    expect((await pollUntilTerminal(e, externalId)).map((s) => s.state)).toEqual(Array(10).fill('pending'));
    expect(await c.unpauseDag(DAG)).toMatchObject({ is_paused: false });
    expect(fake.dag(DAG)?.is_paused).toBe(false);
    expect(fake.requests.find((r) => r.method === 'PATCH')).toMatchObject({ path: `/dags/${DAG}`, body: { is_paused: true } });
  });

  it('a bad token is a permanent ApiError', async () => {
    const err = await createAirflowEngine({ client: client('wrong') })
      .submit(request('a1'))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ service: 'airflow', statusCode: 401, retryable: false, apiCode: apiVersion === 'v1' ? 'Unauthenticated' : 'http_401' });
    expect((err as Error).message).not.toContain('wrong');
  });

  it('a 503 is retryable and carries Retry-After', async () => {
    fake.failNext({ status: 503, retryAfter: '2', path: '/dagRuns' });
    await expect(engine().submit(request('a2'))).rejects.toMatchObject({ statusCode: 503, retryable: true, retryAfterMs: 2000 });
  });

  it('an unknown DAG is a permanent 404', async () => {
    const strict = await FakeAirflow.start({ dags: ['other'] });
    try {
      const c = new AirflowClient({ baseUrl: strict.url, token: strict.token, apiVersion });
      await expect(createAirflowEngine({ client: c }).submit(request('a3'))).rejects.toMatchObject({ statusCode: 404, retryable: false });
    } finally {
      await strict.close();
    }
  });
});

describe('airflow client', () => {
  it('a refused connection is a retryable ApiError without a status', async () => {
    const gone = await FakeAirflow.start();
    const url = gone.url;
    await gone.close();
    const err = await new AirflowClient({ baseUrl: url }).getDagRun(DAG, 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ statusCode: undefined, retryable: true });
  });

  it('an aborted request is not wrapped', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await new AirflowClient({ baseUrl: fake.url, token: fake.token }).getDagRun(DAG, 'x', controller.signal).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ApiError);
    expect((err as Error).name).toBe('AbortError');
  });

  it('v2 rejects a trigger body without logical_date, like Airflow 3 (422)', async () => {
    const res = await fetch(`${fake.url}/api/v2/dags/${DAG}/dagRuns`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ dag_run_id: 'x', conf: {} }),
    });
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ detail: [{ type: 'missing', loc: ['body', 'logical_date'] }] });
  });

  it('FakeAirflow runs as its own process, driven over /__fake/control and read over /__fake/state', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fakes/airflow-server-main.ts', '0', 'tok-123'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
      const { url, token, service } = JSON.parse(first.value as string) as { url: string; token: string; service: string };
      expect([service, token]).toEqual(['airflow', 'tok-123']);
      await fetch(`${url}/__fake/control`, { method: 'POST', body: JSON.stringify({ action: 'script', dagId: DAG, outcome: 'failed', afterPolls: 1 }) });
      const e = createAirflowEngine({ client: new AirflowClient({ baseUrl: url, token, apiVersion: 'v2' }) });
      const { externalId } = await e.submit(request('x1'));
      expect((await e.poll(externalId)).state).toBe('failed');
      const state = (await (await fetch(`${url}/__fake/state`)).json()) as { runs: { dag_run_id: string; state: string }[] };
      expect(state.runs).toMatchObject([{ dag_run_id: 'cutover-x1', state: 'failed' }]);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
