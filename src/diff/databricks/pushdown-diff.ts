import { buildReport } from '../build-report.ts';
import { planColumns, resolveOptions, type DiffPlan } from '../column-plan.ts';
import { databricksDialect as d } from '../databricks-dialect.ts';
import { runDetailLevels, toCount } from '../detail-level.ts';
import { bucketChecksumSql, canonicalRowsSql, keyNotNull, keyParts } from '../level-sql.ts';
import type { ResolvedOptions } from '../sql-dialect.ts';
import type { CompareOptions, DiffReport } from '../types.ts';
import type { StatementParameter } from './sql-statement-client.ts';
import type { WarehouseRelation } from './warehouse-relations.ts';

/** Runs one statement on the warehouse; `SqlStatementClient.query` fits. */
export type WarehouseQuery = (sql: string, opts?: { parameters?: StatementParameter[] }) => Promise<Record<string, unknown>[]>;

export interface PushdownInput {
  query: WarehouseQuery;
  /** What each side reads: a Unity Catalog table, `read_files(…)` over S3, a Delta path (`warehouseRelation`). */
  legacy: WarehouseRelation;
  target: WarehouseRelation;
  key: string[];
  options?: CompareOptions;
  /** Key buckets of the checksum level. Default 4096 (the bucket list comes back inline). */
  buckets?: number;
  /** Above this fraction of differing buckets, the detail joins every row. Default 0.25. */
  switchFraction?: number;
}

/**
 * The diff levels as Databricks SQL, for two `table:` outputs in one warehouse, or any output with
 * `engine: warehouse`:
 * 1. schemas (information_schema for tables, `DESCRIBE QUERY` for files);
 * 2. one statement: per key bucket, row count and the sum of md5-based row checksums
 *    (DECIMAL(38,0)), both tables — compared here;
 * 3. the detail statements (keys, mismatches, samples) restricted to differing buckets, with
 *    duplicates of matching buckets counted from the legacy table (they are the same there).
 * Each statement stands alone (the API keeps no session), so intermediate results are CTEs.
 */
export async function pushdownDiff(input: PushdownInput): Promise<DiffReport> {
  const started = performance.now();
  const o = resolveOptions(input.options);
  const { legacy, target } = input;
  const schemas = [await legacy.describe(input.query), await target.describe(input.query)] as const;
  const plan = planColumns(d, schemas[0], schemas[1], input.key, o);
  const buckets = input.buckets ?? 4096;

  const checksums = `SELECT 'legacy' AS side, b, n, CAST(s AS STRING) AS s FROM (${bucketChecksumSql(d, plan, 'legacy', legacy.sql, buckets, o)}) l
    UNION ALL SELECT 'target' AS side, b, n, CAST(s AS STRING) AS s FROM (${bucketChecksumSql(d, plan, 'target', target.sql, buckets, o)}) t`;
  const sums = { legacy: new Map<string, string>(), target: new Map<string, string>() };
  const totals = { legacy: 0, target: 0, nullLegacy: 0, nullTarget: 0 };
  for (const row of await input.query(checksums)) {
    const side = row.side === 'legacy' ? 'legacy' : 'target';
    const n = toCount(row.n);
    totals[side] += n;
    if (row.b === null || row.b === undefined) totals[side === 'legacy' ? 'nullLegacy' : 'nullTarget'] += n;
    // Bucket numbers go back into SQL text below: accept nothing but digits.
    else if (/^\d+$/.test(String(row.b))) sums[side].set(String(row.b), `${n}:${String(row.s)}`);
    else throw new Error(`unexpected bucket "${String(row.b)}" from the warehouse`);
  }
  const all = new Set([...sums.legacy.keys(), ...sums.target.keys()]);
  const differing = [...all].filter((b) => sums.legacy.get(b) !== sums.target.get(b)).sort((a, b) => Number(a) - Number(b));
  const fullJoin = differing.length > (input.switchFraction ?? 0.25) * buckets;

  const detail = await detailStatements(input.query, plan, o, { legacy: legacy.sql, target: target.sql }, buckets, fullJoin ? undefined : differing);
  const report = buildReport(plan, { totals, detail }, {
    engine: 'databricks',
    strategy: fullJoin ? 'pushdown-join' : 'pushdown-checksum',
    buckets: { total: buckets, differing: differing.length },
    durationMs: Math.round(performance.now() - started),
  });
  return legacy.source && target.source ? { ...report, sources: { legacy: legacy.source, target: target.source } } : report;
}

async function detailStatements(
  query: WarehouseQuery,
  plan: DiffPlan,
  o: ResolvedOptions,
  tables: { legacy: string; target: string },
  buckets: number,
  differing: string[] | undefined,
) {
  const inDiffering = (side: 'legacy' | 'target') => {
    if (!differing) return undefined;
    return differing.length === 0 ? 'false' : `${d.bucket(keyParts(plan, side), buckets)} IN (${differing.join(', ')})`;
  };
  const ctes: string[] = [];
  const materialise = async (name: string, sql: string) => {
    ctes.push(`${name} AS (${sql})`);
    return name;
  };
  const legacyRows = await materialise('diff_dl', canonicalRowsSql(plan, 'legacy', tables.legacy, inDiffering('legacy')));
  const targetRows = await materialise('diff_dt', canonicalRowsSql(plan, 'target', tables.target, inDiffering('target')));
  let extraKeyStats: string | undefined;
  if (differing) {
    // Duplicates inside matching buckets exist identically on both sides: count them once, for both.
    const keys = plan.keys.map((k) => k.alias).join(', ');
    const outside = differing.length === 0 ? '' : ` AND NOT (${inDiffering('legacy')})`;
    extraKeyStats = `SELECT ${keys}, n AS nl, n AS nt FROM (SELECT ${plan.keys.map((k) => `${k.canonLegacy} AS ${k.alias}`).join(', ')}, count(*) AS n
      FROM ${tables.legacy} WHERE ${keyNotNull(plan, 'legacy')}${outside} GROUP BY ${plan.keys.map((k) => k.canonLegacy).join(', ')} HAVING count(*) > 1) x`;
  }
  return runDetailLevels({
    dialect: d,
    plan,
    options: o,
    legacyRows,
    targetRows,
    extraKeyStats,
    materialise,
    query: (sql) => query(`WITH ${ctes.join(',\n')}\n${sql}`),
  });
}
