import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabricksClient } from '../../../src/engines/databricks/client.ts';
import { ApiError } from '../../../src/errors.ts';
import { createLogger } from '../../../src/logger.ts';
import { FakeDatabricks } from '../../fakes/databricks-server.ts';

const PAT = 'dapi0123456789abcdef0123456789abcdef';
const RUN_NOW = '/api/2.1/jobs/run-now';

let fake: FakeDatabricks;
let host: string;

beforeEach(async () => {
  fake = new FakeDatabricks({ tokens: [PAT] });
  host = await fake.start();
  fake.addJob({ jobId: 123, tasks: ['extract', 'transform'], schedule: { quartz_cron_expression: '0 0 6 1 * ?', timezone_id: 'UTC', pause_status: 'PAUSED' } });
});
afterEach(() => fake.stop());

const patClient = (extra: Partial<ConstructorParameters<typeof DatabricksClient>[0]> = {}) => new DatabricksClient({ host, auth: { token: PAT }, ...extra });

/** The rejection of `promise`, asserted to be an ApiError. */
async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApiError);
  return err as ApiError;
}

describe('DatabricksClient: run-now and auth', () => {
  it('sends the PAT as a bearer token and the documented body', async () => {
    const { runId } = await patClient().runNow({ jobId: 123, jobParameters: { period: '2024-05' }, idempotencyToken: 'cutover-r-1' });
    const [call] = fake.calls(RUN_NOW, 'POST');
    expect(call?.headers.authorization).toBe(`Bearer ${PAT}`);
    expect(call?.body).toEqual({ job_id: 123, job_parameters: { period: '2024-05' }, idempotency_token: 'cutover-r-1' });
    expect(fake.timeline.map((t) => t.runId)).toEqual([runId]);
  });

  it('starts one run for two run-now calls with the same idempotency token', async () => {
    const client = patClient();
    const first = await client.runNow({ jobId: 123, idempotencyToken: 'cutover-r-2' });
    const second = await client.runNow({ jobId: 123, idempotencyToken: 'cutover-r-2' });
    expect(second.runId).toBe(first.runId);
    expect(fake.calls(RUN_NOW)).toHaveLength(2);
    expect(fake.timeline).toHaveLength(1);
  });

  it('refuses an idempotency token over 64 characters before calling Databricks', async () => {
    const err = await apiError(patClient().runNow({ jobId: 123, idempotencyToken: 'x'.repeat(65) }));
    expect(err).toMatchObject({ retryable: false, apiCode: 'INVALID_PARAMETER_VALUE' });
    expect(fake.requests).toHaveLength(0);
  });

  it('turns a 401 into a permanent error that does not contain the token', async () => {
    const wrong = 'dapiffffffffffffffffffffffffffffffff';
    const err = await apiError(new DatabricksClient({ host, auth: { token: wrong } }).getJob(123));
    expect(err).toMatchObject({ statusCode: 401, apiCode: 'UNAUTHENTICATED', retryable: false, service: 'databricks' });
    expect(`${err.message} ${err.stack}`).not.toContain(wrong);
  });

  it('never writes the token into a log line', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(s) } });
    const client = patClient({ logger });
    await client.getJob(123);
    await client.getJob(999).catch(() => undefined);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.join('')).not.toContain(PAT);
  });
});

describe('DatabricksClient: OAuth M2M', () => {
  const oauth = { clientId: 'fake-client-id', clientSecret: 'fake-client-secret' };

  it('fetches one token with Basic auth and reuses it across calls, concurrent ones included', async () => {
    const client = new DatabricksClient({ host, auth: oauth });
    await Promise.all([client.getJob(123), client.getJob(123), client.getRun(0).catch(() => undefined)]);
    await client.runNow({ jobId: 123 });
    expect(fake.tokenRequests).toBe(1);
    const [tokenCall] = fake.calls('/oidc/v1/token', 'POST');
    expect(tokenCall?.headers.authorization).toBe(`Basic ${Buffer.from('fake-client-id:fake-client-secret').toString('base64')}`);
    expect(tokenCall?.body).toEqual({ grant_type: 'client_credentials', scope: 'all-apis' });
    const bearers = new Set(fake.requests.filter((r) => r.path.startsWith('/api/')).map((r) => r.headers.authorization));
    expect([...bearers]).toHaveLength(1);
    expect([...bearers][0]).toMatch(/^Bearer fake-oauth-/);
  });

  it('refreshes the token 60 s before it expires, not earlier', async () => {
    let now = 1_000_000;
    const client = new DatabricksClient({ host, auth: oauth, now: () => now });
    await client.getJob(123);
    now += 3600_000 - 61_000;
    await client.getJob(123);
    expect(fake.tokenRequests).toBe(1);
    now += 2_000;
    await client.getJob(123);
    expect(fake.tokenRequests).toBe(2);
  });

  it('reports bad client credentials as a permanent error without the secret', async () => {
    const secret = 'wrong-secret-value';
    const err = await apiError(new DatabricksClient({ host, auth: { clientId: 'fake-client-id', clientSecret: secret } }).getJob(123));
    expect(err).toMatchObject({ statusCode: 401, apiCode: 'invalid_client', message: 'Client authentication failed', retryable: false });
    expect(err.message).not.toContain(secret);
    expect(fake.calls('/api/2.1/jobs/get')).toHaveLength(0);
  });
});

describe('DatabricksClient: errors', () => {
  it('turns a 404 into a permanent ApiError with the API code and message', async () => {
    const err = await apiError(patClient().runNow({ jobId: 999 }));
    expect(err).toMatchObject({
      service: 'databricks',
      code: 'api_error',
      statusCode: 404,
      apiCode: 'RESOURCE_DOES_NOT_EXIST',
      message: 'Job 999 does not exist.',
      retryable: false,
    });
  });

  it('makes a 429 retryable and carries Retry-After', async () => {
    fake.failNext(RUN_NOW, [{ status: 429, retryAfter: '1' }]);
    const err = await apiError(patClient().runNow({ jobId: 123 }));
    expect(err).toMatchObject({ statusCode: 429, apiCode: 'REQUEST_LIMIT_EXCEEDED', retryable: true, retryAfterMs: 1000 });
    expect(fake.timeline).toHaveLength(0);
  });

  it('makes a 503 retryable, and serves normally once the faults are used up', async () => {
    fake.failNext('*', [{ status: 503 }]);
    const client = patClient();
    const err = await apiError(client.getJob(123));
    expect(err).toMatchObject({ statusCode: 503, apiCode: 'TEMPORARILY_UNAVAILABLE', retryable: true, retryAfterMs: undefined });
    await expect(client.getJob(123)).resolves.toMatchObject({ job_id: 123 });
  });

  it('reads legacy {error}, plain-text and HTML error bodies', async () => {
    fake.failNext('/api/2.1/jobs/get', [
      { status: 400, body: { error: 'Legacy message' } },
      { status: 400, body: 'INVALID_STATE: Run is still active' },
      { status: 502, body: '<html><head><style>p{}</style></head><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>' },
    ]);
    const client = patClient();
    expect(await apiError(client.getJob(123))).toMatchObject({ message: 'Legacy message', retryable: false });
    expect(await apiError(client.getJob(123))).toMatchObject({ apiCode: 'INVALID_STATE', message: 'Run is still active' });
    expect(await apiError(client.getJob(123))).toMatchObject({ statusCode: 502, message: '502 Bad Gateway nginx', retryable: true });
  });

  it('turns a refused connection into a retryable error with no status', async () => {
    const port = await closedPort();
    const err = await apiError(new DatabricksClient({ host: `http://127.0.0.1:${port}`, auth: { token: PAT } }).getRun(1));
    expect(err).toMatchObject({ retryable: true, statusCode: undefined });
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('turns a dropped connection into a retryable error', async () => {
    fake.failNext(RUN_NOW, [{ drop: true }]);
    const err = await apiError(patClient().runNow({ jobId: 123 }));
    expect(err).toMatchObject({ retryable: true, statusCode: undefined });
  });

  it('lets an abort through as an abort, not as a retryable API error', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await patClient().getJob(123, controller.signal).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ApiError);
    expect((err as Error).name).toBe('AbortError');
  });
});

describe('DatabricksClient: runs and jobs', () => {
  it('reads a run with both state shapes, tasks and history', async () => {
    const client = patClient();
    const { runId } = await client.runNow({ jobId: 123 });
    const pending = await client.getRun(runId);
    expect(pending.state?.life_cycle_state).toBe('PENDING');
    expect(pending.repair_history).toBeUndefined();
    const run = await client.getRun(runId, { includeHistory: true });
    expect(fake.calls('/api/2.1/jobs/runs/get')[1]?.query).toEqual({ run_id: String(runId), include_history: 'true' });
    expect(run).toMatchObject({ run_id: runId, job_id: 123, run_page_url: `${host}/#job/123/run/${runId}` });
    expect(run.status?.state).toBe('RUNNING');
    expect(run.state?.life_cycle_state).toBe('RUNNING');
    expect(run.tasks?.map((t) => [t.task_key, t.status?.state])).toEqual([
      ['extract', 'RUNNING'],
      ['transform', 'BLOCKED'],
    ]);
    expect(run.repair_history?.map((h) => h.type)).toEqual(['ORIGINAL']);
  });

  it('gets output by task run id and refuses the parent id of a multi-task run', async () => {
    fake.setOutcome(123, { fail: { task: 'extract', error: 'java.lang.RuntimeException: boom', trace: 'at a\nat b' } });
    const client = patClient();
    const { runId } = await client.runNow({ jobId: 123 });
    fake.advance(runId, 2);
    const run = await client.getRun(runId);
    const extract = run.tasks?.find((t) => t.task_key === 'extract');
    const output = await client.getRunOutput(extract?.run_id ?? 0);
    expect(output).toMatchObject({ error: 'java.lang.RuntimeException: boom', error_trace: 'at a\nat b', metadata: { run_id: extract?.run_id } });
    const err = await apiError(client.getRunOutput(runId));
    expect(err).toMatchObject({ statusCode: 400, apiCode: 'INVALID_PARAMETER_VALUE', retryable: false });
    expect(err.message).toMatch(/^Retrieving the output of runs with multiple tasks is not supported/);
  });

  it('cancels a run, which shows as cancelled on the next get', async () => {
    const client = patClient();
    const { runId } = await client.runNow({ jobId: 123 });
    await client.cancelRun(runId);
    expect(fake.calls('/api/2.1/jobs/runs/cancel')[0]?.body).toEqual({ run_id: runId });
    const run = await client.getRun(runId);
    expect(run.state).toMatchObject({ life_cycle_state: 'TERMINATED', result_state: 'CANCELED' });
    expect(run.status?.termination_details?.code).toBe('USER_CANCELED');
  });

  it('repairs, needing latest_repair_id on the second repair', async () => {
    fake.setOutcome(123, { fail: { task: 'transform' } });
    fake.setOutcome(123, { fail: { task: 'transform' } }, 'next-repair');
    const client = patClient();
    const { runId } = await client.runNow({ jobId: 123 });
    fake.advance(runId, 3);
    const first = await client.repairRun({ runId, rerunAllFailedTasks: true });
    fake.advance(runId, 2);
    const refused = await apiError(client.repairRun({ runId, rerunAllFailedTasks: true }));
    expect(refused).toMatchObject({ statusCode: 400, apiCode: 'INVALID_PARAMETER_VALUE', retryable: false });
    const second = await client.repairRun({ runId, rerunAllFailedTasks: true, latestRepairId: first.repairId });
    expect(second.repairId).not.toBe(first.repairId);
    expect(fake.calls('/api/2.1/jobs/runs/repair').at(-1)?.body).toEqual({ run_id: runId, rerun_all_failed_tasks: true, latest_repair_id: first.repairId });
  });

  it('reads a job and updates only the schedule', async () => {
    const client = patClient();
    const job = await client.getJob(123);
    expect(job.settings.schedule).toEqual({ quartz_cron_expression: '0 0 6 1 * ?', timezone_id: 'UTC', pause_status: 'PAUSED' });
    await client.updateJob(123, { schedule: { ...job.settings.schedule!, pause_status: 'UNPAUSED' } });
    const after = await client.getJob(123);
    expect(after.settings).toEqual({ ...job.settings, schedule: { ...job.settings.schedule, pause_status: 'UNPAUSED' } });
  });
});

/** A port nothing listens on: bind one, then close it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
