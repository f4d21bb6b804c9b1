import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hivePartitions, selectDataFiles, unescapePathName } from '../../../src/datasets/index.ts';
import { diffDatasets, sqlString, withDuckDb, type DiffReport } from '../../../src/diff/index.ts';
import { UnsupportedError } from '../../../src/errors.ts';
import { diffAll, tempDir } from '../diff/helpers.ts';

/**
 * Folders as Spark and Hive write them (issue 13 item 4): partition values are text from the
 * folder names, typed like the other side's column, never guessed. Each case diffs a
 * partitioned folder against flat Parquet: clean when they hold the same rows, and the planted
 * difference found otherwise.
 */
let dir: string;
let cleanup: () => Promise<void>;
let n = 0;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

/** Spark's layout: one part file per partition folder (paths relative to the table), plus markers. */
async function writePartitioned(parts: Record<string, string>, markers = true): Promise<string> {
  const root = join(dir, `table-${++n}`);
  await withDuckDb({ threads: 1 }, async (db) => {
    for (const [folder, query] of Object.entries(parts)) {
      await mkdir(join(root, folder), { recursive: true });
      await db.run(`COPY (${query}) TO ${sqlString(join(root, folder, 'part-00000-c000.snappy.parquet'))}`);
    }
  });
  if (markers) {
    await writeFile(join(root, '_SUCCESS'), '');
    await mkdir(join(root, '_temporary', '0'), { recursive: true });
    await writeFile(join(root, '_temporary', '0', 'part-00009.parquet'), 'half-written');
    await writeFile(join(root, '_committed_123'), '{}');
  }
  return root;
}

async function writeFlat(query: string): Promise<string> {
  const path = join(dir, `flat-${++n}.parquet`);
  await withDuckDb({ threads: 1 }, (db) => db.run(`COPY (${query}) TO ${sqlString(path)}`));
  return path;
}

const diffPair = (legacy: string, target: string, all = false): Promise<DiffReport> => {
  const input = { legacy: { path: legacy }, target: { path: target }, key: ['id'] };
  return all ? diffAll(input) : diffDatasets(input);
};

describe('partition folders', () => {
  it('reads a `_name=value` folder as data, and leaves _SUCCESS, _temporary/ and _committed_* out', async () => {
    expect(selectDataFiles(['_region=eu/a.parquet', '_SUCCESS', '_temporary/0/b.parquet', '_committed_1', 'x/_c.parquet', '.a.crc'], 'parquet')).toEqual(['_region=eu/a.parquet']);
    const legacy = await writePartitioned({ '_region=eu': `SELECT 1 AS id, 'a' AS v`, '_region=us': `SELECT 2 AS id, 'b' AS v` });
    const clean = await diffPair(legacy, await writeFlat(`SELECT 1 AS id, 'a' AS v, 'eu' AS _region UNION ALL SELECT 2, 'b', 'us'`), true);
    expect(clean.verdict).toBe('clean');
    expect(clean.counts).toMatchObject({ legacy: 2, target: 2 });
    const planted = await diffPair(legacy, await writeFlat(`SELECT 1 AS id, 'a' AS v, 'eu' AS _region UNION ALL SELECT 2, 'b', 'apac'`));
    expect(planted.columns._region).toEqual({ mismatches: 1, samples: [{ key: { id: '2' }, legacy: 'us', target: 'apac' }] });
  });

  it('reads __HIVE_DEFAULT_PARTITION__ as NULL', async () => {
    const legacy = await writePartitioned({ 'region=eu': `SELECT 1 AS id`, 'region=__HIVE_DEFAULT_PARTITION__': `SELECT 2 AS id` });
    expect((await diffPair(legacy, await writeFlat(`SELECT 1 AS id, 'eu' AS region UNION ALL SELECT 2, NULL`))).verdict).toBe('clean');
    const planted = await diffPair(legacy, await writeFlat(`SELECT 1 AS id, 'eu' AS region UNION ALL SELECT 2, '__HIVE_DEFAULT_PARTITION__'`));
    expect(planted.columns.region?.samples).toEqual([{ key: { id: '2' }, legacy: null, target: '__HIVE_DEFAULT_PARTITION__' }]);
  });

  it('compares a value in the other side\'s type: store=007 is "007" beside a string, 7 beside an integer', async () => {
    const legacy = await writePartitioned({ 'store=007': `SELECT 1 AS id`, 'store=12': `SELECT 2 AS id` });
    const strings = await diffPair(legacy, await writeFlat(`SELECT 1 AS id, '007' AS store UNION ALL SELECT 2, '12'`), true);
    expect(strings.verdict).toBe('clean');
    expect(strings.schema.typeChanges).toEqual([]);
    const unpadded = await diffPair(legacy, await writeFlat(`SELECT 1 AS id, '7' AS store UNION ALL SELECT 2, '12'`));
    expect(unpadded.columns.store?.samples).toEqual([{ key: { id: '1' }, legacy: '007', target: '7' }]);
    const ints = await diffPair(legacy, await writeFlat(`SELECT 1 AS id, 7 AS store UNION ALL SELECT 2, 12`));
    expect(ints.verdict).toBe('clean');
    expect(ints.schema.typeChanges).toEqual([]);
    const planted = await diffPair(legacy, await writeFlat(`SELECT 1 AS id, 8 AS store UNION ALL SELECT 2, 12`));
    expect(planted.columns.store?.samples).toEqual([{ key: { id: '1' }, legacy: '7', target: '8' }]);
  });

  it('types folders on the target side too, as dates beside a DATE column', async () => {
    const target = await writePartitioned({ 'day=2024-01-01': `SELECT 1 AS id`, 'day=2024-01-02': `SELECT 2 AS id` });
    const clean = await diffPair(await writeFlat(`SELECT 1 AS id, DATE '2024-01-01' AS day UNION ALL SELECT 2, DATE '2024-01-02'`), target);
    expect(clean.verdict).toBe('clean');
    expect(clean.schema.typeChanges).toEqual([]);
    const planted = await diffPair(await writeFlat(`SELECT 1 AS id, DATE '2024-01-01' AS day UNION ALL SELECT 2, DATE '2024-01-03'`), target);
    expect(planted.columns.day?.samples).toEqual([{ key: { id: '2' }, legacy: '2024-01-03', target: '2024-01-02' }]);
  });

  it('reports a folder value that is not of the other side\'s type with its key', async () => {
    const legacy = await writePartitioned({ 'store=7': `SELECT 1 AS id`, 'store=x7': `SELECT 2 AS id` });
    const r = await diffPair(legacy, await writeFlat(`SELECT 1 AS id, 7 AS store UNION ALL SELECT 2, 7`));
    expect(r.counts.changed).toBe(1);
    expect(r.columns.store?.samples).toEqual([{ key: { id: '2' }, legacy: 'x7 (not INTEGER)', target: '7' }]);
  });

  it('unescapes Hive-escaped folder names, and reads no column from folders above the dataset', async () => {
    expect(unescapePathName('2024-06-15 12%3A30%3A45')).toBe('2024-06-15 12:30:45');
    expect(unescapePathName('Serbia%2Fsrb%25')).toBe('Serbia/srb%');
    expect(unescapePathName('100%zz+1')).toBe('100%zz+1');
    const legacy = await writePartitioned({ 'period=2024-06/at=2024-06-15 12%3A30%3A45/city=Serbia%2Fsrb%25': `SELECT 1 AS id` });
    const target = await writeFlat(`SELECT 1 AS id, TIMESTAMP '2024-06-15 12:30:45' AS at, 'Serbia/srb%' AS city`);
    const r = await diffPair(join(legacy, 'period=2024-06'), target);
    expect(r.verdict).toBe('clean');
    expect(r.schema.extra).toEqual([]);
    const planted = await diffPair(join(legacy, 'period=2024-06'), await writeFlat(`SELECT 1 AS id, TIMESTAMP '2024-06-15 12:30:46' AS at, 'Serbia/srb%' AS city`));
    expect(planted.columns.at?.mismatches).toBe(1);
  });

  it('refuses folders that disagree on their partition columns, naming two files', () => {
    expect(() => hivePartitions(['a=1/x.parquet', 'b=2/y.parquet'])).toThrow(UnsupportedError);
    expect(() => hivePartitions(['a=1/x.parquet', 'b=2/y.parquet'])).toThrow('a=1/x.parquet is under (a) but b=2/y.parquet under (b)');
  });
});
