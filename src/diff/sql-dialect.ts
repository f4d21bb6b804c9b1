import type { ColumnType, ComparePlan } from './type-family.ts';
import type { TimestampPrecision } from './types.ts';

/** Compare options with every default applied. */
export interface ResolvedOptions {
  ignore: Set<string>;
  abs: number;
  rel: number;
  timestamps: TimestampPrecision;
  trim: boolean;
  ignoreCase: boolean;
  sampleLimit: number;
}

/**
 * What differs between DuckDB and Databricks SQL. The level builders (checksums, detail,
 * samples) are written once against this interface, so both engines run the same levels.
 */
export interface SqlDialect {
  readonly name: 'duckdb' | 'databricks';
  quote(identifier: string): string;
  /** One side's value in the canonical form shared by both sides of the pair. */
  canonical(expr: string, side: ColumnType, plan: ComparePlan, options: ResolvedOptions): string;
  /** The canonical value as text, for samples. */
  display(canonical: string, plan: ComparePlan, options: ResolvedOptions): string;
  /** A per-row checksum over canonical values (order matters, NULL is distinct from ''). */
  rowHash(parts: string[]): string;
  /** Bucket of a key, from its canonical columns. */
  bucket(keyParts: string[], buckets: number): string;
  /** A double literal that round-trips exactly. */
  double(value: number): string;
}

/**
 * SQL that is true when two canonical values are equal. NULL equals only NULL; floats are
 * equal within |a-b| <= abs OR |a-b| <= rel * max(|a|,|b|).
 */
export function equalsSql(d: SqlDialect, l: string, t: string, plan: ComparePlan, o: ResolvedOptions): string {
  const same = `(${l} IS NOT DISTINCT FROM ${t})`;
  if (plan.kind !== 'float' || (o.abs === 0 && o.rel === 0)) return same;
  const diff = `abs(${l} - ${t})`;
  const within: string[] = [];
  if (o.abs > 0) within.push(`${diff} <= ${d.double(o.abs)}`);
  if (o.rel > 0) within.push(`${diff} <= ${d.double(o.rel)} * greatest(abs(${l}), abs(${t}))`);
  return `(${same} OR coalesce(${within.join(' OR ')}, false))`;
}

/**
 * What goes into the row checksum for one column. Exact values hash as they are. A float with
 * a tolerance is hashed on a grid of cells narrower than the tolerance, so equal checksums
 * still prove "equal within tolerance" (never a false clean); values within tolerance that
 * straddle a cell edge only cost a detailed comparison of their bucket. Where the grid would
 * lose precision (huge quotients, non-finite values) the raw value is hashed instead, in its
 * own slot so the two regimes can never collide.
 */
export function hashParts(d: SqlDialect, canonical: string, plan: ComparePlan, o: ResolvedOptions): string[] {
  // DuckDB's hash() of nested values collides on shape (NULL, [] and [NULL]; a NULL struct and
  // one of NULLs; [[1],[2]] and [[1,2]]), and so do both engines' text casts (['a, b'] and
  // ['a', 'b']): their JSON text keeps every value apart.
  if (plan.kind === 'nested') return [`to_json(${canonical})`];
  if (plan.kind !== 'float') return [canonical];
  // x + 0.0 folds -0.0 into 0.0, which compare equal.
  const raw = `(${canonical} + ${d.double(0)})`;
  if (o.abs > 0) {
    // Cell g = abs/4 and |x/g| < 2^50: rounding in x/g stays below 1/8 of a cell, so two values
    // in one cell differ by less than 1.25 g < abs.
    const g = o.abs / 4;
    const inGrid = `abs(${canonical}) < ${d.double(g * 2 ** 50)}`;
    return [`CASE WHEN ${inGrid} THEN floor(${canonical} / ${d.double(g)}) END`, `CASE WHEN NOT (${inGrid}) THEN ${raw} END`];
  }
  if (o.rel / 4 >= 2 ** -45) {
    // Relative cells: binade e = floor(log2|x|) (off by one at worst, hence rel/4) and
    // q = floor(x / (2^e * rel/4)); one (e, q) cell spans less than rel * |x|.
    const r = o.rel / 4;
    const inGrid = `abs(${canonical}) >= ${d.double(2 ** -1000)} AND abs(${canonical}) < ${d.double(2 ** 1000)}`;
    const e = `floor(log2(abs(${canonical})))`;
    return [
      `CASE WHEN ${inGrid} THEN ${e} END`,
      `CASE WHEN ${inGrid} THEN floor(${canonical} / (pow(${d.double(2)}, ${e}) * ${d.double(r)})) END`,
      `CASE WHEN NOT (${inGrid}) THEN ${raw} END`,
    ];
  }
  return [raw];
}

/** Timestamps are compared as UTC instants floored to this many microseconds. */
export const MICROS_PER_UNIT: Record<TimestampPrecision, number> = { s: 1_000_000, ms: 1000, us: 1 };

export function applyStringOptions(expr: string, o: ResolvedOptions): string {
  let out = expr;
  if (o.trim) out = `trim(${out})`;
  if (o.ignoreCase) out = `lower(${out})`;
  return out;
}
