import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Access, type S3Access } from '../../src/datasets/index.ts';
import { diffDatasets } from '../../src/diff/index.ts';
import { startFakeS3, type FakeS3 } from '../fakes/s3-server.ts';
import { DeltaWriter, tableObjects, type AddAction } from '../helpers/delta-writer.ts';
import { tempDir, writeFiles } from '../unit/diff/helpers.ts';

/** A Delta table in (fake) S3, read through the real S3Client: only what the snapshot needs is fetched. */
let s3: FakeS3;
let access: S3Access;
let dir: string;
let cleanup: () => Promise<void>;
let removed: AddAction;
let dvFile: string;

const rows = (from: number, to: number, tag = 'v') => `SELECT i::BIGINT AS id, '${tag}' || i AS v FROM range(${from}, ${to}) t(i)`;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  s3 = await startFakeS3({ pageSize: 3 });
  access = createS3Access({ endpoint: s3.url, region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const w = await DeltaWriter.create(join(dir, 'table'), [{ name: 'id', type: 'long' }, { name: 'v', type: 'string' }], {
    protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] },
  });
  removed = await w.dataFile(rows(0, 50, 'old'));
  await w.append([removed]);
  const kept = await w.dataFile(rows(0, 40));
  await w.overwrite([kept]);
  const { add } = await w.deleteRows(kept, [3, 4], 'u', { prefix: 'q1' });
  dvFile = add.deletionVector!.pathOrInlineDv.slice(0, 2);
  await w.checkpoint('classic');
  await w.append([await w.dataFile(rows(40, 45))]);
  await w.close();
  for (const o of await tableObjects(w.root, 'curated/insights/')) s3.put('lake', o.key, o.body);
  await writeFiles({ [join(dir, 'legacy.parquet')]: `SELECT * FROM (${rows(0, 45)}) WHERE id NOT IN (3, 4)` });
});
afterAll(async () => {
  access.client.destroy();
  await s3.close();
  await cleanup();
});

describe('Delta tables in S3', () => {
  it('are detected by their _delta_log/, read at the latest version, and fetch only the log, live files and DV files', async () => {
    const report = await diffDatasets({ legacy: { path: join(dir, 'legacy.parquet') }, target: { path: 's3://lake/curated/insights/' }, key: ['id'], access: { s3: access } });
    expect(report.verdict).toBe('clean');
    expect(report.sources?.target).toMatchObject({ format: 'delta', version: 4 });
    const gets = s3.requests.filter((r) => r.startsWith('GET /lake/') && !r.includes('list-type'));
    expect(gets.some((r) => r.includes(encodeURIComponent(removed.path)) || r.includes(removed.path))).toBe(false);
    expect(gets.some((r) => r.includes(`/${dvFile}/deletion_vector_`))).toBe(true);
    // The log is listed from the checkpoint the hint names, not from version 0.
    expect(s3.requests.some((r) => r.includes('list-type=2') && r.includes('start-after='))).toBe(true);
    expect(gets.some((r) => r.includes('00000000000000000001.json'))).toBe(false);
  });

  it('a planted difference (rows the DV deleted, still in legacy) is found', async () => {
    await writeFiles({ [join(dir, 'legacy-planted.parquet')]: rows(0, 45) });
    const report = await diffDatasets({ legacy: { path: join(dir, 'legacy-planted.parquet') }, target: { path: 's3://lake/curated/insights/' }, key: ['id'], access: { s3: access } });
    expect(report.counts.onlyLegacy).toBe(2);
  });
});
