import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planColumns, resolveOptions } from '../../../src/diff/column-plan.ts';
import { databricksDialect, duckdbDialect, type DiffReport } from '../../../src/diff/index.ts';
import { parseNested, signature } from '../../../src/diff/nested-types.ts';
import { diffAll, tempDir, writeFiles } from './helpers.ts';

/**
 * Maps and structs as Spark writes them (issue 13 item 4): a map's entries compare as a set, a
 * struct field by field by name. Each case has a clean pair and a planted difference, run with
 * every strategy (so the checksum sees the canonical values too).
 */
let dir: string;
let cleanup: () => Promise<void>;
let n = 0;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

async function diff(legacy: string, target: string): Promise<DiffReport> {
  const [l, t] = [`${dir}/l${++n}.parquet`, `${dir}/t${n}.parquet`];
  await writeFiles({ [l]: legacy, [t]: target });
  return diffAll({ legacy: { path: l, format: 'parquet' }, target: { path: t, format: 'parquet' }, key: ['id'] });
}

const LEGACY_MAPS = `SELECT 1 AS id, MAP {'a': 1, 'b': 2, 'c': 3} AS m UNION ALL SELECT 2, MAP {'x': 9} UNION ALL SELECT 3, NULL UNION ALL SELECT 4, MAP {}`;

describe('map columns', () => {
  it('compares entries whatever order they were written in', async () => {
    const r = await diff(LEGACY_MAPS, `SELECT 1 AS id, MAP {'c': 3, 'a': 1, 'b': 2} AS m UNION ALL SELECT 2, MAP {'x': 9} UNION ALL SELECT 3, NULL UNION ALL SELECT 4, MAP {}`);
    expect(r.verdict).toBe('clean');
  });

  it('finds a changed value, a missing entry and NULL against an empty map', async () => {
    const r = await diff(LEGACY_MAPS, `SELECT 1 AS id, MAP {'c': 3, 'a': 1, 'b': 5} AS m UNION ALL SELECT 2, MAP {} UNION ALL SELECT 3, MAP {} UNION ALL SELECT 4, MAP {}`);
    expect(r.columns.m).toEqual({
      mismatches: 3,
      samples: [
        { key: { id: '1' }, legacy: '{a=1, b=2, c=3}', target: '{a=1, b=5, c=3}' },
        { key: { id: '2' }, legacy: '{x=9}', target: '{}' },
        { key: { id: '3' }, legacy: null, target: '{}' },
      ],
    });
  });

  it('compares maps nested in lists and structs the same way', async () => {
    const l = `SELECT 1 AS id, [MAP {'k': 1, 'j': 2}] AS lm, {'tags': MAP {'p': 'x', 'q': 'y'}} AS s`;
    expect((await diff(l, `SELECT 1 AS id, [MAP {'j': 2, 'k': 1}] AS lm, {'tags': MAP {'q': 'y', 'p': 'x'}} AS s`)).verdict).toBe('clean');
    const planted = await diff(l, `SELECT 1 AS id, [MAP {'j': 2, 'k': 1}] AS lm, {'tags': MAP {'q': 'z', 'p': 'x'}} AS s`);
    expect(planted.columns.s?.mismatches).toBe(1);
    expect(planted.columns.lm?.mismatches).toBe(0);
  });
});

describe('struct columns', () => {
  const legacy = `SELECT 1 AS id, {'x': 1, 'y': 'p', 'z': NULL::DOUBLE} AS s UNION ALL SELECT 2, {'x': 2, 'y': 'q', 'z': 1.5} UNION ALL SELECT 3, NULL`;

  it('tolerates fields that only changed order, compared by name', async () => {
    const r = await diff(legacy, `SELECT 1 AS id, {'z': NULL::DOUBLE, 'y': 'p', 'x': 1} AS s UNION ALL SELECT 2, {'z': 1.5, 'y': 'q', 'x': 2} UNION ALL SELECT 3, NULL`);
    expect(r.verdict).toBe('clean');
    expect(r.schema.typeChanges).toEqual([{ column: 's', legacy: 'STRUCT(x INTEGER, y VARCHAR, z DOUBLE)', target: 'STRUCT(z DOUBLE, y VARCHAR, x INTEGER)', tolerated: true }]);
  });

  it('finds a changed field behind the reordering, and then does not tolerate the change', async () => {
    const r = await diff(legacy, `SELECT 1 AS id, {'z': NULL::DOUBLE, 'y': 'p', 'x': 1} AS s UNION ALL SELECT 2, {'z': 1.5, 'y': 'Q', 'x': 2} UNION ALL SELECT 3, {'z': NULL::DOUBLE, 'y': NULL, 'x': NULL}`);
    expect(r.verdict).toBe('different');
    expect(r.schema.typeChanges[0]?.tolerated).toBe(false);
    expect(r.columns.s).toEqual({
      mismatches: 2,
      samples: [
        { key: { id: '2' }, legacy: "{'x': 2, 'y': q, 'z': 1.5}", target: "{'x': 2, 'y': Q, 'z': 1.5}" },
        { key: { id: '3' }, legacy: null, target: "{'x': NULL, 'y': NULL, 'z': NULL}" },
      ],
    });
  });

  it('does not tolerate a field of another type or name', async () => {
    const r = await diff(`SELECT 1 AS id, {'x': 1, 'y': 'p'} AS s`, `SELECT 1 AS id, {'y': 'p', 'x': 1::BIGINT} AS s`);
    expect(r.schema.typeChanges).toEqual([{ column: 's', legacy: 'STRUCT(x INTEGER, y VARCHAR)', target: 'STRUCT(y VARCHAR, x BIGINT)', tolerated: false }]);
    expect(r.columns.s?.mismatches).toBe(0);
  });
});

describe('list columns', () => {
  it('finds lists that DuckDB hashes alike ([NULL] and [], [[1],[2]] and [[1,2]]) on every strategy', async () => {
    const l = `SELECT 1 AS id, [NULL]::INTEGER[] AS a, [[1], [2]] AS b UNION ALL SELECT 2, [3], [[4]]`;
    expect((await diff(l, l)).verdict).toBe('clean');
    const r = await diff(l, `SELECT 1 AS id, []::INTEGER[] AS a, [[1, 2]] AS b UNION ALL SELECT 2, [3], [[4]]`);
    expect([r.columns.a?.mismatches, r.columns.b?.mismatches]).toEqual([1, 1]);
  });
});

describe('nested types in both dialects', () => {
  it('parses DuckDB and Databricks type text to the same signature', () => {
    expect(signature(parseNested('STRUCT(x INTEGER, "a b" MAP(VARCHAR, BIGINT[]))'))).toBe(signature(parseNested('struct<`a b`:map<string,array<bigint>>,x:int>')));
    expect(parseNested('DECIMAL(18,2)')).toEqual({ kind: 'scalar', raw: 'DECIMAL(18,2)' });
    expect(signature(parseNested('STRUCT(x INTEGER)[]'))).toBe(signature(parseNested('array<struct<x:int>>')));
  });

  it('canonicalises a map and a struct in Databricks SQL (Spark cannot compare maps: sorted entry arrays)', () => {
    const o = resolveOptions();
    const p = planColumns(
      databricksDialect,
      [{ name: 'id', type: 'bigint' }, { name: 'm', type: 'map<string,int>' }, { name: 's', type: 'struct<b:string,a:int>' }],
      [{ name: 'id', type: 'bigint' }, { name: 'm', type: 'map<string,int>' }, { name: 's', type: 'struct<a:int,b:string>' }],
      ['id'],
      o,
    );
    const [m, s] = p.columns;
    expect(m?.canonLegacy).toBe('array_sort(map_entries(`m`))');
    expect(s?.canonLegacy).toBe("CASE WHEN `s` IS NULL THEN NULL ELSE named_struct('a', `s`.`a`, 'b', `s`.`b`) END");
    expect(s?.canonTarget).toBe(s?.canonLegacy);
    expect(s?.plan).toMatchObject({ kind: 'nested', compatible: true, sameType: false });
    const duck = planColumns(duckdbDialect, [{ name: 'id', type: 'BIGINT' }, { name: 'm', type: 'MAP(VARCHAR, INTEGER)' }], [{ name: 'id', type: 'BIGINT' }, { name: 'm', type: 'MAP(VARCHAR, INTEGER)' }], ['id'], o);
    expect(duck.columns[0]?.canonLegacy).toBe('map_from_entries(list_sort(map_entries("m")))');
  });
});
