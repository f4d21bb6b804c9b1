import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffDatasets, type CompareOptions, type DiffReport } from '../../../src/diff/index.ts';
import { comparable, diffAll, tempDir, writeFiles } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

let seq = 0;
/** Writes the two sides as Parquet with DuckDB and diffs them with every strategy. */
async function diff(legacy: string, target: string, key = ['id'], options: CompareOptions = {}): Promise<DiffReport> {
  const n = ++seq;
  const [l, t] = [`${dir}/l${n}.parquet`, `${dir}/t${n}.parquet`];
  await writeFiles({ [l]: legacy, [t]: target });
  return diffAll({ legacy: { path: l, format: 'parquet' }, target: { path: t, format: 'parquet' }, key, options });
}

const rows = (values: string, columns: string) => `SELECT * FROM (VALUES ${values}) v(${columns})`;
const noRowDiffs = { onlyLegacy: 0, onlyTarget: 0, changed: 0, duplicateKeys: { legacy: 0, target: 0 }, nullKeys: { legacy: 0, target: 0 } };

describe('diff levels', () => {
  it('finds identical datasets in a different row order clean', async () => {
    const base = `SELECT i AS id, 'n' || i AS name, i * 1.5 AS amount, (i % 3 = 0) AS flag FROM range(200) t(i)`;
    const r = await diff(`${base} ORDER BY id`, `${base} ORDER BY hash(id)`);
    expect(r.verdict).toBe('clean');
    expect(r.schema).toEqual({ missing: [], extra: [], typeChanges: [] });
    expect(r.counts).toEqual({ legacy: 200, target: 200, ...noRowDiffs });
    expect(Object.keys(r.columns)).toEqual(['name', 'amount', 'flag']);
    expect(r.columns.name).toEqual({ mismatches: 0, samples: [] });
  });

  it('reports an extra and a missing column, and compares the rest', async () => {
    const r = await diff(rows(`(1, 'a', 'old')`, 'id, name, gone'), rows(`(1, 'a', 'new')`, 'id, name, note'));
    expect(r.schema).toEqual({ missing: ['gone'], extra: ['note'], typeChanges: [] });
    expect(r.counts).toMatchObject(noRowDiffs);
    expect(Object.keys(r.columns)).toEqual(['name']);
    expect(r.verdict).toBe('different');
  });

  it('tolerates a decimal precision change when every value survives', async () => {
    const r = await diff(
      rows(`(1, 10.25::DECIMAL(18,2)), (2, -3.10::DECIMAL(18,2))`, 'id, price'),
      rows(`(2, -3.10::DECIMAL(38,2)), (1, 10.25::DECIMAL(38,2))`, 'id, price'),
    );
    expect(r.schema.typeChanges).toEqual([{ column: 'price', legacy: 'DECIMAL(18,2)', target: 'DECIMAL(38,2)', tolerated: true }]);
    expect(r.verdict).toBe('clean');
  });

  it('compares decimals of different scales as fixed-scale text and flags a real change', async () => {
    const r = await diff(
      rows(`(1, 1.23::DECIMAL(18,2)), (2, 5.00::DECIMAL(18,2))`, 'id, price'),
      rows(`(1, 1.2301::DECIMAL(18,4)), (2, 5.0000::DECIMAL(18,4))`, 'id, price'),
    );
    expect(r.schema.typeChanges).toEqual([{ column: 'price', legacy: 'DECIMAL(18,2)', target: 'DECIMAL(18,4)', tolerated: false }]);
    expect(r.counts.changed).toBe(1);
    expect(r.columns.price).toEqual({ mismatches: 1, samples: [{ key: { id: '1' }, legacy: '1.2300', target: '1.2301' }] });
  });

  it('compares timestamps as UTC instants: same instant in another zone is equal', async () => {
    const r = await diff(
      rows(`(1, TIMESTAMP '2024-03-01 10:00:00')`, 'id, ts'),
      rows(`(1, TIMESTAMPTZ '2024-03-01 12:00:00+02')`, 'id, ts'),
    );
    expect(r.schema.typeChanges).toEqual([{ column: 'ts', legacy: 'TIMESTAMP', target: 'TIMESTAMP WITH TIME ZONE', tolerated: true }]);
    expect(r.verdict).toBe('clean');
  });

  it('reports a timestamp shifted by a time zone (local time written as UTC)', async () => {
    const r = await diff(
      rows(`(1, TIMESTAMP '2024-03-01 10:00:00'), (2, TIMESTAMP '2024-03-01 11:00:00')`, 'id, ts'),
      rows(`(1, TIMESTAMP '2024-03-01 12:00:00'), (2, TIMESTAMP '2024-03-01 11:00:00')`, 'id, ts'),
      ['id'],
      { timestamps: 'ms' },
    );
    expect(r.columns.ts).toEqual({
      mismatches: 1,
      samples: [{ key: { id: '1' }, legacy: '2024-03-01T10:00:00.000Z', target: '2024-03-01T12:00:00.000Z' }],
    });
    expect(r.counts.changed).toBe(1);
  });

  it('truncates timestamps to the configured precision and tolerates a unit change', async () => {
    const legacy = rows(`(1, TIMESTAMP '2024-01-01 00:00:00.123456')`, 'id, ts');
    const target = rows(`(1, TIMESTAMP_NS '2024-01-01 00:00:00.123999999')`, 'id, ts');
    const ms = await diff(legacy, target, ['id'], { timestamps: 'ms' });
    expect(ms.verdict).toBe('clean');
    expect(ms.schema.typeChanges).toEqual([{ column: 'ts', legacy: 'TIMESTAMP', target: 'TIMESTAMP_NS', tolerated: true }]);
    const us = await diff(legacy, target, ['id'], { timestamps: 'us' });
    // Truncated, not rounded: .123999999 is .123999 at microseconds.
    expect(us.columns.ts?.samples).toEqual([{ key: { id: '1' }, legacy: '2024-01-01T00:00:00.123456Z', target: '2024-01-01T00:00:00.123999Z' }]);
    expect(us.schema.typeChanges[0]?.tolerated).toBe(false);
  });

  it('compares floats within the absolute tolerance and reports those beyond it', async () => {
    const r = await diff(
      rows(`(1, 1.0::DOUBLE), (2, 1.0::DOUBLE), (3, -0.0::DOUBLE), (4, 'NaN'::DOUBLE)`, 'id, x'),
      rows(`(1, 1.005::DOUBLE), (2, 1.02::DOUBLE), (3, 0.0::DOUBLE), (4, 'NaN'::DOUBLE)`, 'id, x'),
      ['id'],
      { absTolerance: 0.01 },
    );
    expect(r.columns.x).toEqual({ mismatches: 1, samples: [{ key: { id: '2' }, legacy: '1.0', target: '1.02' }] });
  });

  it('compares floats within the relative tolerance', async () => {
    const r = await diff(
      rows(`(1, 1000.0::DOUBLE), (2, 1000.0::DOUBLE), (3, 1e-9::DOUBLE)`, 'id, x'),
      rows(`(1, 1000.5::DOUBLE), (2, 1002.0::DOUBLE), (3, 1.0000001e-9::DOUBLE)`, 'id, x'),
      ['id'],
      { relTolerance: 0.001 },
    );
    expect(r.columns.x?.mismatches).toBe(1);
    expect(r.columns.x?.samples[0]?.key).toEqual({ id: '2' });
  });

  it('reports rows present on one side only', async () => {
    const r = await diff(rows(`(1, 'a'), (2, 'b')`, 'id, name'), rows(`(2, 'b'), (3, 'c')`, 'id, name'));
    expect(r.counts).toEqual({ legacy: 2, target: 2, ...noRowDiffs, onlyLegacy: 1, onlyTarget: 1 });
    expect(r.keySamples.onlyLegacy).toEqual([{ id: '1' }]);
    expect(r.keySamples.onlyTarget).toEqual([{ id: '3' }]);
    expect(r.verdict).toBe('different');
  });

  it('counts a duplicated key on one side and leaves it out of changed', async () => {
    const r = await diff(rows(`(1, 'a'), (2, 'b'), (2, 'b')`, 'id, name'), rows(`(1, 'a'), (2, 'x')`, 'id, name'));
    expect(r.counts).toEqual({ legacy: 3, target: 2, ...noRowDiffs, duplicateKeys: { legacy: 1, target: 0 } });
    expect(r.keySamples.duplicateLegacy).toEqual([{ id: '2' }]);
    expect(r.verdict).toBe('different');
  });

  it('never lets duplicates cancel out, even when both sides hold the same rows', async () => {
    const r = await diff(rows(`(1, 'a'), (1, 'a'), (2, 'b')`, 'id, name'), rows(`(2, 'b'), (1, 'a'), (1, 'a')`, 'id, name'));
    expect(r.counts.duplicateKeys).toEqual({ legacy: 1, target: 1 });
    expect(r.verdict).toBe('different');
  });

  it('counts null keys and keeps them out of matching', async () => {
    const r = await diff(
      rows(`(1, 'x', 'a'), (NULL, 'x', 'b'), (2, NULL, 'c')`, 'id, part, name'),
      rows(`(1, 'x', 'a'), (NULL, 'x', 'b')`, 'id, part, name'),
      ['id', 'part'],
    );
    expect(r.counts).toEqual({ legacy: 3, target: 2, ...noRowDiffs, nullKeys: { legacy: 2, target: 1 } });
    expect(r.verdict).toBe('different');
  });

  it('never finds NULL equal to a value, and NULL equal to NULL', async () => {
    const r = await diff(rows(`(1, NULL), (2, NULL), (3, 'c')`, 'id, name'), rows(`(1, 'a'), (2, NULL), (3, NULL)`, 'id, name'));
    expect(r.columns.name).toEqual({
      mismatches: 2,
      samples: [
        { key: { id: '1' }, legacy: null, target: 'a' },
        { key: { id: '3' }, legacy: 'c', target: null },
      ],
    });
  });

  it('applies trim, ignore-case and ignored columns', async () => {
    const legacy = rows(`(1, ' Alice ', 1), (2, 'bob', 2)`, 'id, name, etl_ts');
    const target = rows(`(1, 'alice', 9), (2, 'BOB', 8)`, 'id, name, etl_ts');
    const loose = await diff(legacy, target, ['id'], { trim: true, ignoreCase: true, ignore: ['etl_ts'] });
    expect(loose.verdict).toBe('clean');
    expect(Object.keys(loose.columns)).toEqual(['name']);
    const strict = await diff(legacy, target, ['id'], { ignore: ['etl_ts'] });
    expect(strict.columns.name?.mismatches).toBe(2);
  });

  it('matches integer keys of different widths and lists key type changes', async () => {
    const r = await diff(rows(`(1::INTEGER, 'a')`, 'id, name'), rows(`(1::BIGINT, 'a')`, 'id, name'));
    expect(r.schema.typeChanges).toEqual([{ column: 'id', legacy: 'INTEGER', target: 'BIGINT', tolerated: true }]);
    expect(r.verdict).toBe('clean');
  });

  it('keeps at most ten samples per column, in key order', async () => {
    const r = await diff(`SELECT i AS id, 'a' AS name FROM range(30) t(i)`, `SELECT i AS id, 'b' AS name FROM range(30) t(i) ORDER BY -i`);
    expect(r.columns.name?.mismatches).toBe(30);
    expect(r.columns.name?.samples.map((s) => s.key.id)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('falls back to the plain join when most keys differ', async () => {
    const [l, t] = [`${dir}/most-l.parquet`, `${dir}/most-t.parquet`];
    await writeFiles({ [l]: `SELECT i AS id, 'a' AS name FROM range(600) t(i)`, [t]: `SELECT i AS id, 'b' AS name FROM range(600) t(i)` });
    const input = { legacy: { path: l, format: 'parquet' as const }, target: { path: t, format: 'parquet' as const }, key: ['id'] };
    const auto = await diffDatasets({ ...input, joinBelowRows: 0 });
    expect(auto.strategy).toBe('checksum→join');
    expect((await diffDatasets(input)).strategy).toBe('join'); // small data: the plain join at once
    expect(auto.counts.changed).toBe(600);
    expect(comparable(auto)).toEqual(comparable(await diffDatasets({ ...input, strategy: 'join' })));
  });

  it('diffs CSV files the same way', async () => {
    const [l, t] = [`${dir}/l.csv`, `${dir}/t.csv`];
    await writeFiles({ [l]: rows(`(1, 'a', 1.5), (2, 'b', 2.5)`, 'id, name, x'), [t]: rows(`(2, 'b', 2.5), (1, 'a', 1.5000001)`, 'id, name, x') }, 'csv');
    const r = await diffAll({ legacy: { path: l, format: 'csv' }, target: { path: t, format: 'csv' }, key: ['id'], options: { absTolerance: 1e-6 } });
    expect(r.verdict).toBe('clean');
    expect(r.counts.legacy).toBe(2);
  });

  it('rejects a key column that one side lacks', async () => {
    await expect(diff(rows(`(1, 'a')`, 'id, name'), rows(`(1, 'a')`, 'key, name'))).rejects.toThrow(/key column "id" is not in the target dataset/);
  });
});
