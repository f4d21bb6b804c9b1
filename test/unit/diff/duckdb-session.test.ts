import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDataset } from '../../../src/datasets/index.ts';
import { withDuckDb } from '../../../src/diff/index.ts';
import { NotFoundError } from '../../../src/errors.ts';
import { tempDir, writeFiles } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

describe('withDuckDb', () => {
  it('configures memory, threads, spill folder, UTC and no extension downloads, then cleans up', async () => {
    let workDir = '';
    const settings = await withDuckDb({ memoryLimit: '256MB', threads: 1, tempDir: dir }, async (db) => {
      workDir = db.workDir;
      return db.all(`SELECT name, value FROM duckdb_settings()
        WHERE name IN ('threads', 'temp_directory', 'autoinstall_known_extensions', 'TimeZone', 'preserve_insertion_order') ORDER BY name`);
    });
    expect(settings).toEqual([
      { name: 'TimeZone', value: 'UTC' },
      { name: 'autoinstall_known_extensions', value: 'false' },
      { name: 'preserve_insertion_order', value: 'false' },
      { name: 'temp_directory', value: join(workDir, 'spill') },
      { name: 'threads', value: '1' },
    ]);
    expect(existsSync(workDir)).toBe(false);
  });

  it('reports every statement it runs, with its duration, to onStatement', async () => {
    const seen: Array<[string, number]> = [];
    await withDuckDb({ tempDir: dir, onStatement: (sql, ms) => seen.push([sql, ms]) }, async (db) => {
      await db.run('CREATE TEMP TABLE t AS SELECT range AS i FROM range(3)');
      await db.one('SELECT count(*) AS n FROM t');
    });
    expect(seen.map(([sql]) => sql)).toEqual(['CREATE TEMP TABLE t AS SELECT range AS i FROM range(3)', 'SELECT count(*) AS n FROM t']);
    for (const [, ms] of seen) expect(ms).toBeGreaterThanOrEqual(0);
  });

  it('interrupts a running query when the signal aborts, and still cleans up', async () => {
    const controller = new AbortController();
    let workDir = '';
    setTimeout(() => controller.abort(new Error('job cancelled')), 100);
    const started = Date.now();
    const run = withDuckDb({ signal: controller.signal, tempDir: dir }, async (db) => {
      workDir = db.workDir;
      return db.all('SELECT sum(hash(i)) FROM range(100000000000) t(i)');
    });
    await expect(run).rejects.toThrow('job cancelled');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(existsSync(workDir)).toBe(false);
  });

  it('does not start a query once the signal has aborted, even when the abort came before there was a connection to interrupt', async () => {
    const controller = new AbortController();
    const run = withDuckDb({ signal: controller.signal, tempDir: dir }, async (db) => {
      // As when the job is cancelled while the instance is still being created, or between statements.
      controller.abort(new Error('job cancelled'));
      return db.all('SELECT sum(hash(i)) FROM range(100000000000) t(i)');
    });
    const started = Date.now();
    await expect(run).rejects.toThrow('job cancelled');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('registerDataset', () => {
  it('reads a Spark-style folder: skips markers, keeps partition columns', async () => {
    const folder = join(dir, 'out');
    await mkdir(join(folder, 'period=2024-01'), { recursive: true });
    await writeFiles({
      [join(folder, 'period=2024-01', 'part-00000.snappy.parquet')]: 'SELECT 1 AS id UNION ALL SELECT 2',
      [join(folder, 'period=2024-01', 'part-00001.snappy.parquet')]: 'SELECT 3 AS id',
    });
    await writeFile(join(folder, '_SUCCESS'), '');
    await writeFile(join(folder, 'period=2024-01', '.part-00000.snappy.parquet.crc'), 'crc');
    await withDuckDb({}, async (db) => {
      const ds = await registerDataset(db, 'out', { path: folder, format: 'parquet' });
      expect(ds.files).toHaveLength(2);
      expect(ds.columns.map((c) => c.name)).toEqual(['id', 'period']);
      expect(await db.one('SELECT count(*) AS n, min(period) AS p FROM out')).toEqual({ n: '3', p: '2024-01' });
    });
  });

  it('reads CSV and says clearly when there is nothing to read', async () => {
    await writeFiles({ [join(dir, 'a.csv')]: `SELECT 1 AS id, 'x' AS name` }, 'csv');
    await withDuckDb({}, async (db) => {
      const ds = await registerDataset(db, 'a', { path: join(dir, 'a.csv'), format: 'csv' });
      expect(ds.columns).toEqual([{ name: 'id', type: 'BIGINT' }, { name: 'name', type: 'VARCHAR' }]);
      await mkdir(join(dir, 'empty'));
      await expect(registerDataset(db, 'e', { path: join(dir, 'empty'), format: 'parquet' })).rejects.toBeInstanceOf(NotFoundError);
    });
  });
});
