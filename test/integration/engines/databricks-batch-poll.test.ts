import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabricksClient } from '../../../src/engines/databricks/client.ts';
import { createDatabricksEngine } from '../../../src/engines/databricks/engine.ts';
import { databricksRunListing } from '../../../src/engines/databricks/run-listing.ts';
import { nextPollAt } from '../../../src/jobs/poll-run.ts';
import { FakeDatabricks } from '../../fakes/databricks-server.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';

const databricks = new FakeDatabricks({ tokens: ['dapi-batch'], pollsPerStep: 0 });
const redis = testRedis();
const redis2 = testRedis();
const prefix = uniquePrefix('batch-poll');
let client: DatabricksClient;

beforeAll(async () => {
  const host = await databricks.start();
  databricks.addJob({ jobId: 41, tasks: ['a', 'b', 'c'] });
  databricks.addJob({ jobId: 42, tasks: ['main'] });
  client = new DatabricksClient({ host, auth: { token: 'dapi-batch' } });
});
afterAll(async () => {
  await databricks.stop();
  await deletePrefix(redis, prefix);
  redis.disconnect();
  redis2.disconnect();
});

/** An engine as one worker process builds it: its own Redis connection, the shared prefix. */
const workerEngine = (conn: typeof redis) => createDatabricksEngine(client, { listing: databricksRunListing({ redis: conn, prefix, client, freshMs: 60_000 }) });

describe('batched polling of Databricks runs (issue 17)', () => {
  it('the fake answers runs/list like the API: newest first, pages of at most 25, active_only, expand_tasks', async () => {
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await client.runNow({ jobId: 42, jobParameters: { period: `2026-0${i + 1}` } })).runId);
    databricks.advance(ids[0]!, 3); // pending -> main running -> main done -> terminated
    const page1 = await client.listRuns({ jobId: 42, activeOnly: true, pageToken: undefined });
    expect(page1.runs!.map((r) => r.run_id)).toEqual([ids[3], ids[2], ids[1]]);
    expect(page1.runs![0]!.tasks).toBeUndefined();
    const paged = await fetch(`${databricks.url}/api/2.1/jobs/runs/list?job_id=42&limit=2&expand_tasks=true`, { headers: { authorization: 'Bearer dapi-batch' } }).then((r) => r.json());
    expect(paged).toMatchObject({ has_more: true, runs: [{ run_id: ids[3], tasks: [{ task_key: 'main' }] }, { run_id: ids[2] }] });
    const next = await client.listRuns({ jobId: 42, pageToken: (paged as { next_page_token: string }).next_page_token });
    expect(next.runs!.map((r) => r.run_id)).toEqual([ids[1], ids[0]]);
    expect(next.has_more).toBe(false);
    const tooMany = await fetch(`${databricks.url}/api/2.1/jobs/runs/list?job_id=42&limit=26`, { headers: { authorization: 'Bearer dapi-batch' } });
    expect(tooMany.status).toBe(400);
  });

  it('polls every active run of a job from one runs/list shared by two workers, and reads an ended run with runs/get', async () => {
    const runIds = [];
    for (let i = 0; i < 5; i++) runIds.push((await client.runNow({ jobId: 41, jobParameters: { period: `2025-0${i + 1}` } })).runId);
    databricks.advance(runIds[0]!, 2); // task a done, b running
    databricks.advance(runIds[1]!, 7); // through all three tasks: terminated
    const before = databricks.requests.length;
    const [w1, w2] = [workerEngine(redis), workerEngine(redis2)];
    const statuses = await Promise.all(runIds.map((id, i) => (i % 2 ? w1 : w2).poll(String(id), undefined, '41')));
    const calls = databricks.requests.slice(before).map((r) => r.path);
    expect(calls.filter((p) => p.endsWith('/runs/list'))).toHaveLength(1);
    // Only the run that left the listing (it ended) is read on its own, with its history.
    expect(databricks.requests.slice(before).filter((r) => r.path.endsWith('/runs/get')).map((r) => r.query)).toEqual([{ run_id: String(runIds[1]), include_history: 'true' }]);
    expect(statuses[0]).toMatchObject({ state: 'running', tasks: [{ key: 'a', state: 'succeeded' }, { key: 'b', state: 'running' }, { key: 'c', state: 'pending' }] });
    expect(statuses[1]!.state).toBe('succeeded');
    expect(statuses[2]!.state).toBe('pending');
  });

  it('polls runs of one group on one tick, at least half an interval apart, groups spread over the interval', () => {
    const interval = 15_000;
    const a = nextPollAt(1_000_000, interval, '41');
    expect(nextPollAt(1_003_000, interval, '41')).toBe(a); // another run of the job, polled 3 s later: same tick
    expect(a - 1_000_000).toBeGreaterThanOrEqual(interval / 2);
    expect(a - 1_000_000).toBeLessThanOrEqual(interval * 1.5);
    expect(nextPollAt(a, interval, '41')).toBe(a + interval);
    expect(nextPollAt(1_000_000, interval, undefined)).toBe(1_000_000 + interval);
    const offsets = new Set(Array.from({ length: 50 }, (_, j) => nextPollAt(0, interval, String(1000 + j)) % interval));
    expect(offsets.size).toBeGreaterThan(40);
  });
});
