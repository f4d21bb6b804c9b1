import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { DatabricksClient } from '../../../src/engines/databricks/client.ts';
import { createDatabricksEngine } from '../../../src/engines/databricks/engine.ts';
import { isTerminal, type EngineRunStatus } from '../../../src/engines/types.ts';
import { FakeDatabricks, type ControlCommand, type RecordedRequest, type TimelineEntry } from '../../fakes/databricks-server.ts';

describe('FakeDatabricks on a timer', () => {
  it('advances runs every msPerStep without polls and records their start and end in the timeline', async () => {
    const fake = new FakeDatabricks({ msPerStep: 15 });
    const host = await fake.start();
    try {
      fake.addJob({ jobId: 1, tasks: ['a', 'b'] });
      const client = new DatabricksClient({ host, auth: { token: 'dapi-fake-token' } });
      const runs = await Promise.all([client.runNow({ jobId: 1 }), client.runNow({ jobId: 1 })]);
      await expect.poll(() => fake.timeline.filter((t) => t.endedAt !== undefined).length, { timeout: 2000, interval: 20 }).toBe(2);
      expect(fake.timeline.map((t) => t.runId)).toEqual(runs.map((r) => r.runId));
      // PENDING, RUNNING a, RUNNING b, then TERMINATED: three steps of 15 ms at least.
      for (const t of fake.timeline) expect((t.endedAt ?? 0) - t.startedAt).toBeGreaterThanOrEqual(40);
      expect(fake.calls('/api/2.1/jobs/runs/get')).toHaveLength(0);
      expect((await client.getRun(runs[0]!.runId)).state?.result_state).toBe('SUCCESS');
    } finally {
      await fake.stop();
    }
  });
});

describe('FakeDatabricks in its own process', () => {
  it('starts from flags and env, is driven over /__fake/control and read over /__fake/state', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/fakes/databricks-server-main.ts', '--polls-per-step', '1', '--job', JSON.stringify({ jobId: 7, tasks: ['extract', 'transform'] })],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FAKE_DATABRICKS_TOKENS: 'dapi-a,dapi-b' } },
    );
    try {
      const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
      const { service, url } = JSON.parse(first.value as string) as { service: string; url: string };
      expect(service).toBe('databricks');
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      const control = async (cmd: ControlCommand) => {
        const res = await fetch(`${url}/__fake/control`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(cmd) });
        return { status: res.status, body: (await res.json()) as unknown };
      };
      expect(await control({ command: 'setOutcome', jobId: 7, outcome: { fail: { task: 'transform', error: 'boom' } } })).toEqual({ status: 200, body: { ok: true } });
      expect((await control({ command: 'setOutcome', jobId: 7, outcome: { fail: { task: 'nope' } } })).status).toBe(400);
      expect((await control({ command: 'failNext', path: '/api/2.1/jobs/run-now', faults: [{ status: 429, retryAfter: '2' }] })).status).toBe(200);

      const engine = createDatabricksEngine(new DatabricksClient({ host: url, auth: { token: 'dapi-b' } }));
      const req = { runId: 'r-proc-1', pipeline: 'p', period: '2024-05', params: {}, config: { engine: 'databricks' as const, jobId: 7, jobParameters: {} } };
      await expect(engine.submit(req)).rejects.toMatchObject({ retryable: true, retryAfterMs: 2000 });
      const { externalId } = await engine.submit(req);
      let status: EngineRunStatus | undefined;
      for (let i = 0; i < 10 && !(status && isTerminal(status.state)); i++) status = await engine.poll(externalId);
      expect(status?.state).toBe('failed');
      expect(await engine.failures(externalId, status!)).toMatchObject([{ task: 'transform', error: 'boom' }]);

      const state = (await (await fetch(`${url}/__fake/state`)).json()) as { runs: Array<{ run_id: number }>; requests: RecordedRequest[]; timeline: TimelineEntry[] };
      expect(state.runs.map((r) => String(r.run_id))).toEqual([externalId]);
      expect(state.requests.filter((r) => r.path === '/api/2.1/jobs/run-now')).toHaveLength(2);
      expect(state.timeline[0]?.endedAt).toBeGreaterThanOrEqual(state.timeline[0]?.startedAt ?? Infinity);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
