import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../src/errors.ts';
import { DeltaWriter } from '../../helpers/delta-writer.ts';
import { tempDir } from '../diff/helpers.ts';
import { differences, diffDelta, NONE } from './delta-helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const rows = (from: number, to: number, tag = 'v') => `SELECT i::BIGINT AS id, '${tag}' || i AS v FROM range(${from}, ${to}) t(i)`;
const T0 = Date.parse('2026-05-01T10:00:00Z');
const MIN = 60_000;
let n = 0;

/**
 * v0 create (T0), v1 rows 0-9 (T0+1m), v2 the Databricks job run 5001 writes rows 10-19
 * (T0+10m), v3 another writer appends rows 20-29 (T0+30m), each commit file's mtime set.
 */
async function history(opts: { jobInfo?: boolean; ict?: boolean } = {}): Promise<DeltaWriter> {
  const w = await DeltaWriter.create(join(dir, `tt${n++}`), [{ name: 'id', type: 'long' }, { name: 'v', type: 'string' }]);
  const ict = (t: number) => (opts.ict ? { inCommitTimestamp: t } : {});
  await w.commit([{ add: await w.dataFile(rows(0, 10)) }], { operation: 'WRITE', ...ict(T0 + MIN) }, { mtime: T0 + MIN });
  const job = opts.jobInfo === false ? {} : { job: { jobId: '42', jobName: 'insights', jobRunId: '5001', runId: '5002', jobOwnerId: '1', triggerType: 'manual' } };
  await w.commit([{ add: await w.dataFile(rows(10, 20)) }], { operation: 'WRITE', ...job, ...ict(T0 + 10 * MIN) }, { mtime: T0 + 10 * MIN });
  await w.commit([{ add: await w.dataFile(rows(20, 30, 'other')) }], { operation: 'WRITE', engineInfo: 'another-writer', ...ict(T0 + 30 * MIN) }, { mtime: T0 + 30 * MIN });
  return w;
}

describe('time travel', () => {
  it('reads version N, and names the version and its commit time in the report', async () => {
    const w = await history();
    const at1 = await diffDelta(dir, w.root, rows(0, 10), { version: 1 });
    expect(differences(at1)).toEqual(NONE);
    expect(at1.sources?.target).toEqual({ format: 'delta', version: 1, committedAt: new Date(T0 + MIN).toISOString() });
    expect(at1.sources?.legacy).toEqual({ format: 'parquet' });
    // The same legacy rows against the latest version: the later commits are differences.
    expect(differences(await diffDelta(dir, w.root, rows(0, 10)))).toEqual({ ...NONE, onlyTarget: 20 });
  });

  it('reads a version older than the checkpoint the hint names, from its commits', async () => {
    const w = await history();
    await w.checkpoint('classic');
    expect(differences(await diffDelta(dir, w.root, rows(0, 20), { version: 2 }))).toEqual(NONE);
  });

  it('refuses a version that does not exist, naming the latest', async () => {
    const w = await history();
    await expect(diffDelta(dir, w.root, rows(0, 10), { version: 9 })).rejects.toThrow(/version 9 does not exist \(the latest is 3\)/);
  });

  it('`run` reads the version the job run committed, not a later commit by another writer', async () => {
    const w = await history();
    const run = { jobRunId: '5001', startedAt: T0 + 5 * MIN, endedAt: T0 + 40 * MIN };
    const report = await diffDelta(dir, w.root, rows(0, 20), { version: 'run', register: { run } });
    expect(differences(report)).toEqual(NONE);
    expect(report.sources?.target).toMatchObject({ version: 2, committedAt: new Date(T0 + 10 * MIN).toISOString() });
    // A legacy side missing one of the run's rows: that one difference, not the other writer's 10 rows too.
    const planted = await diffDelta(dir, w.root, rows(0, 19), { version: 'run', register: { run } });
    expect(differences(planted)).toEqual({ ...NONE, onlyTarget: 1 });
  });

  it('`run` falls back to the newest commit inside the run window when no commit names the run', async () => {
    const w = await history({ jobInfo: false });
    const run = { jobRunId: '5001', startedAt: T0 + 5 * MIN, endedAt: T0 + 20 * MIN };
    const report = await diffDelta(dir, w.root, rows(0, 20), { version: 'run', register: { run } });
    expect(differences(report)).toEqual(NONE);
    expect(report.sources?.target?.version).toBe(2);
  });

  it('`run` uses in-commit timestamps when the table has them, not file times', async () => {
    const w = await history({ jobInfo: false, ict: true });
    // File times would all fall inside this window; the in-commit timestamps put only v2 there.
    await w.commit([], { operation: 'OPTIMIZE', inCommitTimestamp: T0 + 60 * MIN }, { mtime: T0 + 11 * MIN });
    const report = await diffDelta(dir, w.root, rows(0, 20), { version: 'run', register: { run: { startedAt: T0 + 5 * MIN, endedAt: T0 + 20 * MIN } } });
    expect(report.sources?.target?.version).toBe(2);
  });

  it('`run` with nothing committed by or during the run is an error naming the run', async () => {
    const w = await history({ jobInfo: false });
    const err = await diffDelta(dir, w.root, rows(0, 20), { version: 'run', register: { run: { jobRunId: '777', startedAt: T0 + 40 * MIN, endedAt: T0 + 50 * MIN } } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toMatch(/no version was committed by Databricks run 777/);
  });

  it('`run` without a parallel run reads the latest version', async () => {
    const w = await history();
    const report = await diffDelta(dir, w.root, `${rows(0, 20)} UNION ALL ${rows(20, 30, 'other')}`, { version: 'run' });
    expect(differences(report)).toEqual(NONE);
    expect(report.sources?.target?.version).toBe(3);
  });
});
