import type { DiffPlan } from './column-plan.ts';
import {
  columnSamplesSql,
  keyCountsSql,
  keySamplesSql,
  keyStatsSql,
  mismatchCountsSql,
  mismatchesSql,
} from './level-sql.ts';
import type { ResolvedOptions, SqlDialect } from './sql-dialect.ts';
import type { DiffReport, KeyValues, MismatchSample } from './types.ts';

/** What the detailed levels found: everything in the report but the schema and row totals. */
export interface DetailResult {
  onlyLegacy: number;
  onlyTarget: number;
  duplicateLegacy: number;
  duplicateTarget: number;
  changed: number;
  /** Per compared column, in plan order. */
  mismatches: number[];
  samples: MismatchSample[][];
  keySamples: DiffReport['keySamples'];
}

/** Runs SQL and returns rows of JSON values; DuckDB sessions and Databricks clients both fit. */
export type QueryFn = (sql: string) => Promise<Record<string, unknown>[]>;

/**
 * The detailed levels over two relations of canonical rows. `extraKeyStats` adds keys that were
 * settled without a join (identical on both sides, e.g. duplicates in matching buckets) so they
 * are still counted and sampled. `materialise` turns a query into a named relation: a temp
 * table in DuckDB, a CTE for engines that cannot keep state between statements.
 */
export async function runDetailLevels(args: {
  dialect: SqlDialect;
  plan: DiffPlan;
  options: ResolvedOptions;
  legacyRows: string;
  targetRows: string;
  extraKeyStats?: string;
  query: QueryFn;
  materialise: (name: string, sql: string) => Promise<string>;
}): Promise<DetailResult> {
  const { dialect: d, plan, options: o, query } = args;
  const stats = await args.materialise('diff_key_stats', keyStatsSql(plan, args.legacyRows, args.targetRows));
  const allStats = args.extraKeyStats
    ? await args.materialise('diff_key_stats_all', `SELECT * FROM ${stats} UNION ALL ${args.extraKeyStats}`)
    : stats;
  const mism = await args.materialise('diff_mismatches', mismatchesSql(d, plan, args.legacyRows, args.targetRows, stats, o));
  const [keyCounts] = await query(keyCountsSql(allStats));
  const [counts] = await query(mismatchCountsSql(plan, mism));
  const samplesSql = columnSamplesSql(d, plan, mism, o);
  const sampleRows = byRank(samplesSql ? await query(samplesSql) : []);
  const keyRows = byRank(await query(keySamplesSql(d, plan, allStats, o)));

  const keyOf = (row: Record<string, unknown>): KeyValues =>
    Object.fromEntries(plan.keys.map((k) => [k.name, toText(row[k.alias])]));
  const samples: MismatchSample[][] = plan.columns.map(() => []);
  for (const row of sampleRows) {
    samples[Number(row.col)]?.push({ key: keyOf(row), legacy: toText(row.legacy_value), target: toText(row.target_value) });
  }
  const keySamples: DiffReport['keySamples'] = { onlyLegacy: [], onlyTarget: [], duplicateLegacy: [], duplicateTarget: [] };
  for (const row of keyRows) keySamples[row.kind as keyof DiffReport['keySamples']].push(keyOf(row));
  return {
    onlyLegacy: toCount(keyCounts?.only_legacy),
    onlyTarget: toCount(keyCounts?.only_target),
    duplicateLegacy: toCount(keyCounts?.dup_legacy),
    duplicateTarget: toCount(keyCounts?.dup_target),
    changed: toCount(counts?.changed),
    mismatches: plan.columns.map((_, i) => toCount(counts?.[`m${i}`])),
    samples,
    keySamples,
  };
}

const byRank = (rows: Record<string, unknown>[]) => rows.sort((a, b) => Number(a.rn) - Number(b.rn));

/** Counts arrive as numbers, BIGINT strings or NULL (a SUM over no rows). */
export function toCount(value: unknown): number {
  if (value === null || value === undefined) return 0;
  return Number(value);
}

export function toText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}
