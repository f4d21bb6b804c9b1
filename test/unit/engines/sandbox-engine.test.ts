import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCatalog } from '../../../src/config/load-catalog.ts';
import { withDuckDb } from '../../../src/diff/duckdb-session.ts';
import { createSandboxEngine } from '../../../src/engines/sandbox/index.ts';
import type { GenerateOptions } from '../../../src/engines/sandbox/index.ts';
import type { EngineConfig } from '../../../src/config/catalog-schema.ts';
import type { Engine, EngineRunStatus } from '../../../src/engines/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'cutover-sandbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const catalog = parseCatalog(`
pipelines:
  orders:
    channel: C0PIPELINES
    legacy: { engine: sandbox, tasks: [extract, transform, load], durationMs: 40, variant: baseline }
    target: { engine: sandbox, tasks: [ingest, publish], durationMs: 30, variant: planted-diff }
    outputs:
      - name: orders
        key: [order_id]
        legacy: { path: "${dir}/legacy/period={{period}}/", format: parquet }
        target: { path: "${dir}/lake/period={{period}}/", format: parquet }
`);
const pipeline = catalog.pipelines.orders!;
const sandbox = (c: unknown) => c as Extract<EngineConfig, { engine: 'sandbox' }>;

async function until(engine: Engine, id: string, done: (s: EngineRunStatus) => boolean): Promise<EngineRunStatus> {
  const states: string[] = [];
  for (let i = 0; i < 200; i++) {
    const status = await engine.poll(id);
    if (states.at(-1) !== status.state) states.push(status.state);
    if (done(status)) return { ...status, message: states.join(' > ') };
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`run ${id} never got there: ${states.join(' > ')}`);
}
const ended = (s: EngineRunStatus) => ['succeeded', 'failed', 'cancelled'].includes(s.state);

describe('the sandbox engine', () => {
  it('moves through pending, running and succeeded, and writes each side its own data', async () => {
    const written: GenerateOptions[] = [];
    const engine = createSandboxEngine({ catalog, writeOutput: async (o) => written.push(o) });
    const legacy = await engine.submit({ runId: 'r-1', pipeline: 'orders', config: pipeline.legacy!, period: '2024-05', params: {} });
    expect(await engine.submit({ runId: 'r-1', pipeline: 'orders', config: pipeline.legacy!, period: '2024-05', params: {} })).toEqual(legacy); // idempotent
    const status = await until(engine, legacy.externalId, ended);
    expect(status.message).toBe('pending > running > succeeded');
    expect(status.tasks.map((t) => `${t.key}:${t.state}`)).toEqual(['extract:succeeded', 'transform:succeeded', 'load:succeeded']);
    expect(written).toEqual([{ path: `${dir}/legacy/period=2024-05/`, format: 'parquet', variant: 'baseline', period: '2024-05', key: ['order_id'] }]);

    const target = await engine.submit({ runId: 'r-2', pipeline: 'orders', config: pipeline.target, period: '2024-05', params: {} });
    await until(engine, target.externalId, ended);
    expect(written[1]).toMatchObject({ path: `${dir}/lake/period=2024-05/`, variant: 'planted-diff' });
  });

  it('fails the task named by --param fail, explains it, and repairs it', async () => {
    const written: GenerateOptions[] = [];
    const engine = createSandboxEngine({ catalog, writeOutput: async (o) => written.push(o) });
    const { externalId } = await engine.submit({ runId: 'r-3', pipeline: 'orders', config: pipeline.legacy!, period: '2024-05', params: { fail: 'transform' } });
    const failed = await until(engine, externalId, ended);
    expect(failed.state).toBe('failed');
    expect(failed.tasks.map((t) => t.state)).toEqual(['succeeded', 'failed', 'cancelled']);
    const failures = await engine.failures(externalId, failed);
    expect(failures[0]).toMatchObject({ task: 'transform', error: expect.stringContaining('--param fail=transform') });
    expect(failures[0]!.trace).toContain('at sandbox.transform');
    expect(failures[1]).toMatchObject({ task: 'load', error: expect.stringContaining('Upstream task transform failed') });
    expect(written).toEqual([]);

    await expect(engine.repair!(externalId, 'sbx-stale')).rejects.toMatchObject({ code: 'invalid_state' });
    const { repairId } = await engine.repair!(externalId, undefined);
    const repaired = await until(engine, externalId, ended);
    expect(repaired.state).toBe('succeeded');
    expect(repaired.latestRepairId).toBe(repairId);
    expect(repaired.tasks.map((t) => t.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(await engine.failures(externalId, repaired)).toEqual([]);
    expect(written).toHaveLength(1);
    await expect(engine.repair!(externalId, repairId)).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it('cancels a run in progress, and says when it does not know a run', async () => {
    const engine = createSandboxEngine({ catalog, writeOutput: async () => {} });
    const { externalId } = await engine.submit({ runId: 'r-4', pipeline: 'orders', config: { ...sandbox(pipeline.legacy), durationMs: 5000 }, period: '2024-05', params: {} });
    await engine.cancel(externalId);
    const status = await engine.poll(externalId);
    expect(status.state).toBe('cancelled');
    expect(status.tasks.every((t) => t.state === 'cancelled')).toBe(true);
    await expect(engine.poll('sbx-nope')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('writes real Parquet: the planted difference and the DQ nulls on the same three orders', async () => {
    const engine = createSandboxEngine({ catalog });
    for (const [runId, config] of [['r-5', pipeline.legacy!], ['r-6', pipeline.target]] as const) {
      const { externalId } = await engine.submit({ runId, pipeline: 'orders', config, period: '2024-05', params: {} });
      expect((await until(engine, externalId, ended)).state).toBe('succeeded');
    }
    const { generateSandboxOutput } = await import('../../../src/engines/sandbox/index.ts');
    await generateSandboxOutput({ path: `${dir}/dq/`, format: 'parquet', variant: 'dq-failure', period: '2024-05', key: ['order_id'] });
    await withDuckDb({}, async (db) => {
      const read = (p: string) => `read_parquet('${p}/*.parquet', hive_partitioning = false)`;
      const changed = await db.all(`SELECT l.order_id FROM ${read(`${dir}/legacy/period=2024-05`)} l JOIN ${read(`${dir}/lake/period=2024-05`)} t USING (order_id) WHERE l.amount <> t.amount ORDER BY 1`);
      expect(changed.map((r) => Number(r.order_id))).toEqual([7, 42, 137]);
      const nulls = await db.all(`SELECT order_id FROM ${read(`${dir}/dq`)} WHERE customer_id IS NULL ORDER BY 1`);
      expect(nulls.map((r) => Number(r.order_id))).toEqual([7, 42, 137]);
      const [count] = await db.all(`SELECT count(*) AS n, count(DISTINCT order_date) > 20 AS spread FROM ${read(`${dir}/legacy/period=2024-05`)} WHERE order_date BETWEEN DATE '2024-05-01' AND DATE '2024-05-31'`);
      expect(count).toEqual({ n: '500', spread: true });
    });
  });

  it('refuses to write anywhere but a local path', async () => {
    const { generateSandboxOutput } = await import('../../../src/engines/sandbox/index.ts');
    await expect(generateSandboxOutput({ path: 's3://bucket/x/', format: 'parquet', variant: 'baseline', period: '2024-05', key: ['id'] })).rejects.toThrow(/local paths only/);
  });
});
