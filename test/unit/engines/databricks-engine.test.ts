import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabricksClient } from '../../../src/engines/databricks/client.ts';
import { createDatabricksEngine } from '../../../src/engines/databricks/engine.ts';
import { isTerminal, type Engine, type EngineRunStatus, type SubmitRequest } from '../../../src/engines/types.ts';
import { ApiError, ConfigError } from '../../../src/errors.ts';
import { FakeDatabricks } from '../../fakes/databricks-server.ts';

const GET_OUTPUT = '/api/2.1/jobs/runs/get-output';
const TRACE = Array.from({ length: 20 }, (_, i) => (i === 0 ? 'java.lang.RuntimeException: boom' : `\tat com.acme.Transform.step${i}(Transform.scala:${i})`)).join('\n');

let fake: FakeDatabricks;
let host: string;
let engine: Engine;

beforeEach(async () => {
  fake = new FakeDatabricks();
  host = await fake.start();
  fake.addJob({ jobId: 123, tasks: ['extract', 'transform', 'load'] });
  engine = createDatabricksEngine(new DatabricksClient({ host, auth: { token: 'dapi-fake-token' } }));
});
afterEach(() => fake.stop());

const request = (runId: string, params: Record<string, string> = { period: '2024-05' }): SubmitRequest => ({
  runId,
  pipeline: 'incites-monthly',
  period: '2024-05',
  config: { engine: 'databricks', jobId: 123, jobParameters: { period: '{{period}}' } },
  params,
});

/** Polls like the poll job does, returning every status seen up to the terminal one. */
async function pollToEnd(externalId: string): Promise<EngineRunStatus[]> {
  const seen: EngineRunStatus[] = [];
  for (let i = 0; i < 20; i++) {
    const status = await engine.poll(externalId);
    seen.push(status);
    if (isTerminal(status.state)) return seen;
  }
  throw new Error(`run ${externalId} did not finish`);
}

describe('databricks engine: submit', () => {
  it('sends req.params as job_parameters with a token derived from our run id', async () => {
    const result = await engine.submit(request('r-abc-1', { period: '2024-05', dry_run: 'true' }));
    expect(fake.calls('/api/2.1/jobs/run-now')[0]?.body).toEqual({
      job_id: 123,
      job_parameters: { period: '2024-05', dry_run: 'true' },
      idempotency_token: 'cutover-r-abc-1',
    });
    expect(result).toEqual({ externalId: String(fake.timeline[0]?.runId), url: `${host}/#job/123/run/${fake.timeline[0]?.runId}` });
  });

  it('returns the same run when a submit is retried', async () => {
    const first = await engine.submit(request('r-abc-2'));
    const again = await engine.submit(request('r-abc-2'));
    expect(again.externalId).toBe(first.externalId);
    expect(fake.timeline).toHaveLength(1);
  });

  it('refuses a config for another engine without calling Databricks', async () => {
    const req = { ...request('r-abc-3'), config: { engine: 'sandbox' as const, tasks: ['a'], durationMs: 1, variant: 'x' } };
    await expect(engine.submit(req)).rejects.toBeInstanceOf(ConfigError);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('databricks engine: poll', () => {
  it('follows a run through pending and running to succeeded, with task details', async () => {
    const { externalId } = await engine.submit(request('r-poll-1'));
    const seen = await pollToEnd(externalId);
    expect(seen.map((s) => s.state)).toEqual(['pending', 'running', 'running', 'running', 'succeeded']);
    expect(seen[0]?.message).toBe('PENDING');
    // extract runs while the later tasks are BLOCKED on it: those are still pending.
    expect(seen[1]?.tasks.map((t) => [t.key, t.state])).toEqual([
      ['extract', 'running'],
      ['transform', 'pending'],
      ['load', 'pending'],
    ]);
    expect(seen[1]?.endedAt).toBeUndefined();
    expect(seen[1]?.tasks[0]?.startedAt).toBeTypeOf('number');
    expect(seen[1]?.tasks[1]?.startedAt).toBeUndefined();

    const done = seen.at(-1) as EngineRunStatus;
    const run = fake.run(Number(externalId)) as { tasks: Array<{ run_id: number }> };
    expect(done).toMatchObject({ message: 'TERMINATED · SUCCESS', url: `${host}/#job/123/run/${externalId}`, latestRepairId: undefined });
    expect(done.startedAt).toBeTypeOf('number');
    expect(done.endedAt).toBeGreaterThanOrEqual(done.startedAt ?? Infinity);
    expect(done.tasks.map((t) => t.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(done.tasks.map((t) => t.runId)).toEqual(run.tasks.map((t) => String(t.run_id)));
    expect(done.tasks[0]?.url).toBe(`${host}/#job/123/run/${run.tasks[0]?.run_id}`);
    expect(fake.calls('/api/2.1/jobs/runs/get').every((c) => c.query.include_history === 'true')).toBe(true);
  });

  it('shows a queued run as pending', async () => {
    await fake.stop();
    fake = new FakeDatabricks({ queued: true, pollsPerStep: 0 });
    fake.addJob({ jobId: 123, tasks: ['extract'] });
    engine = createDatabricksEngine(new DatabricksClient({ host: await fake.start(), auth: { token: 'dapi-fake-token' } }));
    const { externalId } = await engine.submit(request('r-poll-2'));
    expect(await engine.poll(externalId)).toMatchObject({ state: 'pending', message: 'QUEUED' });
  });
});

describe('databricks engine: failures', () => {
  it('explains the failed task with its error, first 15 trace lines and log link, never asking for the parent output', async () => {
    fake.setOutcome(123, { fail: { task: 'transform', error: 'java.lang.RuntimeException: boom', trace: TRACE } });
    const { externalId } = await engine.submit(request('r-fail-1'));
    const status = (await pollToEnd(externalId)).at(-1) as EngineRunStatus;
    expect(status.state).toBe('failed');
    expect(status.tasks.map((t) => t.state)).toEqual(['succeeded', 'failed', 'failed']);

    const failures = await engine.failures(externalId, status);
    const transform = status.tasks[1];
    expect(failures).toEqual([
      { task: 'transform', error: 'java.lang.RuntimeException: boom', trace: TRACE.split('\n').slice(0, 15).join('\n'), logUrl: transform?.url },
      { task: 'load', error: 'Upstream task failed.', logUrl: status.tasks[2]?.url },
    ]);
    const outputCalls = fake.calls(GET_OUTPUT);
    expect(outputCalls.map((c) => c.query.run_id)).toEqual([transform?.runId]);
    expect(outputCalls.some((c) => c.query.run_id === externalId)).toBe(false);
  });

  it('falls back to the state message when get-output is refused for good, and rethrows transient errors', async () => {
    fake.setOutcome(123, { fail: { task: 'extract', error: 'boom' } });
    const { externalId } = await engine.submit(request('r-fail-2'));
    const status = (await pollToEnd(externalId)).at(-1) as EngineRunStatus;

    fake.failNext(GET_OUTPUT, [{ status: 403, message: 'no permission' }]);
    const failures = await engine.failures(externalId, status);
    expect(failures[0]).toEqual({ task: 'extract', error: 'boom', logUrl: status.tasks[0]?.url });

    fake.failNext(GET_OUTPUT, [{ status: 503 }]);
    await expect(engine.failures(externalId, status)).rejects.toMatchObject({ retryable: true, statusCode: 503 });
  });

  it('asks nothing for a run that succeeded', async () => {
    const { externalId } = await engine.submit(request('r-fail-3'));
    const status = (await pollToEnd(externalId)).at(-1) as EngineRunStatus;
    const before = fake.requests.length;
    expect(await engine.failures(externalId, status)).toEqual([]);
    expect(fake.requests).toHaveLength(before);
  });
});

describe('databricks engine: cancel and repair', () => {
  it('cancels a running run', async () => {
    const { externalId } = await engine.submit(request('r-cancel-1'));
    await engine.poll(externalId);
    expect((await engine.poll(externalId)).state).toBe('running');
    await engine.cancel(externalId);
    const status = await engine.poll(externalId);
    expect(status.state).toBe('cancelled');
    expect(status.message).toMatch(/^TERMINATED · CANCELED/);
  });

  it('repairs failed tasks, passing latest_repair_id from the history on the second repair', async () => {
    fake.setOutcome(123, { fail: { task: 'transform', error: 'boom' } });
    fake.setOutcome(123, { fail: { task: 'load', error: 'boom again' } }, 'next-repair');
    const { externalId } = await engine.submit(request('r-repair-1'));
    const failed = (await pollToEnd(externalId)).at(-1) as EngineRunStatus;
    expect(failed.latestRepairId).toBeUndefined();

    const first = await engine.repair!(externalId, failed.latestRepairId);
    const failedAgain = (await pollToEnd(externalId)).at(-1) as EngineRunStatus;
    expect(failedAgain).toMatchObject({ state: 'failed', latestRepairId: first.repairId });
    expect(failedAgain.tasks.map((t) => t.state)).toEqual(['succeeded', 'succeeded', 'failed']);
    // Repaired tasks get new task-run ids, which get-output must use from now on.
    expect(failedAgain.tasks[1]?.runId).not.toBe(failed.tasks[1]?.runId);

    const refused = await engine.repair!(externalId, undefined).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ statusCode: 400, retryable: false });

    const second = await engine.repair!(externalId, failedAgain.latestRepairId);
    const repaired = (await pollToEnd(externalId)).at(-1) as EngineRunStatus;
    expect(repaired).toMatchObject({ state: 'succeeded', latestRepairId: second.repairId });
    const bodies = fake.calls('/api/2.1/jobs/runs/repair').map((c) => c.body);
    expect(bodies).toEqual([
      { run_id: Number(externalId), rerun_all_failed_tasks: true },
      { run_id: Number(externalId), rerun_all_failed_tasks: true },
      { run_id: Number(externalId), rerun_all_failed_tasks: true, latest_repair_id: Number(first.repairId) },
    ]);
  });

  it('refuses an external id that is not a run id without calling Databricks', async () => {
    await expect(engine.poll('run-abc')).rejects.toMatchObject({ retryable: false, apiCode: 'INVALID_PARAMETER_VALUE' });
    expect(fake.requests).toHaveLength(0);
  });
});
