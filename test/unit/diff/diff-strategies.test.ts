import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffDatasets, type CompareOptions, type DiffInput, type DiffReport } from '../../../src/diff/index.ts';
import { expectedPath } from '../../../src/diff/checksum-strategy.ts';
import { comparable, prng, tempDir, writeFiles } from './helpers.ts';

/**
 * Property test: random small datasets (duplicates, null keys, NULL values, floats near the
 * tolerance, rows on one side) diffed by every strategy, with tiny bucket counts so buckets
 * are shared by many keys. All must equal an independent reference computed in JS.
 */
interface Row {
  id: number | null;
  part: string | null;
  s: string | null;
  x: number | null;
  cents: number | null;
  ts: number | null;
}

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

function randomRows(rand: () => number): { legacy: Row[]; target: Row[] } {
  const pick = <T>(items: T[]) => items[Math.floor(rand() * items.length)] as T;
  const maybeNull = <T>(v: T, p = 0.08) => (rand() < p ? null : v);
  const legacy: Row[] = Array.from({ length: Math.floor(rand() * 40) }, () => ({
    id: maybeNull(Math.floor(rand() * 25), 0.05),
    part: maybeNull(pick(['a', 'b']), 0.03),
    s: maybeNull(pick(['x', 'y', 'z', 'Zed'])),
    x: maybeNull(Math.round(rand() * 10000) / 100),
    cents: maybeNull(Math.floor(rand() * 100000) - 50000),
    ts: maybeNull(1_700_000_000_000_000 + Math.floor(rand() * 1e9)),
  }));
  const target: Row[] = [];
  for (const row of legacy) {
    const r = rand();
    if (r < 0.1) continue; // dropped
    const copy = { ...row };
    if (r < 0.2) copy.s = pick(['x', 'y', null]);
    else if (r < 0.3 && copy.x !== null) copy.x = copy.x + pick([0.004, -0.009, 0.5, 0.011]);
    else if (r < 0.35) copy.cents = (copy.cents ?? 0) + 1;
    else if (r < 0.4) copy.ts = copy.ts === null ? 1 : copy.ts + pick([1, 1000, 3_600_000_000]);
    target.push(copy);
    if (rand() < 0.05) target.push({ ...copy }); // duplicated on the target only
  }
  for (let i = 0; i < rand() * 4; i++) target.push({ id: 100 + i, part: 'a', s: 'new', x: 1, cents: 1, ts: 1 });
  target.sort(() => rand() - 0.5);
  return { legacy, target };
}

const lit = (v: number | string | null, type: string) => (v === null ? `NULL::${type}` : `CAST('${v}' AS ${type})`);
function toSql(rows: Row[]): string {
  const empty = `SELECT NULL::INTEGER AS id, NULL::VARCHAR AS part, NULL::VARCHAR AS s, NULL::DOUBLE AS x, NULL::DECIMAL(12,2) AS d, NULL::TIMESTAMP AS ts WHERE false`;
  if (rows.length === 0) return empty;
  const values = rows.map(
    (r) => `(${lit(r.id, 'INTEGER')}, ${lit(r.part, 'VARCHAR')}, ${lit(r.s, 'VARCHAR')}, ${lit(r.x, 'DOUBLE')}, ` +
      `${r.cents === null ? 'NULL::DECIMAL(12,2)' : `CAST(${r.cents} AS DECIMAL(12,2)) / 100`}, ${r.ts === null ? 'NULL::TIMESTAMP' : `make_timestamp(${r.ts}::BIGINT)`})`,
  );
  return `SELECT id, part, s, x, CAST(d AS DECIMAL(12,2)) AS d, ts FROM (VALUES ${values.join(', ')}) v(id, part, s, x, d, ts)`;
}

/** The report's counts and per-column mismatches, computed naively in JS. */
function reference(legacy: Row[], target: Row[], abs: number) {
  const byKey = (rows: Row[]) => {
    const m = new Map<string, Row[]>();
    for (const r of rows) if (r.id !== null && r.part !== null) m.set(`${r.id}|${r.part}`, [...(m.get(`${r.id}|${r.part}`) ?? []), r]);
    return m;
  };
  const [l, t] = [byKey(legacy), byKey(target)];
  const eqX = (a: number | null, b: number | null) => (a === null || b === null ? a === b : a === b || Math.abs(a - b) <= abs);
  const mismatches = { s: 0, x: 0, d: 0, ts: 0 };
  let changed = 0;
  for (const [k, [lr, ...lrest]] of l) {
    const tr = t.get(k);
    if (!lr || lrest.length > 0 || !tr || tr.length !== 1) continue;
    const [o] = tr as [Row];
    const diff = { s: lr.s !== o.s, x: !eqX(lr.x, o.x), d: lr.cents !== o.cents, ts: lr.ts !== o.ts };
    for (const c of Object.keys(diff) as (keyof typeof diff)[]) if (diff[c]) mismatches[c]++;
    if (Object.values(diff).some(Boolean)) changed++;
  }
  const nulls = (rows: Row[]) => rows.filter((r) => r.id === null || r.part === null).length;
  return {
    counts: {
      legacy: legacy.length,
      target: target.length,
      onlyLegacy: [...l.keys()].filter((k) => !t.has(k)).length,
      onlyTarget: [...t.keys()].filter((k) => !l.has(k)).length,
      changed,
      duplicateKeys: { legacy: [...l.values()].filter((v) => v.length > 1).length, target: [...t.values()].filter((v) => v.length > 1).length },
      nullKeys: { legacy: nulls(legacy), target: nulls(target) },
    },
    mismatches,
  };
}

describe('checksum strategies against the plain join and a JS reference', () => {
  // Every strategy runs on every pair; 16 seeds still produce every kind of difference (asserted below).
  it('agree on 16 random dataset pairs', async () => {
    const seen = { onlyLegacy: 0, onlyTarget: 0, changed: 0, dupTarget: 0, nullKeys: 0, floatBeyondTolerance: 0 };
    for (let seed = 1; seed <= 16; seed++) {
      const rand = prng(seed);
      const { legacy, target } = randomRows(rand);
      const [l, t] = [`${dir}/l${seed}.parquet`, `${dir}/t${seed}.parquet`];
      await writeFiles({ [l]: toSql(legacy), [t]: toSql(target) });
      const options: CompareOptions = { absTolerance: 0.01 };
      const base: DiffInput = { legacy: { path: l, format: 'parquet' }, target: { path: t, format: 'parquet' }, key: ['id', 'part'], options, joinBelowRows: 0 };
      const runs: Partial<DiffInput>[] = [
        { strategy: 'join' },
        { strategy: 'auto' },
        { strategy: 'buckets', buckets: 2 },
        { strategy: 'keys', buckets: 2 },
        { strategy: 'keys', buckets: 4, switchFraction: 1 },
        // The last run's share of differing keys picks the path: slim rows first, or the join.
        { strategy: 'auto', buckets: 4, expectedShare: 0.45, rereadFraction: 0, joinFraction: 10 },
        { strategy: 'auto', expectedShare: 0.6 },
        // 3 buckets round up to 4: a bucket is the top bits of the key hash.
        { strategy: 'auto', buckets: 3, switchFraction: 0.1, joinFraction: 10 },
      ];
      const reports: DiffReport[] = [];
      for (const run of runs) reports.push(await diffDatasets({ ...base, ...run }));
      const [join, ...others] = reports as [DiffReport, ...DiffReport[]];
      for (const r of others) expect(comparable(r), `seed ${seed}, ${r.strategy}`).toEqual(comparable(join));
      expect(reports.at(-1)?.buckets?.total).toBe(4);
      // Each branch really ran: whole differing buckets re-read, and differing keys named first.
      expect(reports.map((r) => r.strategy).slice(2, 5)).toEqual(['checksum', expect.stringMatching(/^checksum\+(rows|keys)$/), 'checksum+keys']);
      // Empty on both sides, no bucket can differ: the bucket pass is right then.
      const slimFirst = legacy.length + target.length > 0 ? /^slim\+(rows|keys)$/ : /^checksum/;
      expect(reports.map((r) => r.strategy).slice(5, 7)).toEqual([expect.stringMatching(slimFirst), 'expected→join']);
      const ref = reference(legacy, target, 0.01);
      expect(join.counts, `seed ${seed}`).toEqual(ref.counts);
      const mm = Object.fromEntries(Object.entries(join.columns).map(([c, v]) => [c, v.mismatches]));
      expect(mm, `seed ${seed}`).toEqual(ref.mismatches);
      seen.onlyLegacy += ref.counts.onlyLegacy;
      seen.onlyTarget += ref.counts.onlyTarget;
      seen.changed += ref.counts.changed;
      seen.dupTarget += ref.counts.duplicateKeys.target;
      seen.nullKeys += ref.counts.nullKeys.legacy;
      seen.floatBeyondTolerance += ref.mismatches.x;
    }
    // The generator must actually produce every kind of difference.
    for (const [kind, n] of Object.entries(seen)) expect(n, kind).toBeGreaterThan(0);
  }, 120_000);
});

describe('second read and null keys on the checksum path', () => {
  const diffBoth = async (name: string, legacy: string, target: string, key = ['id']) => {
    const [l, t] = [`${dir}/${name}-l.parquet`, `${dir}/${name}-t.parquet`];
    await writeFiles({ [l]: legacy, [t]: target });
    const base: DiffInput = { legacy: { path: l, format: 'parquet' }, target: { path: t, format: 'parquet' }, key, joinBelowRows: 0 };
    const join = await diffDatasets({ ...base, strategy: 'join' });
    for (const strategy of ['auto', 'buckets', 'keys'] as const) {
      const r = await diffDatasets({ ...base, strategy });
      expect(comparable(r), `${name} ${strategy}`).toEqual(comparable(join));
    }
    return join;
  };
  // 20,000 rows; `changed` of them get another amount, plus one row dropped and one added.
  const sides = (changed: number, keyExpr = 'i') => [
    `SELECT ${keyExpr} AS id, 'n' || i AS name, i * 1.5 AS amount FROM range(20000) t(i)`,
    `SELECT ${keyExpr} AS id, 'n' || i AS name, CASE WHEN i % 97 = 5 AND i < ${changed * 97} THEN -1.0 ELSE i * 1.5 END AS amount
       FROM range(1, 20001) t(i) ORDER BY hash(i)`,
  ];

  it('reads differing rows back by a literal key list (few keys) and by a semi-join (many), with the same report', async () => {
    const [fewL, fewT] = sides(5);
    const few = await diffBoth('few', fewL as string, fewT as string);
    expect(few.counts).toMatchObject({ changed: 5, onlyLegacy: 1, onlyTarget: 1 });
    const [manyL, manyT] = sides(150);
    const many = await diffBoth('many', manyL as string, manyT as string);
    expect(many.counts).toMatchObject({ changed: 150, onlyLegacy: 1, onlyTarget: 1 });
    expect(many.columns.amount?.mismatches).toBe(150);
    // String keys take the literal list too; a cast key (INTEGER vs BIGINT) always the semi-join.
    const [strL, strT] = sides(5, `'k' || i`);
    expect((await diffBoth('str', strL as string, strT as string)).counts.changed).toBe(5);
    const [castL] = sides(5, 'i::INTEGER');
    const [, castT] = sides(5, 'i::BIGINT');
    expect((await diffBoth('cast', castL as string, castT as string)).counts.changed).toBe(5);
  });

  it('re-reads differing buckets past 16 bits of bucket (no bitmap there) with the same report', async () => {
    const [l, t] = sides(5);
    const join = await diffBoth('wide', l as string, t as string);
    const base: DiffInput = { legacy: { path: `${dir}/wide-l.parquet`, format: 'parquet' }, target: { path: `${dir}/wide-t.parquet`, format: 'parquet' }, key: ['id'], joinBelowRows: 0 };
    const wide = await diffDatasets({ ...base, strategy: 'buckets', buckets: 2 ** 17 });
    expect(wide.buckets).toEqual({ total: 2 ** 17, differing: 7 });
    expect(comparable(wide)).toEqual(comparable(join));
  });

  it('counts NULL keys when only one Parquet side has them', async () => {
    const clean = `SELECT i AS id, i AS part, 'v' || i AS v FROM range(3000) t(i)`;
    const nulls = `SELECT CASE WHEN i IN (7, 8) THEN NULL ELSE i END AS id, CASE WHEN i = 9 THEN NULL ELSE i END AS part, 'v' || i AS v FROM range(3000) t(i)`;
    const a = await diffBoth('nl', nulls, clean, ['id', 'part']);
    expect(a.counts).toMatchObject({ nullKeys: { legacy: 3, target: 0 }, onlyTarget: 3, onlyLegacy: 0, changed: 0 });
    const b = await diffBoth('nt', clean, nulls, ['id', 'part']);
    expect(b.counts).toMatchObject({ nullKeys: { legacy: 0, target: 3 }, onlyLegacy: 3, onlyTarget: 0, changed: 0 });
  });
});

describe('the path an expected share of differing keys picks', () => {
  const s = { rereadFraction: 0.1, joinFraction: 0.5 };
  const at10M = (share: number) => expectedPath({ share, rows: 10_000_000 }, 65_536, s);
  it('keeps the bucket pass while few buckets would differ, and skips it past the re-read', () => {
    expect([0, 0.0001, 0.0006].map(at10M)).toEqual(['buckets', 'buckets', 'buckets']);
    // 0.07 % of 10M keys fill 1 - e^-1.07 ≈ 10.1 % of 64K buckets: past rereadFraction.
    expect([0.0007, 0.01, 0.1, 0.5].map(at10M)).toEqual(['slim', 'slim', 'slim', 'slim']);
    expect(at10M(0.51)).toBe('join');
  });
});
