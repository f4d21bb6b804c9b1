import type { DiffPlan, PlannedColumn } from './column-plan.ts';
import { equalsSql, hashParts, type ResolvedOptions, type SqlDialect } from './sql-dialect.ts';

/**
 * The diff levels as SQL, written once for both dialects. Relations are passed in by name
 * (a view, a temp table or a CTE), so the DuckDB runner and the Databricks pushdown decide
 * how rows get there. Column aliases are `k<i>` (canonical keys) and `c<i>` (canonical values).
 */
export type Side = 'legacy' | 'target';

const canon = (c: PlannedColumn, side: Side) => (side === 'legacy' ? c.canonLegacy : c.canonTarget);
/** A column with text that did not parse on either side compares that text too (SchemaColumn.unparsed). */
const hasUnparsed = (c: PlannedColumn) => c.unparsedLegacy !== undefined || c.unparsedTarget !== undefined;
const unparsedOf = (c: PlannedColumn, side: Side) => (side === 'legacy' ? c.unparsedLegacy : c.unparsedTarget) ?? 'CAST(NULL AS VARCHAR)';
const keyList = (p: DiffPlan, prefix = '') => p.keys.map((k) => `${prefix}${k.alias}`).join(', ');
const countWhere = (cond: string) => `sum(CASE WHEN ${cond} THEN 1 ELSE 0 END)`;

export function keyNotNull(p: DiffPlan, side: Side): string {
  return p.keys.map((k) => `${canon(k, side)} IS NOT NULL`).join(' AND ');
}

/** The canonical key parts of one side, for hashing and bucketing. */
export function keyParts(p: DiffPlan, side: Side): string[] {
  return p.keys.map((k) => canon(k, side));
}

/** Per-row checksum of one side: canonical keys, then every compared column. */
export function rowHashSql(d: SqlDialect, p: DiffPlan, side: Side, o: ResolvedOptions): string {
  const parts = [
    ...keyParts(p, side),
    ...p.columns.flatMap((c) => [...hashParts(d, canon(c, side), c.plan, o), ...(hasUnparsed(c) ? [unparsedOf(c, side)] : [])]),
  ];
  return d.rowHash(parts);
}

/** Level "checksum": per key bucket, row count and checksum sum; null keys land in bucket NULL. */
export function bucketChecksumSql(d: SqlDialect, p: DiffPlan, side: Side, source: string, buckets: number, o: ResolvedOptions): string {
  const bucket = `CASE WHEN ${keyNotNull(p, side)} THEN ${d.bucket(keyParts(p, side), buckets)} END`;
  return `SELECT b, count(*) AS n, sum(h) AS s FROM (SELECT ${bucket} AS b, ${rowHashSql(d, p, side, o)} AS h FROM ${source}) x GROUP BY b`;
}

/** Buckets whose count or checksum differ between the two sides. */
export function differingBucketsSql(legacyChecksums: string, targetChecksums: string): string {
  return `SELECT coalesce(l.b, t.b) AS b FROM ${legacyChecksums} l FULL OUTER JOIN ${targetChecksums} t ON l.b = t.b
    WHERE coalesce(l.b, t.b) IS NOT NULL AND (l.n IS DISTINCT FROM t.n OR l.s IS DISTINCT FROM t.s)`;
}

/** Canonical rows of one side (non-null keys only), optionally filtered, with `extra` select items first. */
export function canonicalRowsSql(p: DiffPlan, side: Side, source: string, filter?: string, extra: string[] = []): string {
  const cols = [
    ...extra,
    ...[...p.keys, ...p.columns].map((c) => `${canon(c, side)} AS ${c.alias}`),
    ...p.columns.filter(hasUnparsed).map((c) => `${unparsedOf(c, side)} AS ${c.alias}_u`),
  ];
  return `SELECT ${cols.join(', ')} FROM ${source} WHERE ${keyNotNull(p, side)}${filter ? ` AND (${filter})` : ''}`;
}

/** Rows per key on each side: `nl`/`nt` NULL when the key is absent from that side. */
export function keyStatsSql(p: DiffPlan, legacyRows: string, targetRows: string): string {
  const k = keyList(p);
  return `SELECT ${k}, max(nl) AS nl, max(nt) AS nt FROM (
    SELECT ${k}, count(*) AS nl, CAST(NULL AS BIGINT) AS nt FROM ${legacyRows} GROUP BY ${k}
    UNION ALL SELECT ${k}, CAST(NULL AS BIGINT) AS nl, count(*) AS nt FROM ${targetRows} GROUP BY ${k}) u GROUP BY ${k}`;
}

export function keyCountsSql(keyStats: string): string {
  return `SELECT ${countWhere('nt IS NULL')} AS only_legacy, ${countWhere('nl IS NULL')} AS only_target,
    ${countWhere('nl > 1')} AS dup_legacy, ${countWhere('nt > 1')} AS dup_target FROM ${keyStats}`;
}

/**
 * Keys present exactly once on both sides whose values differ, with one flag per column and
 * both canonical values. Duplicated keys never get here, so they cannot cancel out.
 */
export function mismatchesSql(d: SqlDialect, p: DiffPlan, legacyRows: string, targetRows: string, keyStats: string, o: ResolvedOptions): string {
  const on = (a: string, b: string) => p.keys.map((k) => `${a}.${k.alias} = ${b}.${k.alias}`).join(' AND ');
  const flags = p.columns.map((c) => {
    const differs = `NOT ${equalsSql(d, `l.${c.alias}`, `t.${c.alias}`, c.plan, o)}`;
    return hasUnparsed(c) ? `(${differs} OR l.${c.alias}_u IS DISTINCT FROM t.${c.alias}_u)` : differs;
  });
  const select = [
    ...p.keys.map((k) => `l.${k.alias}`),
    ...flags.map((f, i) => `${f} AS m${i}`),
    ...p.columns.map((c, i) => `l.${c.alias} AS l${i}, t.${c.alias} AS t${i}`),
    ...p.columns.flatMap((c, i) => (hasUnparsed(c) ? [`l.${c.alias}_u AS lu${i}, t.${c.alias}_u AS tu${i}`] : [])),
  ];
  const anyFlag = flags.length > 0 ? flags.join(' OR ') : 'false';
  return `SELECT ${select.join(', ')} FROM ${legacyRows} l JOIN ${targetRows} t ON ${on('l', 't')}
    JOIN ${keyStats} s ON ${on('s', 'l')} AND s.nl = 1 AND s.nt = 1 WHERE ${anyFlag}`;
}

export function mismatchCountsSql(p: DiffPlan, mismatches: string): string {
  const perColumn = p.columns.map((_, i) => `${countWhere(`m${i}`)} AS m${i}`);
  return `SELECT ${['count(*) AS changed', ...perColumn].join(', ')} FROM ${mismatches}`;
}

/**
 * Column `i`'s value on one side of a mismatch, as text: the canonical value, or the text that
 * did not parse, saying so (`12.345678 (not DECIMAL(20,5))`).
 */
export function shownValueSql(d: SqlDialect, c: PlannedColumn, i: number, side: Side, o: ResolvedOptions): string {
  const [value, text, type] = side === 'legacy' ? [`l${i}`, `lu${i}`, c.legacy.raw] : [`t${i}`, `tu${i}`, c.target.raw];
  const shown = d.display(value, c.plan, o);
  return hasUnparsed(c) ? `coalesce(${text} || ${sqlText(` (not ${type})`)}, ${shown})` : shown;
}

/** The unparsed-text columns of column `i` a query over mismatches must carry along. */
export function unparsedColumns(c: PlannedColumn, i: number): string[] {
  return hasUnparsed(c) ? [`lu${i}`, `tu${i}`] : [];
}

const sqlText = (text: string) => `'${text.replaceAll("'", "''")}'`;

const displayKeys = (d: SqlDialect, p: DiffPlan, o: ResolvedOptions) =>
  p.keys.map((k) => `${d.display(k.alias, k.plan, o)} AS ${k.alias}`).join(', ');

/**
 * Up to `sampleLimit` mismatches per column, the first ones in canonical key order, as text.
 * `rn` carries that order out: a UNION ALL (and DuckDB without insertion order) may shuffle rows.
 */
export function columnSamplesSql(d: SqlDialect, p: DiffPlan, mismatches: string, o: ResolvedOptions): string | undefined {
  if (p.columns.length === 0) return undefined;
  return p.columns
    .map((c, i) => {
      const values = `${shownValueSql(d, c, i, 'legacy', o)} AS legacy_value, ${shownValueSql(d, c, i, 'target', o)} AS target_value`;
      const carried = [`l${i}`, `t${i}`, ...unparsedColumns(c, i)].join(', ');
      return `SELECT ${i} AS col, row_number() OVER (ORDER BY ${keyList(p)}) AS rn, ${displayKeys(d, p, o)}, ${values}
        FROM (SELECT ${keyList(p)}, ${carried} FROM ${mismatches} WHERE m${i} ORDER BY ${keyList(p)} LIMIT ${o.sampleLimit}) s${i}`;
    })
    .join('\nUNION ALL\n');
}

export const KEY_SAMPLE_KINDS = {
  onlyLegacy: 'nt IS NULL',
  onlyTarget: 'nl IS NULL',
  duplicateLegacy: 'nl > 1',
  duplicateTarget: 'nt > 1',
} as const;

/** Sample keys behind the key-level counts, first in key order (`rn` as above). */
export function keySamplesSql(d: SqlDialect, p: DiffPlan, keyStats: string, o: ResolvedOptions): string {
  return Object.entries(KEY_SAMPLE_KINDS)
    .map(
      ([kind, cond], i) => `SELECT '${kind}' AS kind, row_number() OVER (ORDER BY ${keyList(p)}) AS rn, ${displayKeys(d, p, o)}
        FROM (SELECT ${keyList(p)} FROM ${keyStats} WHERE ${cond} ORDER BY ${keyList(p)} LIMIT ${o.sampleLimit}) q${i}`,
    )
    .join('\nUNION ALL\n');
}
