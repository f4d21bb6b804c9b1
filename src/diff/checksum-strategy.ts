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
  /** A side's own filtered relation (RegisteredDataset.filtered), used by the second reads. */
  filtered?: Partial<Record<Side, (filter: string) => string>>;
}

/** The side's rows for a second read filtered by `filter`: its own filtered relation if it has one, else its view (filtered again by the caller). */
const rowsFor = (ctx: Ctx, side: Side, filter: string) => ctx.filtered?.[side]?.(filter) ?? ctx[side];

export interface ChecksumSettings {
  /** `buckets` forces re-reading differing buckets whole; `keys` forces naming differing keys first. */
  mode: 'auto' | 'buckets' | 'keys';
  buckets: number;
  /** Up to this fraction of differing buckets, `auto` re-reads those buckets' rows whole. */
  rereadFraction: number;
  /** When keys are named first: above this fraction of differing buckets, by a row-level join. */
  switchFraction: number;
  /** Above this estimated fraction of differing keys, the plain join is cheaper. */
  joinFraction: number;
  /**
   * The share of keys expected to differ (the last parallel run's), with `rows`, the larger
   * side's row count. When it predicts more differing buckets than the re-read handles, `auto`
   * keeps slim rows from the first read instead of paying a separate bucket pass.
   */
  expected?: { share: number; rows: number };
}

const keyHash = (p: DiffPlan, side: Side) => `hash(${keyParts(p, side).join(', ')})`;
/** 16 bits of bucket + 1 for NULL, and some slack. */
const PERFECT_HT_BITS = 18;
/** Bits of key hash that pick a bucket: `buckets` rounded up to a power of two. */
const bucketBits = (buckets: number) => Math.min(32, Math.max(1, Math.ceil(Math.log2(buckets))));
/**
 * The bucket of a key hash: its top bits. A shift costs less than a modulo, and a small type
 * lets DuckDB use a perfect hash aggregate.
 */
const bucketOf = (kh: string, bits: number) => `CAST(${kh} >> ${64 - bits} AS ${bits <= 16 ? 'USMALLINT' : 'UINTEGER'})`;
/** Up to this many differing keys, the second read filters by a literal list (see keyFilter). */
const LITERAL_KEYS = 48;
const SIDES = ['legacy', 'target'] as const;
const sums = { legacy: 'diff_bl', target: 'diff_bt' } as const;
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
 * 1. one scan per side sums row hashes per key bucket (a perfect hash aggregate); equal buckets
 *    hold the same multiset of canonical rows (up to a 64-bit hash collision) and are done;
 * 2. few differing buckets: their rows (and those of keys duplicated in legacy) are read again
 *    whole; per-key sums among them name the differing keys, whose rows alone go through the
 *    detailed levels;
 * 3. many: one more scan per side keeps a slim row (key hash, row hash), whose per-key counts
 *    and sums in differing buckets (or a row-level join) name the differing keys; only their
 *    rows are read again.
 * When the last run says most buckets will differ (`expected`), step 1 is skipped: the first
 * read keeps the slim rows of step 3 and the bucket sums come from them (`slim+keys`,
 * `slim+rows`).
 * When so many keys differ that the plain join is cheaper, returns the label to run it under:
 * `checksum→join` after the buckets said so, `expected→join` when the last run did.
 */
export async function runChecksumStrategy(ctx: Ctx, s: ChecksumSettings): Promise<StrategyResult | string> {
  const { db, plan } = ctx;
  // Buckets fit a USMALLINT, so DuckDB can aggregate them in a perfect hash table, indexed by
  // bucket (~2.5x faster than its default hash aggregate); its default limit is 12 bits.
  await db.run(`SET perfect_ht_threshold = ${PERFECT_HT_BITS}`);
  const bits = bucketBits(s.buckets);
  const total = 2 ** bits;
  const firstRead = s.mode === 'auto' && s.expected ? expectedPath(s.expected, total, s) : 'buckets';
  if (firstRead === 'join') return 'expected→join';
  if (firstRead === 'slim') {
    await keepSlimRows(ctx);
    for (const side of SIDES) {
      await db.run(`CREATE TEMP TABLE ${sums[side]} AS SELECT ${bucketOf('kh', bits)} AS b, count(*) AS n, sum(rh) AS s FROM ${slim[side]} GROUP BY b`);
    }
  } else {
    for (const side of SIDES) {
      // NULL keys fall into bucket NULL, which differingBucketsSql leaves out.
      const b = `CASE WHEN ${keyNotNull(plan, side)} THEN ${bucketOf(keyHash(plan, side), bits)} END`;
      await db.run(`CREATE TEMP TABLE ${sums[side]} AS SELECT ${b} AS b, count(*) AS n, sum(${rowHashSql(d, plan, side, ctx.options)}) AS s FROM ${ctx[side]} GROUP BY 1`);
    }
  }
  const counts = async (t: string) => db.one(`SELECT coalesce(sum(n), 0) AS n, coalesce(sum(n) FILTER (WHERE b IS NULL), 0) AS nulls FROM ${t}`);
  const [l, t] = [await counts(sums.legacy), await counts(sums.target)];
  const totals = { legacy: toCount(l.n), target: toCount(t.n), nullLegacy: toCount(l.nulls), nullTarget: toCount(t.nulls) };
  await db.run(`CREATE TEMP TABLE diff_db AS ${differingBucketsSql(sums.legacy, sums.target)}`);
  const differing = toCount((await db.one('SELECT count(*) AS n FROM diff_db')).n);
  const buckets = { total, differing };
  const share = differing / total;
  // With slim rows already kept, naming keys from them beats reading buckets a third time.
  if (firstRead === 'buckets' && (s.mode === 'buckets' || (s.mode === 'auto' && share <= s.rereadFraction))) {
    return { totals, detail: await rereadBuckets(ctx, bits), strategy: 'checksum', buckets };
  }
  // Differing keys fall into buckets at random: from the share of differing buckets, Poisson
  // occupancy estimates how many keys differ. Near 100 % that says little: count on 1/64 below.
  const tooMany = (estimate: number) => s.mode === 'auto' && estimate / Math.max(1, totals.legacy, totals.target) > s.joinFraction;
  if (share < 0.99 && tooMany(-total * Math.log(1 - share))) return 'checksum→join';
  if (firstRead === 'buckets') await keepSlimRows(ctx);
  const rowLevel = differing > s.switchFraction * total;
  const dups = [await duplicateKeys(ctx, 'legacy', slim.legacy), ...(rowLevel ? [await duplicateKeys(ctx, 'target', slim.target)] : [])];
  const inBuckets = (t: string) => `(SELECT * FROM ${t} WHERE ${bucketOf('kh', bits)} IN (SELECT b FROM diff_db))`;
  if (s.mode === 'auto' && share >= 0.99) {
    const sample = toCount((await db.one(`SELECT count(*) AS n FROM (${rowLevelKeysSql(inBuckets, dups, ' AND kh % 64 = 0')}) x`)).n);
    if (tooMany(64 * sample)) return 'checksum→join';
  }
  const forced = dups.filter(Boolean).map((t) => `SELECT kh FROM ${t}`);
  const differingSql = rowLevel ? rowLevelKeysSql(inBuckets, dups) : perKeySql(inBuckets);
  await db.run(`CREATE TEMP TABLE diff_dk AS SELECT DISTINCT kh FROM (${[differingSql, ...forced].join(' UNION ALL ')}) x`);
  const keys = toCount((await db.one('SELECT count(*) AS n FROM diff_dk')).n);
  for (const side of SIDES) {
    // With nothing to look at, skip the second read entirely.
    const filter = keys === 0 ? 'false' : await keyFilter(ctx, side, keys);
    await db.run(`CREATE TEMP TABLE diff_d${side[0]} AS ${canonicalRowsSql(plan, side, rowsFor(ctx, side, filter), filter)}`);
  }
  const detail = await detailIn(ctx, 'diff_dl', 'diff_dt');
  const path = rowLevel ? 'rows' : 'keys';
  return { totals, detail, strategy: firstRead === 'slim' ? `slim+${path}` : `checksum+${path}`, buckets };
}

/**
 * The path an expected share of differing keys calls for: as many differing keys as the
 * plain join's threshold → the join at once; more differing buckets (Poisson occupancy) than
 * the re-read handles → slim rows from the first read (a separate bucket pass would be wasted:
 * at 10M rows it is ~1 s of a 5–7 s diff); else the bucket pass. A wrong guess costs time,
 * never correctness: every path finds every difference.
 */
export function expectedPath(expected: { share: number; rows: number }, buckets: number, s: Pick<ChecksumSettings, 'rereadFraction' | 'joinFraction'>): 'join' | 'slim' | 'buckets' {
  if (expected.share > s.joinFraction) return 'join';
  const bucketShare = 1 - Math.exp((-expected.share * expected.rows) / buckets);
  return bucketShare > s.rereadFraction ? 'slim' : 'buckets';
}

/** One scan per side keeps a slim row (key hash, NULL for a NULL key; row hash) in a temp table. */
async function keepSlimRows(ctx: Ctx): Promise<void> {
  for (const side of SIDES) {
    const kh = `CASE WHEN ${keyNotNull(ctx.plan, side)} THEN ${keyHash(ctx.plan, side)} END`;
    await ctx.db.run(`CREATE TEMP TABLE ${slim[side]} AS SELECT ${kh} AS kh, ${rowHashSql(d, ctx.plan, side, ctx.options)} AS rh FROM ${ctx[side]}`);
  }
}

/**
 * Reads the rows of differing buckets again, whole, with their key and row hashes; per-key
 * counts and hash sums among them name the differing keys, and only those keys' rows go
 * through the detailed levels. A key's rows all share one bucket, so nothing is missed. Keys
 * duplicated in legacy are always sent on: in a matching bucket the target has the same
 * duplicate. The filter is a bitmap over buckets (`get_bit`), which DuckDB pushes into the
 * Parquet scan for a key of one plain column; past ~100 scattered rows the scan decodes nearly
 * every page anyway, so at 10M rows and 0.01 % (~163,000 rows a side) this costs about what a
 * full read does (README.md).
 */
async function rereadBuckets(ctx: Ctx, bits: number): Promise<DetailResult> {
  const { db, plan, options: o } = ctx;
  const dup = await duplicateKeys(ctx, 'legacy');
  if (dup) await db.run(`INSERT INTO diff_db SELECT DISTINCT ${bucketOf('kh', bits)} FROM ${dup}`);
  const rows = await db.all('SELECT DISTINCT b FROM diff_db');
  // One bitmap serves both sides; past 16 bits of bucket it would be too large a literal.
  const bitmap = bits <= 16 ? bucketBitmap(rows.map((r) => Number(r.b)), bits) : undefined;
  const inDiffering = (bucket: string) => {
    if (rows.length === 0) return 'false';
    return bitmap ? `get_bit(${bitmap}, CAST(${bucket} AS INTEGER)) = 1` : `${bucket} IN (SELECT b FROM diff_db)`;
  };
  for (const side of SIDES) {
    const filter = inDiffering(bucketOf(keyHash(plan, side), bits));
    const hashes = [`${keyHash(plan, side)} AS kh`, `${rowHashSql(d, plan, side, o)} AS rh`];
    await db.run(`CREATE TEMP TABLE diff_r${side[0]} AS ${canonicalRowsSql(plan, side, rowsFor(ctx, side, filter), filter, hashes)}`);
  }
  const forced = dup ? ` UNION ALL SELECT kh FROM ${dup}` : '';
  await db.run(`CREATE TEMP TABLE diff_dk AS SELECT DISTINCT kh FROM (${perKeySql((t) => t, { legacy: 'diff_rl', target: 'diff_rt' })}${forced}) x`);
  for (const side of SIDES) await db.run(`CREATE TEMP TABLE diff_d${side[0]} AS SELECT * FROM diff_r${side[0]} WHERE kh IN (SELECT kh FROM diff_dk)`);
  return detailIn(ctx, 'diff_dl', 'diff_dt');
}

/** A BIT literal with one bit per bucket, set for the given buckets (`get_bit` index = bucket). */
function bucketBitmap(buckets: number[], bits: number): string {
  const map = new Uint8Array(2 ** bits).fill(0x30);
  for (const b of buckets) map[b] = 0x31;
  return `'${Buffer.from(map).toString('latin1')}'::BIT`;
}

/**
 * The key path's second read filter. DuckDB pushes `hash(key) IN (literals)` into the Parquet
 * scan when the key is one plain column: the scan then decodes the other columns only near
 * matching rows (at 10M rows, 4 keys 0.10 s and 16 keys 0.18 s a side, against 0.37–0.40 s for
 * a semi-join). The list is checked element by element, so at LITERAL_KEYS keys it costs what
 * the semi-join does; past that, or for keys it cannot push (several columns, a cast), the
 * semi-join is used.
 */
async function keyFilter(ctx: Ctx, side: Side, keys: number): Promise<string> {
  const [key, ...more] = ctx.plan.keys;
  const plainColumn = key !== undefined && more.length === 0 && (side === 'legacy' ? key.canonLegacy : key.canonTarget) === d.quote(key.name);
  if (keys > LITERAL_KEYS || !plainColumn) return `${keyHash(ctx.plan, side)} IN (SELECT kh FROM diff_dk)`;
  const rows = await ctx.db.all('SELECT kh FROM diff_dk');
  const list = rows.filter((r) => r.kh !== null).map((r) => `${String(r.kh)}::UBIGINT`);
  return `${keyHash(ctx.plan, side)} IN (${list.join(', ')})`;
}

/** Keys whose (row count, hash sum) differ; handles duplicates, costs a GROUP BY per side. */
function perKeySql(inBuckets: (t: string) => string, rows: Record<Side, string> = slim): string {
  const perKey = (t: string) => `(SELECT kh, count(*) AS n, sum(rh) AS s FROM ${inBuckets(t)} x WHERE kh IS NOT NULL GROUP BY kh)`;
  return `SELECT coalesce(l.kh, t.kh) AS kh FROM ${perKey(rows.legacy)} l FULL OUTER JOIN ${perKey(rows.target)} t
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
 * detailed levels, which then count by the real key), from the side's slim rows or else from
 * its key columns. A single integer key is first checked with a bitmap, a fraction of a GROUP
 * BY's cost. Returns the table name, or undefined.
 */
async function duplicateKeys(ctx: Ctx, side: Side, slimRows?: string): Promise<string | undefined> {
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
  const hashes = slimRows ?? `(SELECT CASE WHEN ${keyNotNull(plan, side)} THEN ${keyHash(plan, side)} END AS kh FROM ${ctx[side]})`;
  await db.run(`CREATE TEMP TABLE ${table} AS SELECT kh FROM ${hashes} x WHERE kh IS NOT NULL GROUP BY kh HAVING count(*) > 1`);
  return toCount((await db.one(`SELECT count(*) AS n FROM ${table}`)).n) > 0 ? table : undefined;
}
