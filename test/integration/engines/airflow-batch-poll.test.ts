import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LegacyEngineConfig } from '../../../src/config/catalog-schema.ts';
import { AirflowClient, createAirflowEngine, type AirflowApiVersion } from '../../../src/engines/airflow/index.ts';
import { airflowRunListing } from '../../../src/engines/airflow/run-listing.ts';
import { isTerminal, type Engine, type EngineRunStatus, type TaskFailure } from '../../../src/engines/types.ts';
import { FakeAirflow, type DagRunScript } from '../../fakes/airflow-server.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';

const DAG = 'billing_batch';
const INTERVAL = 15_000;
// The run's conf may carry values: it must never reach the listing stored in Redis.
const config: LegacyEngineConfig = { engine: 'airflow', dagId: DAG, conf: { customer: 'secret-customer-4711' } };

let fake: FakeAirflow;
const redis = testRedis();
const redis2 = testRedis();
const prefix = uniquePrefix('airflow-batch');
let clock = 1_000_000;

beforeAll(async () => {
  fake = await FakeAirflow.start();
});
afterEach(() => fake.reset());
afterAll(async () => {
  await fake.close();
  await deletePrefix(redis, prefix);
  redis.disconnect();
  redis2.disconnect();
});

describe.each<AirflowApiVersion>(['v1', 'v2'])('batched polling of Airflow DAG runs on /api/%s (issue 17)', (apiVersion) => {
  /** An engine as one worker process builds it: its own Redis connection and client, the shared prefix and clock. */
  const workerEngine = (conn: typeof redis, batching = true): Engine => {
    const client = new AirflowClient({ baseUrl: `${fake.url}/api/${apiVersion}/`, token: fake.token, apiVersion });
    const listing = batching ? airflowRunListing({ redis: conn, prefix: `${prefix}-${apiVersion}`, client, freshMs: INTERVAL / 2, now: () => clock }) : undefined;
    return createAirflowEngine({ client, listing });
  };

  /** Triggers n runs of the DAG, the i-th scripted by `script(i)`; their external ids. */
  async function trigger(engine: Engine, n: number, script: (i: number) => DagRunScript): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      fake.script(DAG, script(i)); // the fake gives a run the DAG's script of the moment it is triggered
      const runId = `r-air${i.toString(36)}-${(0xb00000 + i).toString(16)}`;
      ids.push((await engine.submit({ runId, pipeline: 'p', config, period: '2026-07', params: {} })).externalId);
    }
    return ids;
  }

  /** Polls like the poll job does, one tick at a time: every active run of the DAG, through the engines in turn, then `failures` of one that failed. */
  async function pollToTheEnd(engines: Engine[], externalIds: string[]) {
    const done = new Map<string, { status: EngineRunStatus; failures: TaskFailure[] }>();
    const ticks: { list: number; taskBatch: number; runGets: number; runTaskGets: number; logs: number; ended: number }[] = [];
    const statuses: EngineRunStatus[][] = [];
    for (let tick = 0; done.size < externalIds.length && tick < 20; tick++) {
      clock += INTERVAL;
      const before = fake.requests.length;
      const endedBefore = done.size;
      const active = externalIds.filter((id) => !done.has(id));
      statuses.push(
        await Promise.all(
          active.map(async (id, i) => {
            const engine = engines[i % engines.length]!;
            const status = await engine.poll(id, undefined, engine.pollGroup!(config));
            if (isTerminal(status.state)) done.set(id, { status, failures: await engine.failures(id, status) });
            return status;
          }),
        ),
      );
      const calls = fake.requests.slice(before);
      const count = (method: string, path: RegExp) => calls.filter((r) => r.method === method && path.test(r.path)).length;
      ticks.push({
        list: count('GET', new RegExp(`^/dags/${DAG}/dagRuns$`)),
        taskBatch: count('POST', /^\/dags\/~\/dagRuns\/~\/taskInstances\/list$/),
        runGets: count('GET', new RegExp(`^/dags/${DAG}/dagRuns/[^/]+$`)),
        runTaskGets: count('GET', new RegExp(`^/dags/${DAG}/dagRuns/[^/]+/taskInstances$`)),
        logs: count('GET', /\/logs\/\d+$/),
        ended: done.size - endedBefore,
      });
    }
    return { done, ticks, statuses };
  }

  it('polls 20 runs of one DAG with one run listing and one task-instance batch per tick, and reads each ended run on its own, shared by two workers', async () => {
    // Ends spread over ticks 3–6; every fifth run fails (its transform task, with a traceback in the log).
    const externalIds = await trigger(workerEngine(redis), 20, (i) => ({ outcome: i % 5 === 0 ? 'failed' : 'success', afterPolls: 3 + (i % 4) }));
    const { done, ticks, statuses } = await pollToTheEnd([workerEngine(redis), workerEngine(redis2)], externalIds);

    // Per run that ended: its run and its tasks (poll), and for a failed one its tasks again and the failed task's log (failures).
    const tick = (taskBatch: number, ended: number, failed: number) => ({ list: 1, taskBatch, runGets: ended, runTaskGets: ended + failed, logs: failed, ended });
    expect(ticks).toEqual([tick(1, 0, 0), tick(1, 0, 0), tick(1, 5, 1), tick(1, 5, 1), tick(1, 5, 1), tick(0, 5, 1)]);
    // Without batching every run cost a run GET and a task GET on every tick: 2 × (20+20+20+15+10+5).
    const listings = fake.requests.filter((r) => r.method === 'GET' && r.path === `/dags/${DAG}/dagRuns`);
    expect(listings.every((r) => r.query.state === 'running')).toBe(true); // the last of state=queued&state=running
    const batch = fake.requests.find((r) => r.method === 'POST' && r.path.endsWith('/taskInstances/list'))!;
    expect(batch.body).toMatchObject({ dag_ids: [DAG], dag_run_ids: externalIds.map((id) => id.split('/')[1]) });

    // Progress shows from the listing: the tasks of a running run, as a run GET would give them.
    expect(statuses[1]![0]).toMatchObject({
      state: 'running',
      tasks: [
        { key: 'extract', state: 'running' },
        { key: 'transform', state: 'pending' },
        { key: 'load', state: 'pending' },
      ],
    });
    for (const [i, id] of externalIds.entries()) {
      const { status, failures } = done.get(id)!;
      if (i % 5 === 0) {
        expect(status.state).toBe('failed');
        expect(failures).toEqual([
          { task: 'transform', error: expect.stringContaining('ValueError: negative revenue in 3 rows'), trace: expect.stringContaining('Traceback (most recent call last):'), logUrl: expect.stringContaining(`/dags/${DAG}/`) },
        ]);
      } else {
        expect(status).toMatchObject({ state: 'succeeded', endedAt: expect.any(Number), tasks: [{ state: 'succeeded' }, { state: 'succeeded' }, { state: 'succeeded' }] });
        expect(failures).toEqual([]);
      }
    }
  });

  it('keeps no conf in the listing stored in Redis, and a run cancelled by Cutover reads cancelled once it leaves the listing', async () => {
    const engine = workerEngine(redis);
    const [id] = await trigger(engine, 1, () => ({ outcome: 'success', afterPolls: 10 }));
    clock += INTERVAL;
    expect((await engine.poll(id!, undefined, DAG)).state).toBe('pending');
    const stored = await redis.get(`${prefix}-${apiVersion}:pollbatch:airflow:${DAG}`);
    expect(stored).toContain(id!.split('/')[1]);
    expect(stored).not.toContain('secret-customer-4711');
    await engine.cancel(id!);
    clock += INTERVAL;
    expect(await engine.poll(id!, undefined, DAG)).toMatchObject({ state: 'cancelled', message: 'failed: Cancelled by Cutover' });
  });

  it('pages through the DAG runs and the task instances when a DAG has more active runs than one page', async () => {
    const externalIds = await trigger(workerEngine(redis), 120, () => ({ outcome: 'success', afterPolls: 5 }));
    const before = fake.requests.length;
    clock += INTERVAL;
    const engine = workerEngine(redis);
    const statuses = await Promise.all(externalIds.map((id) => engine.poll(id, undefined, DAG)));
    const calls = fake.requests.slice(before).map((r) => `${r.method} ${r.path} ${r.query.offset ?? (r.body as { page_offset?: number } | undefined)?.page_offset ?? ''}`);
    // 120 runs: two pages of runs; their 360 task instances: 100 runs' worth in three pages (the total tells when to stop), then 20 runs' in one.
    expect(calls).toEqual([
      `GET /dags/${DAG}/dagRuns 0`,
      `GET /dags/${DAG}/dagRuns 100`,
      ...[0, 100, 200].map((o) => `POST /dags/~/dagRuns/~/taskInstances/list ${o}`),
      'POST /dags/~/dagRuns/~/taskInstances/list 0',
    ]);
    expect(statuses.every((s) => s.state === 'pending' && s.tasks.length === 3)).toBe(true);
  });

  it('an Airflow that refuses the task-instance batch (2.x before 2.7.1: no dag_run_ids) still lists runs together; each poll reads its own tasks', async () => {
    fake.failNext({ status: 400, path: 'taskInstances/list', times: 100 });
    const engine = workerEngine(redis);
    const externalIds = await trigger(engine, 3, () => ({ outcome: 'success', afterPolls: 3 }));
    const { done, ticks, statuses } = await pollToTheEnd([engine], externalIds);
    expect(ticks.map((t) => [t.list, t.taskBatch, t.runGets, t.runTaskGets])).toEqual([
      [1, 1, 0, 3], // refused once, then never asked again by this process
      [1, 0, 0, 3],
      [1, 0, 3, 3],
    ]);
    expect(statuses[1]![0]).toMatchObject({ state: 'running', tasks: [{ key: 'extract', state: 'running' }, { key: 'transform', state: 'pending' }, { key: 'load', state: 'pending' }] });
    expect([...done.values()].every((d) => d.status.state === 'succeeded')).toBe(true);
  });

  it('with batching off, every poll reads its run and its tasks', async () => {
    const engine = workerEngine(redis, false);
    expect(engine.pollGroup!(config)).toBeUndefined();
    const externalIds = await trigger(engine, 3, () => ({ outcome: 'success', afterPolls: 2 }));
    const { done, ticks } = await pollToTheEnd([engine], externalIds);
    expect([...done.values()].every((d) => d.status.state === 'succeeded')).toBe(true);
    expect(ticks.map((t) => [t.list, t.runGets, t.runTaskGets])).toEqual([
      [0, 3, 3],
      [0, 3, 3],
    ]);
  });
});
