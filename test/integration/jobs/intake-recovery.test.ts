import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseCatalog } from '../../../src/config/load-catalog.ts';
import { versionFor } from '../../../src/cutover/evaluate-plan.ts';
import { loadPlan } from '../../../src/cutover/load-plan.ts';
import { executeCutoverStep } from '../../../src/jobs/execute-cutover-step.ts';
import { IntakeConsumer } from '../../../src/jobs/intake.ts';
import type { JobDeps } from '../../../src/jobs/job-deps.ts';
import { Queues } from '../../../src/jobs/queues.ts';
import { recoverWork } from '../../../src/jobs/recover-work.ts';
import { createLogger } from '../../../src/logger.ts';
import { newRunRecord } from '../../../src/commands/new-run-record.ts';
import { CutoverExecStore } from '../../../src/store/cutover-exec-store.ts';
import { CutoverStore } from '../../../src/store/cutover-store.ts';
import { DqAlertStore } from '../../../src/store/dq-alert-store.ts';
import { ParallelStore } from '../../../src/store/parallel-store.ts';
import { deleteKeysUnder, keyspace } from '../../../src/store/redis.ts';
import { RunStore } from '../../../src/store/run-store.ts';
import { StageStore } from '../../../src/store/stage-store.ts';
import { deletePrefix, REDIS_URL, testRedis, uniquePrefix } from '../../helpers/redis.ts';

/**
 * Issue 14, findings 4 and 6: work recorded in Redis always gets its job, whatever dies and
 * whenever. The intake stream carries an approved step's execution in the approval's own write,
 * a lost consumer group is created again, and start-up enqueues the jobs of unfinished work.
 */
const catalog = parseCatalog(`
pipelines:
  go-live:
    channel: C0GO
    stage: parallel
    target: { engine: databricks, jobId: 9, jobParameters: { period: "{{period}}" } }
    cutover:
      approvers: { users: [U0BOB, U0CAROL], min: 2 }
      steps:
        - id: switch
          actions: [{ stage: cutover }, { stage: live }]
`);
const redis = testRedis();
const queueConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const prefix = uniquePrefix('intake');
const keys = keyspace(prefix);
const logger = createLogger({ level: 'silent' });
const queues = new Queues(queueConnection, keys.bullPrefix);
const deps = {
  catalog,
  redis,
  keys,
  queues,
  logger,
  now: Date.now,
  runs: new RunStore(redis, keys),
  cutover: new CutoverStore(redis, keys),
  cutoverExec: new CutoverExecStore(redis, keys),
  parallels: new ParallelStore(redis, keys),
  dqAlerts: new DqAlertStore(redis, keys),
  stages: new StageStore(redis, keys, catalog),
  pollIntervalMs: 60_000,
} as unknown as JobDeps;
const consumers: IntakeConsumer[] = [];
const connections: Redis[] = [];

/** A worker's intake consumer, as a (re)started worker process runs it. */
async function startIntake(onGroupLost?: () => Promise<unknown>): Promise<IntakeConsumer> {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  connections.push(connection);
  const consumer = new IntakeConsumer({ redis: connection, keys, queues, logger, consumer: `test-${consumers.length}`, onGroupLost });
  consumers.push(consumer);
  await consumer.start();
  return consumer;
}

async function jobEventually(id: string, timeoutMs = 10_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await queues.engine.getJob(id);
    if (job) return job;
    if (Date.now() > deadline) throw new Error(`no job ${id} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.stop()));
  for (const c of connections.splice(0)) c.disconnect();
});

afterAll(async () => {
  await queues.close();
  await deletePrefix(redis, prefix);
  redis.disconnect();
  queueConnection.disconnect();
});

async function approvedRequest(): Promise<string> {
  await redis.del(keys.cutoverStep('go-live', 'switch')); // each test starts from a ready step
  const step = (await loadPlan(deps, 'go-live')).steps[0]!;
  const created = await deps.cutover.createRequest({ pipeline: 'go-live', step: 'switch', kind: 'execute', requestedBy: 'U0ALICE', planVersion: versionFor(step, 'execute'), min: 2, ttlHours: 1, actions: step.config.actions });
  if (created.outcome !== 'created') throw new Error(`request not created: ${created.outcome}`);
  expect((await deps.cutover.approve(created.request.id, 'U0BOB', 'bob', versionFor(step, 'execute'))).outcome).toBe('counted');
  expect((await deps.cutover.approve(created.request.id, 'U0CAROL', 'carol', versionFor(step, 'execute'))).outcome).toBe('approved');
  return created.request.id;
}

describe('intake and recovery', () => {
  it('finding 4: an approval that reaches min is executed even if the process dies before the enqueue', async () => {
    // The approving process wrote the approval and died: nothing else ran. A worker starts.
    const requestId = await approvedRequest();
    expect(await queues.engine.getJob(`cexec-${requestId}`)).toBeUndefined();
    await startIntake();
    const job = await jobEventually(`cexec-${requestId}`);
    await executeCutoverStep(deps, job as Job<{ requestId: string }>);
    expect(await deps.cutover.getStep('go-live', 'switch')).toMatchObject({ state: 'done', requestId });
    expect(await deps.stages.get('go-live')).toBe('live');
    expect(await redis.xlen(keys.intake)).toBe(0);
  });

  it('finding 6: the intake creates its consumer group again when Redis lost it, so runs recorded after the loss start', async () => {
    const pipeline = catalog.pipelines['go-live']!;
    const now = Date.now();
    const make = (period: string) => newRunRecord({ pipelineName: 'go-live', pipeline, side: 'target', period, params: {}, env: 'dev', requestedBy: 'U0ALICE', now });
    const earlier = make('2026-01');
    await deps.runs.create(earlier, { actor: 'U0ALICE', action: 'run.created' });
    await deps.runs.update(earlier.id, (r) => ({ ...r, state: 'pending', externalId: '123' }), { actor: 'cutover', action: 'run.submitted' });
    let recovered = 0;
    await startIntake(async () => {
      recovered++;
      return recoverWork(deps);
    });
    // Redis loses the intake stream, its group and every queued job (a failover to a replica without them).
    await deleteKeysUnder(redis, keys.bullPrefix);
    await redis.del(keys.intake);
    await new Promise((r) => setTimeout(r, 1200)); // the consumer meets the missing group
    const later = make('2026-02');
    await deps.runs.create(later, { actor: 'U0ALICE', action: 'run.created' });
    expect((await jobEventually(`submit-${later.id}`)).data).toMatchObject({ runId: later.id });
    // The run that was being polled before the loss is polled again.
    expect((await jobEventually(`poll-${earlier.id}-0`)).data).toMatchObject({ runId: earlier.id, epoch: 0 });
    expect(recovered).toBeGreaterThanOrEqual(1);
  });

  it('finding 6: start-up enqueues again the poll or submit of every unfinished run and the execution of every approved step', async () => {
    const pipeline = catalog.pipelines['go-live']!;
    const now = Date.now();
    const make = (period: string) => newRunRecord({ pipelineName: 'go-live', pipeline, side: 'target', period, params: {}, env: 'dev', requestedBy: 'U0ALICE', now });
    const [queued, polled, ended] = [make('2025-01'), make('2025-02'), make('2025-03')];
    for (const run of [queued, polled, ended]) await deps.runs.create(run, { actor: 'U0ALICE', action: 'run.created' });
    await deps.runs.update(polled.id, (r) => ({ ...r, state: 'running', externalId: '77', repairs: 1 }), { actor: 'cutover', action: 'run.state' });
    await deps.runs.update(ended.id, (r) => ({ ...r, state: 'succeeded', externalId: '78' }), { actor: 'cutover', action: 'run.state' });
    await redis.del(keys.intake);
    await deleteKeysUnder(redis, keys.bullPrefix);
    const requestId = await approvedRequest();
    await redis.del(keys.intake);

    await recoverWork(deps);
    expect(await queues.engine.getJob(`submit-${queued.id}`)).toBeDefined();
    expect((await queues.engine.getJob(`poll-${polled.id}-1`))?.data).toMatchObject({ runId: polled.id, epoch: 1 });
    expect(await queues.engine.getJob(`poll-${ended.id}-0`)).toBeUndefined();
    expect(await queues.engine.getJob(`submit-${ended.id}`)).toBeUndefined();
    expect(await queues.engine.getJob(`cexec-${requestId}`)).toBeDefined();
    expect(await deps.runs.activeIds()).not.toContain(ended.id);
  });

  it('findings 7 and 14: start-up enqueues again the job of a recorded Repair click and of a recorded cancel whose jobs were lost', async () => {
    const pipeline = catalog.pipelines['go-live']!;
    const now = Date.now();
    const make = (period: string) => newRunRecord({ pipelineName: 'go-live', pipeline, side: 'target', period, params: {}, env: 'dev', requestedBy: 'U0ALICE', now });
    const [failed, running] = [make('2024-01'), make('2024-02')];
    for (const run of [failed, running]) await deps.runs.create(run, { actor: 'U0ALICE', action: 'run.created' });
    // A Repair click recorded on a failed run (its 3rd request), and a cancel recorded on a running one; then the process died.
    await deps.runs.update(failed.id, (r) => ({ ...r, state: 'failed', externalId: '91', repairRequest: { n: 3, by: 'U0BOB', at: now }, repairRequests: 3 }), { actor: 'U0BOB', action: 'run.repair-requested' });
    await deps.runs.update(running.id, (r) => ({ ...r, state: 'running', externalId: '92', cancelRequest: { by: 'U0CAROL', at: now } }), { actor: 'U0CAROL', action: 'run.cancel-requested' });
    await deleteKeysUnder(redis, keys.bullPrefix);

    await recoverWork(deps);
    // A failed run with an open request is still active work: its repair job comes back under its request's number.
    expect(await deps.runs.activeIds()).toContain(failed.id);
    expect((await queues.engine.getJob(`repair-${failed.id}-req3`))?.data).toMatchObject({ runId: failed.id, by: 'U0BOB', request: 3 });
    expect((await queues.engine.getJob(`cancel-${running.id}-${now}`))?.data).toMatchObject({ runId: running.id, by: 'U0CAROL' });
    expect(await queues.engine.getJob(`poll-${running.id}-0`)).toBeDefined();
  });
});
