import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffDatasets, type CompareOptions, type DiffInput, type DiffReport } from '../../../src/diff/index.ts';
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
  it('agree on 40 random dataset pairs', async () => {
    const seen = { onlyLegacy: 0, onlyTarget: 0, changed: 0, dupTarget: 0, nullKeys: 0, floatBeyondTolerance: 0 };
    for (let seed = 1; seed <= 40; seed++) {
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
        { strategy: 'auto', buckets: 4, switchFraction: 0.1, joinFraction: 10 },
      ];
      const reports: DiffReport[] = [];
      for (const run of runs) reports.push(await diffDatasets({ ...base, ...run }));
      const [join, ...others] = reports as [DiffReport, ...DiffReport[]];
      for (const r of others) expect(comparable(r), `seed ${seed}, ${r.strategy}`).toEqual(comparable(join));
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
