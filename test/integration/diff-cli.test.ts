import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiffReport } from '../../src/diff/index.ts';
import { startFakeS3, type FakeS3 } from '../fakes/s3-server.ts';
import { runCutoverCli as cutover } from '../helpers/cli-process.ts';
import { tempDir, writeFiles } from '../unit/diff/helpers.ts';
import { writeUnload } from '../helpers/unload-writer.ts';

/** The real `cutover` bin in a child process: exit codes, stdout JSON, env-driven S3. */
let dir: string;
let cleanup: () => Promise<void>;
let s3: FakeS3;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  await writeFiles({
    [join(dir, 'legacy.parquet')]: `SELECT i AS id, i * 2 AS v FROM range(20) t(i)`,
    [join(dir, 'target.parquet')]: `SELECT i AS id, CASE WHEN i = 3 THEN -1 ELSE i * 2 END AS v FROM range(20) t(i)`,
  });
  s3 = await startFakeS3();
  s3.put('legacy', 'out/part-0.parquet', await readFile(join(dir, 'legacy.parquet')));
});
afterAll(async () => {
  await s3.close();
  await cleanup();
});


describe('cutover diff (spawned)', () => {
  it('exits 1 and prints the JSON report for different datasets', async () => {
    const r = await cutover(['diff', '--legacy', join(dir, 'legacy.parquet'), '--target', join(dir, 'target.parquet'), '--key', 'id', '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as DiffReport;
    expect(report.verdict).toBe('different');
    expect(report.columns.v).toEqual({ mismatches: 1, samples: [{ key: { id: '3' }, legacy: '6', target: '-1' }] });
  });

  it('reads s3:// paths through AWS_ENDPOINT_URL_S3 and exits 0 when clean', async () => {
    const env = { AWS_ENDPOINT_URL_S3: s3.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
    const r = await cutover(['diff', '--legacy', 's3://legacy/out/', '--target', join(dir, 'legacy.parquet'), '--key', 'id'], env);
    expect(r.stdout).toMatch(/^CLEAN/);
    expect(r.code).toBe(0);
  });

  it('exits 2 with a one-line reason on bad usage', async () => {
    const r = await cutover(['diff', '--legacy', 'a']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('cutover diff: --target is required\n');
  });

  it('reads .csv files without --format as CSV (issue 15: no raw "No magic bytes" error)', async () => {
    await writeFiles({ [join(dir, 'l.csv')]: `SELECT i AS id, i * 2 AS v FROM range(5) t(i)`, [join(dir, 't.csv')]: `SELECT i AS id, CASE WHEN i = 3 THEN 0 ELSE i * 2 END AS v FROM range(5) t(i)` }, 'csv');
    const r = await cutover(['diff', '--legacy', join(dir, 'l.csv'), '--target', join(dir, 't.csv'), '--key', 'id', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as DiffReport).columns.v?.samples).toEqual([{ key: { id: '3' }, legacy: '6', target: '0' }]);
  });

  it('turns a reader error into one line that names the file', async () => {
    await writeFile(join(dir, 'broken.parquet'), `id,v\n${Array.from({ length: 20 }, (_, i) => `${i},${i * 2}`).join('\n')}\n`);
    const r = await cutover(['diff', '--legacy', join(dir, 'broken.parquet'), '--target', join(dir, 'target.parquet'), '--key', 'id']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`cutover diff: ${join(dir, 'broken.parquet')}: cannot be read as parquet: not a Parquet file (no magic bytes at its end); for CSV text give the format (--format csv)\n`);
  });

  it('reads an UNLOAD side with --legacy-format unload and the --csv-* flags', async () => {
    const columns = [{ name: 'id', type: { base: 'bigint' } }, { name: 'v', type: { base: 'bigint' } }];
    const rows = Array.from({ length: 20 }, (_, i) => [String(i), i === 3 ? 'NULL' : String(i * 2)]);
    await writeUnload(join(dir, 'unload'), 'out_', { columns, rows, header: true, delimiter: ';', compression: 'gzip' });
    const args = ['diff', '--legacy', join(dir, 'unload', 'out_'), '--target', join(dir, 'legacy.parquet'), '--key', 'id', '--legacy-format', 'unload', '--csv-header', '--csv-delimiter', ';'];
    const r = await cutover([...args, '--json']);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as DiffReport).columns.v?.samples).toEqual([{ key: { id: '3' }, legacy: 'NULL (not BIGINT)', target: '6' }]);
    const nulls = await cutover([...args, '--csv-null', 'NULL', '--json']);
    expect((JSON.parse(nulls.stdout) as DiffReport).columns.v?.samples).toEqual([{ key: { id: '3' }, legacy: null, target: '6' }]);
  });
});
