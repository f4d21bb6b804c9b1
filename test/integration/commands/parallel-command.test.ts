import { WebClient } from '@slack/web-api';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandDeps } from '../../../src/commands/command-deps.ts';
import { parallelCommand } from '../../../src/commands/parallel.ts';
import { parseCatalog } from '../../../src/config/load-catalog.ts';
import { Permissions } from '../../../src/handlers/permissions.ts';
import { Queues } from '../../../src/jobs/queues.ts';
import { createLogger } from '../../../src/logger.ts';
import type { ParallelRecord } from '../../../src/store/parallel-record.ts';
import { ParallelStore } from '../../../src/store/parallel-store.ts';
import { keyspace } from '../../../src/store/redis.ts';
import type { RunRecord } from '../../../src/store/run-record.ts';
import { RunStore } from '../../../src/store/run-store.ts';
import { startRedisGate } from '../../helpers/redis-gate.ts';
import { deletePrefix, REDIS_URL, testRedis, uniquePrefix } from '../../helpers/redis.ts';

/**
 * Issue 14, finding 13: `/pipeline parallel` records the parallel run, its two runs, their audit
 * events and intake entries all at once or not at all. The command's process is cut off from
 * Redis (as if killed) before each of its script calls in turn.
 */
const catalog = parseCatalog(`
pipelines:
  twin:
    channel: C0TWIN
    stage: parallel
    legacy: { engine: emr, clusterId: j-TWIN, step: { name: twin, args: [spark-submit, s3://jobs/t.py] } }
    target: { engine: databricks, jobId: 4 }
`);
const redis = testRedis();
const queueConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const prefix = uniquePrefix('parallel-cmd');
const keys = keyspace(prefix);
const queues = new Queues(queueConnection, keys.bullPrefix);
const ARGS = { cmd: 'parallel', pipeline: 'twin', period: '2026-03' } as const;
const WHO = { userId: 'U0ALICE', userName: 'alice', channelId: 'C0TWIN' };

function depsOn(connection: Redis): CommandDeps {
  return {
    catalog,
    runs: new RunStore(connection, keys),
    parallels: new ParallelStore(connection, keys),
    queues,
    permissions: new Permissions({ catalog, slack: new WebClient('xoxb-unused') }),
    logger: createLogger({ level: 'silent' }),
    now: Date.now,
  } as unknown as CommandDeps;
}

afterAll(async () => {
  await queues.close();
  await deletePrefix(redis, prefix);
  redis.disconnect();
  queueConnection.disconnect();
});

/** What Redis holds of every parallel run of `twin`: the record, its runs, and their audit and intake entries. */
async function recorded() {
  const ids = await redis.zrange(keys.parallelsByPipeline('twin'), '0', '-1');
  const parallels = (await Promise.all(ids.map((id) => redis.get(keys.parallel(id))))).map((j) => JSON.parse(j!) as ParallelRecord);
  const runIds = await redis.zrange(keys.runsByPipeline('twin'), '0', '-1');
  const runs = (await Promise.all(runIds.map((id) => redis.get(keys.run(id))))).flatMap((j) => (j ? [JSON.parse(j) as RunRecord] : []));
  const audit = (await redis.xrange(keys.audit('twin'), '-', '+')).map(([, f]) => JSON.parse(f[1]!) as { action: string; subject: string });
  const intake = (await redis.xrange(keys.intake, '-', '+')).map(([, f]) => `${f[0]}:${f[1]}`);
  return { parallels, runs, audit, intake };
}

describe('/pipeline parallel', () => {
  it('finding 13: a process killed before any of its writes leaves the parallel run and both runs recorded and started, or nothing', async () => {
    // Warm the script cache, so each write is one EVALSHA the gate can count.
    expect((await parallelCommand(ARGS, WHO, depsOn(redis))).text).toMatch(/Parallel run `p-/);
    const killedAt: number[] = [];
    for (let cut = 1; cut <= 3; cut++) {
      const gate = await startRedisGate();
      const connection = new Redis(gate.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, autoResendUnfulfilledCommands: false, retryStrategy: () => null, lazyConnect: true });
      connection.on('error', () => undefined); // the cut connection
      // Connected before the command starts: without an offline queue, a command sent while
      // connecting fails at once and the process would never reach the write under test.
      await connection.connect();
      const before = await recorded();
      const stop = gate.stopAtScript(cut);
      const reply = parallelCommand(ARGS, WHO, depsOn(connection)).catch((err: unknown) => err);
      if (await Promise.race([stop.reached.then(() => true), reply.then(() => false)])) killedAt.push(cut);
      stop.drop(); // killed here: this write and everything after it never reach Redis
      await reply;
      connection.disconnect();
      await gate.close();

      const after = await recorded();
      const added = after.parallels.filter((p) => !before.parallels.some((b) => b.id === p.id));
      const addedRuns = after.runs.filter((r) => !before.runs.some((b) => b.id === r.id));
      // All or nothing: a parallel run is never recorded without both of its runs, or the other way round.
      expect(addedRuns).toHaveLength(added.length * 2);
      for (const p of added) {
        expect(p).toMatchObject({ kind: 'parallel', state: 'running' });
        for (const runId of [p.legacyRunId!, p.targetRunId!]) {
          expect(addedRuns.find((r) => r.id === runId)).toMatchObject({ parallelId: p.id, state: 'queued' });
          expect(after.intake).toContain(`run:${runId}`);
          expect(after.audit.filter((e) => e.action === 'run.created' && e.subject === runId)).toHaveLength(1);
        }
        expect(after.intake).toContain(`parallel:${p.id}`);
        expect(after.audit.filter((e) => e.action === 'parallel.created' && e.subject === p.id)).toHaveLength(1);
      }
    }
    // The process really was killed at its first write (and, had the command made more than one
    // write, at each later one too): the loop above did not pass by never cutting anything.
    expect(killedAt).toContain(1);
  });
});
