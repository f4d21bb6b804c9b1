import type { Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../../../src/config/catalog-schema.ts';
import { parseCatalog } from '../../../src/config/load-catalog.ts';
import { versionFor } from '../../../src/cutover/evaluate-plan.ts';
import { loadPlan } from '../../../src/cutover/load-plan.ts';
import { executeCutoverStep } from '../../../src/jobs/execute-cutover-step.ts';
import type { JobDeps } from '../../../src/jobs/job-deps.ts';
import { Queues } from '../../../src/jobs/queues.ts';
import { createLogger } from '../../../src/logger.ts';
import { CutoverExecStore } from '../../../src/store/cutover-exec-store.ts';
import { CutoverStore } from '../../../src/store/cutover-store.ts';
import { DqAlertStore } from '../../../src/store/dq-alert-store.ts';
import { ParallelStore } from '../../../src/store/parallel-store.ts';
import { keyspace } from '../../../src/store/redis.ts';
import { StageStore } from '../../../src/store/stage-store.ts';
import { deletePrefix, REDIS_URL, testRedis, uniquePrefix } from '../../helpers/redis.ts';

/**
 * Issue 14, finding 5: an approved request runs the actions the approvers saw (the request's
 * snapshot), checks the plan version before each one, and resumes by position in the snapshot.
 */
const catalogWith = (actions: string, approvers = '[U0BOB, U0CAROL]') =>
  parseCatalog(`
pipelines:
  go-live:
    channel: C0GO
    stage: parallel
    target: { engine: databricks, jobId: 9 }
    cutover:
      approvers: { users: ${approvers}, min: 1 }
      steps:
        - id: switch
          actions: ${actions}
          rollback: [{ stage: parallel }]
`);
const APPROVED = catalogWith('[{ stage: cutover }, { stage: live }]');

const redis = testRedis();
const queueConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const prefix = uniquePrefix('cexec');
const keys = keyspace(prefix);
const queues = new Queues(queueConnection, keys.bullPrefix);
const cutover = new CutoverStore(redis, keys);
const cutoverExec = new CutoverExecStore(redis, keys);

function depsFor(catalog: Catalog): JobDeps {
  return {
    catalog, redis, keys, queues, cutover, cutoverExec, logger: createLogger({ level: 'silent' }), now: Date.now,
    parallels: new ParallelStore(redis, keys), dqAlerts: new DqAlertStore(redis, keys), stages: new StageStore(redis, keys, catalog),
  } as unknown as JobDeps;
}

afterAll(async () => {
  await queues.close();
  await deletePrefix(redis, prefix);
  redis.disconnect();
  queueConnection.disconnect();
});

/** A request for `switch` made and approved under APPROVED's plan. */
async function approved(): Promise<string> {
  await redis.del(keys.cutoverStep('go-live', 'switch'), keys.stage('go-live'));
  const deps = depsFor(APPROVED);
  const step = (await loadPlan(deps, 'go-live')).steps[0]!;
  const version = versionFor(step, 'execute');
  const created = await cutover.createRequest({ pipeline: 'go-live', step: 'switch', kind: 'execute', requestedBy: 'U0ALICE', planVersion: version, min: 1, ttlHours: 1, actions: step.config.actions });
  if (created.outcome !== 'created') throw new Error(created.outcome);
  expect((await cutover.approve(created.request.id, 'U0BOB', 'bob', version)).outcome).toBe('approved');
  return created.request.id;
}

const execute = (catalog: Catalog, requestId: string) => executeCutoverStep(depsFor(catalog), { data: { requestId } } as Job<{ requestId: string }>);
const stageChanges = async () => (await redis.xrange(keys.audit('go-live'), '-', '+')).map(([, f]) => JSON.parse(f[1]!) as { action: string; after?: unknown }).filter((e) => e.action === 'pipeline.stage');

describe('executing an approved cutover step', () => {
  it('finding 5: actions changed in the catalog after the approval are never run; the step fails saying the plan changed', async () => {
    const id = await approved();
    // The catalog is edited (and the bot restarted) between the approval and the execution.
    await expect(execute(catalogWith('[{ stage: legacy }]'), id)).rejects.toThrow(/changed after it was approved/);
    expect(await redis.get(keys.stage('go-live'))).toBeNull(); // neither the new action nor the approved ones ran
    const step = await cutover.getStep('go-live', 'switch');
    expect(step).toMatchObject({ state: 'failed', requestId: id, lastError: { code: 'invalid_state' } });
    expect(step?.lastError?.message).toMatch(/before action 1 of 2 \(nothing ran\)/);
  });

  it('finding 5: a resumed execution checks the plan before each action and stops when it changed since the approval', async () => {
    const id = await approved();
    // A crash after the first action: the step is executing, one action recorded as done.
    await cutover.setStepState('go-live', 'switch', ['approved'], 'executing', { actor: 'cutover' });
    await cutoverExec.save({ requestId: id, state: 'executing', lines: [{ status: 'done', text: 'stage parallel → cutover' }], done: 1, version: 0 });
    await redis.set(keys.stage('go-live'), 'cutover');
    // Restarted with other approvers: the approval was for another plan, so the rest must not run.
    await expect(execute(catalogWith('[{ stage: cutover }, { stage: live }]', '[U0DAVE]'), id)).rejects.toThrow(/stopped before action 2 of 2 \(the 1 before it ran\)/);
    expect(await redis.get(keys.stage('go-live'))).toBe('cutover');
    expect(await cutover.getStep('go-live', 'switch')).toMatchObject({ state: 'failed' });
  });

  it('a resumed execution under the approved plan continues by position in the snapshot: each action runs once', async () => {
    const id = await approved();
    await cutover.setStepState('go-live', 'switch', ['approved'], 'executing', { actor: 'cutover' });
    await cutoverExec.save({ requestId: id, state: 'executing', lines: [{ status: 'done', text: 'stage parallel → cutover' }], done: 1, version: 0 });
    await redis.set(keys.stage('go-live'), 'cutover');
    const before = (await stageChanges()).length;
    await execute(APPROVED, id);
    expect(await redis.get(keys.stage('go-live'))).toBe('live');
    expect(await cutover.getStep('go-live', 'switch')).toMatchObject({ state: 'done' });
    expect((await stageChanges()).length - before).toBe(1); // only the second action ran
    expect((await cutoverExec.get(id))?.lines.map((l) => l.status)).toEqual(['done', 'done']);
  });
});
