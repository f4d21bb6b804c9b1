import type { DiffPlan } from './column-plan.ts';
import { runDetailLevels, toCount, type DetailResult } from './detail-level.ts';
import { duckdbDialect as d } from './duckdb-dialect.ts';
import type { DuckDbSession } from './duckdb-session.ts';
import { canonicalRowsSql, differingBucketsSql, keyNotNull, keyParts, rowHashSql, type Side } from './level-sql.ts';
import type { ResolvedOptions } from './sql-dialect.ts';

export interface Totals {
  legacy: number;
  target: number;
  nullLegacy: number;
  nullTarget: number;
}

export interface StrategyResult {
  totals: Totals;
  detail: DetailResult;
  strategy: string;
  buckets?: { total: number; differing: number };
}

export interface Ctx {
  db: DuckDbSession;
  plan: DiffPlan;
  options: ResolvedOptions;
  legacy: string;
  target: string;
}

export interface ChecksumSettings {
  mode: 'auto' | 'buckets' | 'keys';
  buckets: number;
  /** Above this fraction of differing buckets, differing keys come from a row-level join. */
  switchFraction: number;
  /** Above this estimated fraction of differing keys, the plain join is cheaper. */
  joinFraction: number;
}

const keyHash = (p: DiffPlan, side: Side) => `hash(${keyParts(p, side).join(', ')})`;
/** 16 bits of bucket + 1 for NULL, and some slack. */
const PERFECT_HT_BITS = 18;
/** Bits of key hash that pick a bucket: `buckets` rounded up to a power of two. */
const bucketBits = (buckets: number) => Math.min(32, Math.max(1, Math.ceil(Math.log2(buckets))));
/**
 * The bucket of a key hash: its top bits. A shift costs less than a modulo (0.25 s instead of
 * 0.30–0.37 s to aggregate 2 × 10M slim rows), and a small type lets DuckDB use a perfect hash
 * aggregate.
 */
const bucketOf = (kh: string, bits: number) => `CAST(${kh} >> ${64 - bits} AS ${bits <= 16 ? 'USMALLINT' : 'UINTEGER'})`;
/** Up to this many differing keys, the second read filters by a literal list (see rereadFilter). */
const LITERAL_KEYS = 48;

/**
 * The second read's filter. DuckDB pushes `hash(key) IN (literals)` into the Parquet scan when
 * the key is one plain column: the scan then decodes the other columns only near matching rows
 * (at 10M rows, 4 keys 0.10 s and 16 keys 0.18 s a side, against 0.37–0.40 s for a semi-join).
 * The list is checked element by element, so at LITERAL_KEYS keys it costs what the semi-join
 * does; past that, or for keys it cannot push (several columns, a cast), the semi-join is used.
 */
async function rereadFilter(ctx: Ctx, side: Side, keys: number): Promise<string> {
  const [key, ...more] = ctx.plan.keys;
  const plainColumn = key !== undefined && more.length === 0 && (side === 'legacy' ? key.canonLegacy : key.canonTarget) === d.quote(key.name);
  if (keys > LITERAL_KEYS || !plainColumn) return `${keyHash(ctx.plan, side)} IN (SELECT kh FROM diff_dk)`;
  const rows = await ctx.db.all('SELECT kh FROM diff_dk');
  const list = rows.filter((r) => r.kh !== null).map((r) => `${String(r.kh)}::UBIGINT`);
  return `${keyHash(ctx.plan, side)} IN (${list.join(', ')})`;
}
const slim = { legacy: 'diff_sl', target: 'diff_st' } as const;

/** The detail levels keep their intermediate results in DuckDB temp tables. */
export function detailIn(ctx: Ctx, legacyRows: string, targetRows: string): Promise<DetailResult> {
  return runDetailLevels({
    dialect: d,
    plan: ctx.plan,
    options: ctx.options,
    legacyRows,
    targetRows,
    query: (sql) => ctx.db.all(sql),
    materialise: async (name, sql) => {
      await ctx.db.run(`CREATE OR REPLACE TEMP TABLE ${name} AS ${sql}`);
      return name;
    },
  });
}

/**
 * Checksum first (README.md has the reasoning and the measurements):
 * 1. one scan per side keeps a slim row (key hash, row hash) — the only full read;
 * 2. per key bucket, count + sum of row hashes (a perfect hash aggregate); equal buckets hold
 *    the same multiset of canonical rows (up to a 64-bit hash collision) and are done;
 * 3. in differing buckets, per-key counts and sums name the differing keys (a row-level join
 *    when most buckets differ); duplicated keys always count as differing;
 * 4. only the rows of those keys are read again (see rereadFilter) and go through the
 *    detailed levels.
 * Returns undefined when so many keys differ that the plain join is cheaper.
 */
export async function runChecksumStrategy(ctx: Ctx, s: ChecksumSettings): Promise<StrategyResult | undefined> {
  const { db, plan, options: o } = ctx;
  // Buckets fit a USMALLINT, so DuckDB can aggregate them in a perfect hash table, indexed by
  // bucket (~2.5x faster than its default hash aggregate); its default limit is 12 bits.
  await db.run(`SET perfect_ht_threshold = ${PERFECT_HT_BITS}`);
  for (const side of ['legacy', 'target'] as const) {
    const kh = `CASE WHEN ${keyNotNull(plan, side)} THEN ${keyHash(plan, side)} END`;
    await db.run(`CREATE TEMP TABLE ${slim[side]} AS SELECT ${kh} AS kh, ${rowHashSql(d, plan, side, o)} AS rh FROM ${ctx[side]}`);
  }
  const totals = async (t: string) => db.one(`SELECT count(*) AS n, count(*) - count(kh) AS nulls FROM ${t}`);
  const [l, t] = [await totals(slim.legacy), await totals(slim.target)];
  const result = { legacy: toCount(l.n), target: toCount(t.n), nullLegacy: toCount(l.nulls), nullTarget: toCount(t.nulls) };
  const bits = bucketBits(s.buckets);
  const total = 2 ** bits;
  // NULL keys fall into bucket NULL, which differingBucketsSql leaves out.
  const bucketSums = (t: string) => `(SELECT ${bucketOf('kh', bits)} AS b, count(*) AS n, sum(rh) AS s FROM ${t} GROUP BY b)`;
  await db.run(`CREATE TEMP TABLE diff_db AS ${differingBucketsSql(bucketSums(slim.legacy), bucketSums(slim.target))}`);
  const differing = toCount((await db.one('SELECT count(*) AS n FROM diff_db')).n);
  const buckets = { total, differing };
  const rowLevel = s.mode === 'keys' || (s.mode === 'auto' && differing > s.switchFraction * total);

  const dups = [await duplicateKeys(ctx, 'legacy'), ...(rowLevel ? [await duplicateKeys(ctx, 'target')] : [])];
  const inBuckets = (t: string) => `(SELECT * FROM ${t} WHERE ${bucketOf('kh', bits)} IN (SELECT b FROM diff_db))`;
  const forced = dups.filter(Boolean).map((t) => `SELECT kh FROM ${t}`);
  if (rowLevel && s.mode === 'auto') {
    // Differing keys fall into buckets at random: from the share of differing buckets, Poisson
    // occupancy estimates how many keys differ. Near 100 % that says little, so count on 1/64.
    const share = differing / total;
    const estimate =
      share < 0.99
        ? -total * Math.log(1 - share)
        : 64 * toCount((await db.one(`SELECT count(*) AS n FROM (${rowLevelKeysSql(inBuckets, dups, ' AND kh % 64 = 0')}) x`)).n);
    if (estimate / Math.max(1, result.legacy, result.target) > s.joinFraction) return undefined;
  }
  const differingSql = rowLevel ? rowLevelKeysSql(inBuckets, dups) : perKeySql(inBuckets);
  await db.run(`CREATE TEMP TABLE diff_dk AS SELECT DISTINCT kh FROM (${[differingSql, ...forced].join(' UNION ALL ')}) x`);
  const keys = toCount((await db.one('SELECT count(*) AS n FROM diff_dk')).n);
  for (const side of ['legacy', 'target'] as const) {
    // With nothing to look at, skip the second read entirely.
    const filter = keys === 0 ? 'false' : await rereadFilter(ctx, side, keys);
    await db.run(`CREATE TEMP TABLE diff_d${side[0]} AS ${canonicalRowsSql(plan, side, ctx[side], filter)}`);
  }
  const detail = await detailIn(ctx, 'diff_dl', 'diff_dt');
  return { totals: result, detail, strategy: rowLevel ? 'checksum+rows' : 'checksum', buckets };
}

/** Keys whose (row count, hash sum) differ; handles duplicates, costs a GROUP BY per side. */
function perKeySql(inBuckets: (t: string) => string): string {
  const perKey = (t: string) => `(SELECT kh, count(*) AS n, sum(rh) AS s FROM ${inBuckets(t)} x WHERE kh IS NOT NULL GROUP BY kh)`;
  return `SELECT coalesce(l.kh, t.kh) AS kh FROM ${perKey(slim.legacy)} l FULL OUTER JOIN ${perKey(slim.target)} t
    ON l.kh = t.kh WHERE l.n IS DISTINCT FROM t.n OR l.s IS DISTINCT FROM t.s`;
}

/** Row-level join on the key hash; duplicated keys are left out here (they are forced in). */
function rowLevelKeysSql(inBuckets: (t: string) => string, dups: (string | undefined)[], sample = ''): string {
  const notDup = dups.filter(Boolean).map((t) => ` AND kh NOT IN (SELECT kh FROM ${t})`).join('') + sample;
  const rows = (t: string) => `(SELECT kh, rh FROM ${inBuckets(t)} x WHERE kh IS NOT NULL${notDup})`;
  return `SELECT coalesce(l.kh, t.kh) AS kh FROM ${rows(slim.legacy)} l FULL OUTER JOIN ${rows(slim.target)} t
    ON l.kh = t.kh WHERE l.rh IS DISTINCT FROM t.rh`;
}

/**
 * Key hashes that occur more than once on a side (a hash collision only adds a key to the
 * detailed levels, which then count by the real key). A single integer key is first checked
 * with a bitmap, a fraction of a GROUP BY's cost. Returns the table name, or undefined.
 */
async function duplicateKeys(ctx: Ctx, side: Side): Promise<string | undefined> {
  const { db, plan } = ctx;
  const [key] = plan.keys;
  const type = side === 'legacy' ? key?.legacy : key?.target;
  if (plan.keys.length === 1 && key && type?.family === 'integer' && !type.wide) {
    const col = d.quote(key.name);
    const r = await db.one(`SELECT min(${col}) AS lo, max(${col}) AS hi, count(${col}) AS n FROM ${ctx[side]}`);
    if (toCount(r.n) === 0) return undefined;
    const [lo, hi] = [BigInt(String(r.lo)), BigInt(String(r.hi))];
    if (hi - lo < 2n ** 28n) {
      const bits = await db.one(`SELECT bit_count(bitstring_agg(${col}, ${lo}, ${hi})) AS n FROM ${ctx[side]} WHERE ${col} IS NOT NULL`);
      if (toCount(bits.n) === toCount(r.n)) return undefined;
    }
  }
  const table = `diff_dup_${side[0]}`;
  await db.run(`CREATE TEMP TABLE ${table} AS SELECT kh FROM ${slim[side]} WHERE kh IS NOT NULL GROUP BY kh HAVING count(*) > 1`);
  return toCount((await db.one(`SELECT count(*) AS n FROM ${table}`)).n) > 0 ? table : undefined;
}
