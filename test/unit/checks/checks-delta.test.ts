import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../../../src/checks/index.ts';
import { pipelineSchema } from '../../../src/config/catalog-schema.ts';
import { DeltaWriter } from '../../helpers/delta-writer.ts';
import { NOW, tempDir } from './helpers.ts';

/** DQ checks read a Delta target through the same reader as the diff: live rows only. */
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const DV = { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] };

async function table(name: string, deleted: number[]): Promise<string> {
  const w = await DeltaWriter.create(join(dir, name), [{ name: 'id', type: 'long' }, { name: 'segment', type: 'string' }], { protocol: DV });
  const file = await w.dataFile(`SELECT i::BIGINT AS id, CASE WHEN i >= 35 THEN NULL ELSE 'academic' END AS segment FROM range(0, 40) t(i)`);
  await w.append([file]);
  if (deleted.length > 0) await w.deleteRows(file, deleted);
  await w.close();
  return w.root;
}

function checksOn(path: string) {
  const pipeline = pipelineSchema.parse({
    channel: 'C0PIPELINES',
    target: { engine: 'databricks', jobId: 1 },
    outputs: [{ name: 'insights', key: ['id'], legacy: { path: '/nonexistent' }, target: { path }, checks: [{ row_count: { min: 40 } }, { not_null: ['segment'] }] }],
  });
  return runChecks({ pipeline, pipelineName: 'p', period: '2024-05', now: NOW });
}

describe('DQ checks on a Delta target', () => {
  it('count only live rows: a row_count minimum fails when deletion vectors took the table below it', async () => {
    // 40 rows in the file; the 5 with a NULL segment deleted through a deletion vector.
    const result = await checksOn(await table('dv', [35, 36, 37, 38, 39]));
    const [rowCount, notNull] = result.checks;
    expect(rowCount).toMatchObject({ check: expect.stringContaining('row_count'), passed: false });
    expect(rowCount?.error).toBeUndefined();
    // Deleted rows are never seen: their NULL segments do not fail not_null.
    expect(notNull).toMatchObject({ passed: true, failingRows: 0 });
  });

  it('see every row of the same table without deletions', async () => {
    const result = await checksOn(await table('plain', []));
    expect(result.checks.map((c) => [c.passed, c.error])).toEqual([
      [true, undefined],
      [false, undefined],
    ]);
    expect(result.checks[1]?.failingRows).toBe(5);
  });
});
