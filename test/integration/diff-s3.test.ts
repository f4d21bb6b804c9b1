import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Access, downloadS3Dataset, listS3Objects, parseS3Url, type S3Access } from '../../src/datasets/index.ts';
import { diffDatasets } from '../../src/diff/index.ts';
import { ApiError } from '../../src/errors.ts';
import { startFakeS3, type FakeS3 } from '../fakes/s3-server.ts';
import { tempDir, writeFiles } from '../unit/diff/helpers.ts';
import { writeUnload } from '../helpers/unload-writer.ts';

/** Reading datasets from S3 through the real S3Client against a fake S3 on 127.0.0.1. */
let s3: FakeS3;
let access: S3Access;
let dir: string;
let cleanup: () => Promise<void>;
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  s3 = await startFakeS3({ pageSize: 2, getDelayMs: 20 });
  access = createS3Access({ endpoint: s3.url, region: 'eu-west-1', credentials });
  // Five part files per side, Spark-style, with markers that are not data.
  const parts: Record<string, string> = {};
  for (let p = 0; p < 5; p++) {
    parts[join(dir, `l${p}.parquet`)] = `SELECT i AS id, 'n' || i AS name FROM range(${p * 20}, ${p * 20 + 20}) t(i)`;
    parts[join(dir, `t${p}.parquet`)] = `SELECT i AS id, CASE WHEN i = 42 THEN 'changed' ELSE 'n' || i END AS name FROM range(${p * 20}, ${p * 20 + 20}) t(i)`;
  }
  await writeFiles(parts);
  for (let p = 0; p < 5; p++) {
    s3.put('legacy', `out/insights/period=2024-01/part-0000${p}.snappy.parquet`, await readFile(join(dir, `l${p}.parquet`)));
    s3.put('lake', `out/insights/period=2024-01/part-0000${p}.snappy.parquet`, await readFile(join(dir, `t${p}.parquet`)));
  }
  s3.put('legacy', 'out/insights/period=2024-01/_SUCCESS', '');
  s3.put('legacy', 'out/insights/period=2024-01/.part-00000.snappy.parquet.crc', 'crc');
  s3.put('legacy', 'out/insights_v2/period=2024-01/part-00000.parquet', 'not this dataset');
});
afterAll(async () => {
  access.client.destroy();
  await s3.close();
  await cleanup();
});

describe('S3 datasets', () => {
  it('lists every page of a prefix', async () => {
    const objects = await listS3Objects(access.client, parseS3Url('s3://legacy/out/insights/'));
    expect(objects.map((o) => o.key)).toHaveLength(7);
    expect(s3.requests.some((r) => r.includes('continuation-token='))).toBe(true);
  });

  it('downloads only data files, keeping partition folders below the dataset root, with bounded concurrency', async () => {
    const files = await downloadS3Dataset(access.client, 's3://legacy/out/insights', 'parquet', join(dir, 'dl'), { concurrency: 3 });
    expect(files.map((f) => f.slice(join(dir, 'dl').length + 1))).toEqual(
      [0, 1, 2, 3, 4].map((p) => `period=2024-01/part-0000${p}.snappy.parquet`),
    );
    expect(s3.maxInFlight()).toBeLessThanOrEqual(3);
    expect(s3.maxInFlight()).toBeGreaterThan(1);
  });

  it('diffs two S3 datasets and removes the downloads afterwards', async () => {
    const scratch = join(dir, 'scratch');
    await mkdir(scratch);
    const report = await diffDatasets({
      legacy: { path: 's3://legacy/out/insights/period=2024-01/', format: 'parquet' },
      target: { path: 's3://lake/out/insights/period=2024-01/', format: 'parquet' },
      key: ['id'],
      access: { s3: access },
      engine: { tempDir: scratch },
    });
    expect(report.counts).toMatchObject({ legacy: 100, target: 100, changed: 1 });
    expect(report.columns.name?.samples).toEqual([{ key: { id: '42' }, legacy: 'n42', target: 'changed' }]);
    expect(await readdir(scratch)).toEqual([]);
  });

  it('fails with an S3 ApiError, and still cleans up, when an object cannot be read', async () => {
    s3.fail('out/insights/period=2024-01/part-00003.snappy.parquet', 403);
    const scratch = join(dir, 'scratch-fail');
    await mkdir(scratch);
    const run = diffDatasets({
      legacy: { path: 's3://legacy/out/insights/', format: 'parquet' },
      target: { path: 's3://lake/out/insights/', format: 'parquet' },
      key: ['id'],
      access: { s3: access },
      engine: { tempDir: scratch },
    });
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ service: 's3', statusCode: 403, retryable: false });
    expect(await readdir(scratch)).toEqual([]);
  });

  it('parses S3 URLs: prefixes, single objects and globs', () => {
    const folder = parseS3Url('s3://b/out/x');
    expect([folder.bucket, folder.prefix, folder.matches('out/x/a.parquet'), folder.matches('out/x_v2/a.parquet')]).toEqual(['b', 'out/x', true, false]);
    const glob = parseS3Url('s3://b/out/*/part-*.parquet');
    expect([glob.prefix, glob.matches('out/p=1/part-0.parquet'), glob.matches('out/p=1/q/part-0.parquet')]).toEqual(['out/', true, false]);
  });

  it('reads an UNLOAD prefix through its manifest, downloading only the manifest and the parts it lists', async () => {
    const columns = [{ name: 'id', type: { base: 'bigint' } }, { name: 'name', type: { base: 'character varying' } }];
    // The lake holds 'changed' at 42; the unload plants a difference at 7.
    const rows = Array.from({ length: 100 }, (_, i) => [String(i), i === 42 ? 'changed' : i === 7 ? 'planted' : `n${i}`]);
    const local = join(dir, 'unload');
    const names = await writeUnload(local, 'insights/2024-01_', { columns, rows, slices: 4, compression: 'gzip', manifest: 'verbose', urlBase: 's3://legacy-unload/' });
    for (const name of names) s3.put('legacy-unload', name, await readFile(join(local, name)));
    s3.put('legacy-unload', 'insights/2024-01_0009_part_00.gz', 'left over from an earlier unload, not in the manifest');
    s3.put('legacy-unload', 'insights/2024-02_0000_part_00.gz', 'another period');
    for (let p = 0; p < 5; p++) s3.put('spark', `insights/part-0000${p}.parquet`, await readFile(join(dir, `t${p}.parquet`)));
    const before = s3.requests.length;
    const report = await diffDatasets({
      legacy: { path: 's3://legacy-unload/insights/2024-01_', format: 'unload' },
      target: { path: 's3://spark/insights/', format: 'parquet' },
      key: ['id'],
      access: { s3: access },
    });
    expect(report.counts).toMatchObject({ legacy: 100, target: 100, changed: 1 });
    expect(report.columns.name?.samples).toEqual([{ key: { id: '7' }, legacy: 'planted', target: 'n7' }]);
    const gets = s3.requests.slice(before).map((r) => r.split('?')[0] as string).filter((r) => r.startsWith('GET /legacy-unload/') && !r.endsWith('/'));
    expect(gets.sort()).toEqual([...names.map((n) => `GET /legacy-unload/${n}`)].sort());
  });
});
