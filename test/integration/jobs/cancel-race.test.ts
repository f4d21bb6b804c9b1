import type { WebClient } from '@slack/web-api';
import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelCommand } from '../../../src/commands/cancel.ts';
import type { CommandDeps } from '../../../src/commands/command-deps.ts';
import { newRunRecord } from '../../../src/commands/new-run-record.ts';
import { parseCatalog } from '../../../src/config/load-catalog.ts';
import { createDatabricksEngine, DatabricksClient } from '../../../src/engines/databricks/index.ts';
import { Permissions } from '../../../src/handlers/permissions.ts';
import { cancelRun } from '../../../src/jobs/cancel-run.ts';
import type { JobDeps } from '../../../src/jobs/job-deps.ts';
import { Queues } from '../../../src/jobs/queues.ts';
import { submitRun } from '../../../src/jobs/submit-run.ts';
import { createLogger } from '../../../src/logger.ts';
import { createCatalogSampleProtector } from '../../../src/pii/index.ts';
import { AuditLog } from '../../../src/store/audit-log.ts';
import { keyspace } from '../../../src/store/redis.ts';
import { RunStore } from '../../../src/store/run-store.ts';
import { FakeDatabricks } from '../../fakes/databricks-server.ts';
import { startRedisGate, type RedisGate } from '../../helpers/redis-gate.ts';
import { deletePrefix, REDIS_URL, testRedis, uniquePrefix } from '../../helpers/redis.ts';

/**
 * Issue 14, finding 7: a cancel that races a submit is never dropped after the user was told
 * "Cancelling". The cancel is recorded on the run before its job exists, so whichever job
 * reaches the run first, the engine run (if one was started) is cancelled. The Redis gate stops
 * one job between its read and its write, so each race is lost on purpose, every time.
 */
const catalog = parseCatalog(`
pipelines:
  nightly:
    channel: C0NIGHT
    stage: parallel
    target: { engine: databricks, jobId: 42, jobParameters: { period: "{{period}}" } }
`);
const databricks = new FakeDatabricks({ tokens: ['dapi-race'], pollsPerStep: 0 });
const redis = testRedis();
const queueConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const prefix = uniquePrefix('cancel-race');
const keys = keyspace(prefix);
const logger = createLogger({ level: 'silent' });
const queues = new Queues(queueConnection, keys.bullPrefix);
let gate: RedisGate;
let gated: Redis;
let deps: JobDeps & CommandDeps;
let gatedDeps: JobDeps;

beforeAll(async () => {
  const host = await databricks.start();
  databricks.addJob({ jobId: 42, tasks: ['load'] });
  gate = await startRedisGate();
  gated = new Redis(gate.url, { maxRetriesPerRequest: 3 });
  const engines = { databricks: createDatabricksEngine(new DatabricksClient({ host, auth: { token: 'dapi-race' } })) };
  const common = {
    catalog,
    keys,
    queues,
    logger,
    engines,
    protect: createCatalogSampleProtector(catalog, undefined),
    audit: new AuditLog(redis, keys),
    permissions: new Permissions({ catalog, slack: {} as WebClient }),
    pollIntervalMs: 60_000,
    now: Date.now,
  };
  deps = { ...common, redis, runs: new RunStore(redis, keys) } as unknown as JobDeps & CommandDeps;
  gatedDeps = { ...common, redis: gated, runs: new RunStore(gated, keys) } as unknown as JobDeps;
});

afterAll(async () => {
  await queues.close();
  gated.disconnect();
  await gate.close();
  await databricks.stop();
  await deletePrefix(redis, prefix);
  redis.disconnect();
  queueConnection.disconnect();
});

const job = <T>(data: T) => ({ id: 'test', data, attemptsMade: 0, opts: { attempts: 2000 } }) as unknown as Job<T>;

async function queuedRun(period: string) {
  const run = newRunRecord({ pipelineName: 'nightly', pipeline: catalog.pipelines.nightly!, side: 'target', period, params: {}, env: 'dev', requestedBy: 'U0ALICE', now: Date.now() });
  await deps.runs.create(run, { actor: 'U0ALICE', action: 'run.created' });
  return run;
}

/** Engine runs Databricks has that are still live and were never asked to cancel. */
function leftRunning(): string[] {
  const cancelled = new Set(databricks.calls('/api/2.1/jobs/runs/cancel').map((c) => String((c.body as { run_id: number }).run_id)));
  const runs = databricks.state().runs as Array<{ run_id: number; state: { life_cycle_state: string } }>;
  return runs.filter((r) => r.state.life_cycle_state !== 'TERMINATED' && !cancelled.has(String(r.run_id))).map((r) => String(r.run_id));
}

describe('a cancel racing a submit', () => {
  it('finding 7: a cancel job that read the run as queued and lost its write to the submit job still cancels it', async () => {
    const run = await queuedRun('2026-03');
    const answer = await cancelCommand({ cmd: 'cancel', runId: run.id }, { userId: 'U0BOB', channelId: 'C0NIGHT' }, deps);
    expect(answer.text).toMatch(/Cancelling/);

    // The cancel job reads `queued` and is stopped just before its write.
    const stop = gate.stopAtScript(1);
    const cancelling = cancelRun(gatedDeps, job({ runId: run.id, by: 'U0BOB' }));
    await stop.reached;
    // Meanwhile the submit job runs.
    await submitRun(deps, job({ runId: run.id }));
    stop.release();
    await cancelling;

    expect(leftRunning()).toEqual([]);
    const after = await deps.runs.require(run.id);
    expect(after.cancelRequest).toMatchObject({ by: 'U0BOB' });
    expect(after.state).toBe('cancelled');
  });

  it('finding 7: a cancel while the engine call of the submit is in flight cancels the engine run the submit started', async () => {
    const run = await queuedRun('2026-04');
    // The submit job has called run-now and is stopped before it records the engine's id.
    const stop = gate.stopAtScript(2);
    const submitting = submitRun(gatedDeps, job({ runId: run.id }));
    await stop.reached;
    const started = databricks.calls('/api/2.1/jobs/run-now').filter((c) => JSON.stringify(c.body).includes(`cutover-${run.id}`));
    expect(started).toHaveLength(1);

    const answer = await cancelCommand({ cmd: 'cancel', runId: run.id }, { userId: 'U0BOB', channelId: 'C0NIGHT' }, deps);
    expect(answer.text).toMatch(/Cancelling/);
    // The cancel job finds no engine id yet: it leaves the cancel to the submit job instead of retrying for half an hour.
    await cancelRun(deps, job({ runId: run.id, by: 'U0BOB' }));
    stop.release();
    await submitting;

    const after = await deps.runs.require(run.id);
    expect(after.externalId).toBeDefined();
    const cancels = databricks.calls('/api/2.1/jobs/runs/cancel').map((c) => String((c.body as { run_id: number }).run_id));
    expect(cancels).toContain(after.externalId);
    expect(leftRunning()).toEqual([]);
  });
});
