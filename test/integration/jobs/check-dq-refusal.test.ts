import { UnrecoverableError, type Job } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { newRunRecord } from '../../../src/commands/new-run-record.ts';
import { parseCatalog } from '../../../src/config/load-catalog.ts';
import { checkDq, type CheckDqJob } from '../../../src/jobs/check-dq.ts';
import type { JobDeps } from '../../../src/jobs/job-deps.ts';
import { keyspace } from '../../../src/store/redis.ts';
import { RunStore } from '../../../src/store/run-store.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';

/**
 * A DQ job whose run's values cannot render the output's path (the catalog changed under the run:
 * at the command such a value is refused) fails once, as every job fails what is not retryable,
 * instead of being retried for days with nobody told. Real Redis, the real run store.
 */
const catalogOf = (target: string) =>
  parseCatalog(`
pipelines:
  orders:
    channel: C0DQ
    target: { engine: databricks, jobId: 1 }
    params: { region: {} }
    outputs:
      - name: orders
        key: [id]
        legacy: { path: "/data/legacy/orders/" }
        target: { path: "${target}" }
        checks: [{ not_null: [id] }]
`);
const redis = testRedis();
const prefix = uniquePrefix('dq-refusal');
const keys = keyspace(prefix);

afterAll(async () => {
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

describe('checkDq', () => {
  it('fails for good (UnrecoverableError naming the path) when the run\'s values take the output path out of its folder', async () => {
    const runs = new RunStore(redis, keys);
    // Started while the path did not use the param, so `..` was a legal value then.
    const before = catalogOf('/data/out/orders/');
    const run = newRunRecord({ pipelineName: 'orders', pipeline: before.pipelines.orders!, side: 'target', period: '2026-01', params: { region: '..' }, env: 'dev', requestedBy: 'U0ALICE', now: Date.now() });
    await runs.create(run, { actor: 'U0ALICE', action: 'run.created' });
    const deps = { catalog: catalogOf('/data/out/{{param.region}}/orders/'), runs, datasets: {} } as unknown as JobDeps;
    const job = { id: 'dq-1', data: { pipeline: 'orders', period: '2026-01', source: 'run', runId: run.id } } as unknown as Job<CheckDqJob>;
    const outcome = await checkDq(deps, job).catch((err: unknown) => err);
    expect(outcome).toBeInstanceOf(UnrecoverableError);
    expect((outcome as Error).message).toContain('"/data/out/../orders/" leave "/data/out/"');
  });
});
