import { EMRClient } from '@aws-sdk/client-emr';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LegacyEngineConfig } from '../../../src/config/catalog-schema.ts';
import { createEmrEngine } from '../../../src/engines/emr/index.ts';
import { emrStepListing } from '../../../src/engines/emr/step-listing.ts';
import { isTerminal, type Engine, type EngineRunStatus, type TaskFailure } from '../../../src/engines/types.ts';
import { FakeEmr } from '../../fakes/emr-server.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';

const CLUSTER = 'j-BATCH17';
const INTERVAL = 15_000;
const config = (name: string): LegacyEngineConfig => ({
  engine: 'emr',
  clusterId: CLUSTER,
  // A step's command line may carry values: it must never reach the listing stored in Redis.
  step: { name, args: ['spark-submit', 's3://jobs/incites.py', '--customer', 'secret-customer-4711'] },
});

let fake: FakeEmr;
const redis = testRedis();
const redis2 = testRedis();
const prefix = uniquePrefix('emr-batch');
let clock = 1_000_000;
const client = () =>
  new EMRClient({ endpoint: fake.url, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDFAKEFAKEFAKE', secretAccessKey: 'fake-secret' }, maxAttempts: 1 });

beforeAll(async () => {
  fake = await FakeEmr.start();
});
afterEach(() => fake.reset());
afterAll(async () => {
  await fake.close();
  await deletePrefix(redis, prefix);
  redis.disconnect();
  redis2.disconnect();
});

/** An engine as one worker process builds it: its own Redis connection and SDK client, the shared prefix and clock. */
const workerEngine = (conn: typeof redis, batching = true): Engine => {
  const c = client();
  return createEmrEngine({ client: c, listing: batching ? emrStepListing({ redis: conn, prefix, client: c, freshMs: INTERVAL / 2, now: () => clock }) : undefined });
};

/** Adds steps named s0…s<n-1> through the engine, the i-th scripted by `script(i)`; their external ids. */
async function addSteps(engine: Engine, n: number, script: (i: number) => Parameters<FakeEmr['script']>[1]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    fake.script(`s${i}`, script(i));
    const runId = `r-batch${i.toString(36)}-${(0xa00000 + i).toString(16)}`;
    ids.push((await engine.submit({ runId, pipeline: 'p', config: config(`s${i}`), period: '2026-07', params: {} })).externalId);
  }
  return ids;
}

/**
 * Polls like the poll job does, one tick at a time (src/jobs/poll-run.ts): every active step of
 * the cluster on the same tick, each through one of `engines` in turn, then `failures` for one
 * that failed. Returns each step's final status and failures, and the EMR calls of every tick.
 */
async function pollToTheEnd(engines: Engine[], externalIds: string[]) {
  const done = new Map<string, { status: EngineRunStatus; failures: TaskFailure[] }>();
  const ticks: { ListSteps: number; DescribeStep: number; ended: number }[] = [];
  for (let tick = 0; done.size < externalIds.length && tick < 20; tick++) {
    clock += INTERVAL;
    const before = fake.requests.length;
    const endedBefore = done.size;
    const active = externalIds.filter((id) => !done.has(id));
    await Promise.all(
      active.map(async (id, i) => {
        const engine = engines[i % engines.length]!;
        const status = await engine.poll(id, undefined, engine.pollGroup!(config('x')));
        if (isTerminal(status.state)) done.set(id, { status, failures: await engine.failures(id, status) });
      }),
    );
    const calls = fake.requests.slice(before);
    const count = (op: string) => calls.filter((r) => r.operation === op).length;
    ticks.push({ ListSteps: count('ListSteps'), DescribeStep: count('DescribeStep'), ended: done.size - endedBefore });
  }
  return { done, ticks };
}

describe('batched polling of EMR steps (issue 17)', () => {
  it('polls 20 steps of one cluster with one ListSteps per tick and one DescribeStep per step that ended, shared by two workers', async () => {
    // Ends spread over ticks 3–6; every fifth step fails with its own FailureDetails.
    const externalIds = await addSteps(workerEngine(redis), 20, (i) =>
      i % 5 === 0
        ? { outcome: 'fail', afterPolls: 3 + (i % 4), failure: { Reason: `Spark job s${i} failed`, Message: `java.io.FileNotFoundException: s3://in/s${i}\n\tat org.apache.Spark.run(Spark.java:1)`, LogFile: `s3://logs/${CLUSTER}/s${i}/stderr.gz` } }
        : { outcome: 'succeed', afterPolls: 3 + (i % 4) },
    );
    const before = fake.requests.length;
    const { done, ticks } = await pollToTheEnd([workerEngine(redis), workerEngine(redis2)], externalIds);

    const tick = (ended: number) => ({ ListSteps: 1, DescribeStep: ended, ended });
    expect(ticks).toEqual([tick(0), tick(0), tick(5), tick(5), tick(5), tick(5)]);
    // Without batching this was 20 + 20 + 20 + 15 + 10 + 5 DescribeSteps (plus one more per failed step).
    expect(fake.calls('DescribeStep')).toHaveLength(20);
    const listings = fake.requests.slice(before).filter((r) => r.operation === 'ListSteps');
    expect(listings.every((r) => r.body.ClusterId === CLUSTER && JSON.stringify(r.body.StepStates) === '["PENDING","CANCEL_PENDING","RUNNING"]')).toBe(true);

    for (const [i, id] of externalIds.entries()) {
      const { status, failures } = done.get(id)!;
      if (i % 5 === 0) {
        expect(status.state).toBe('failed');
        expect(failures).toEqual([
          {
            task: expect.stringMatching(new RegExp(`-s${i}$`)),
            error: `Spark job s${i} failed: java.io.FileNotFoundException: s3://in/s${i}`,
            trace: `java.io.FileNotFoundException: s3://in/s${i}\n\tat org.apache.Spark.run(Spark.java:1)`,
            logUrl: `s3://logs/${CLUSTER}/s${i}/stderr.gz`,
          },
        ]);
      } else {
        expect(status).toMatchObject({ state: 'succeeded', endedAt: expect.any(Number) });
        expect(failures).toEqual([]);
      }
    }
  });

  it('shows a listed step as pending, then running with its start time, from the listing alone; Redis holds no step arguments', async () => {
    const [id] = await addSteps(workerEngine(redis), 1, () => ({ outcome: 'succeed', afterPolls: 4 }));
    const engine = workerEngine(redis);
    const states: EngineRunStatus[] = [];
    for (let tick = 0; tick < 2; tick++) {
      clock += INTERVAL;
      states.push(await engine.poll(id!, undefined, CLUSTER));
    }
    expect(states.map((s) => s.state)).toEqual(['pending', 'running']);
    expect(states[1]!.startedAt).toEqual(expect.any(Number));
    expect(states[1]!.tasks).toEqual([expect.objectContaining({ key: expect.stringMatching(/-s0$/), state: 'running', runId: id!.split('/')[1] })]);
    expect(fake.calls('DescribeStep')).toHaveLength(0);
    const stored = await redis.get(`${prefix}:pollbatch:emr:${CLUSTER}`);
    expect(stored).toContain(id!.split('/')[1]);
    expect(stored).not.toContain('secret-customer-4711');
  });

  it('pages through ListSteps with Marker when a cluster has more active steps than one page', async () => {
    const externalIds = await addSteps(workerEngine(redis), 60, () => ({ outcome: 'succeed', afterPolls: 5 }));
    const before = fake.requests.length;
    clock += INTERVAL;
    const engine = workerEngine(redis);
    const statuses = await Promise.all(externalIds.map((id) => engine.poll(id, undefined, CLUSTER)));
    const calls = fake.requests.slice(before);
    expect(calls.map((r) => r.operation)).toEqual(['ListSteps', 'ListSteps']);
    expect(calls[0]!.body.Marker).toBeUndefined();
    expect(calls[1]!.body.Marker).toEqual(expect.any(String));
    expect(statuses.every((s) => s.state === 'pending')).toBe(true);
  });

  it('with batching off, every poll is its own DescribeStep', async () => {
    const externalIds = await addSteps(workerEngine(redis, false), 5, () => ({ outcome: 'succeed', afterPolls: 2 }));
    const engine = workerEngine(redis, false);
    expect(engine.pollGroup!(config('x'))).toBeUndefined();
    const { done } = await pollToTheEnd([engine], externalIds);
    expect([...done.values()].every((d) => d.status.state === 'succeeded')).toBe(true);
    expect(fake.calls('DescribeStep')).toHaveLength(10);
    expect(fake.calls('ListSteps').filter((r) => r.body.StepStates)).toHaveLength(0);
  });
});
