import { planColumns, resolveOptions, type DiffPlan } from './column-plan.ts';
import { duckdbDialect as d } from './duckdb-dialect.ts';
import { sqlString, withDuckDb } from './duckdb-session.ts';
import { canonicalRowsSql, keyNotNull, keyParts, keyStatsSql, mismatchesSql, shownValueSql, type Side } from './level-sql.ts';
import { registerPair } from '../datasets/register-pair.ts';
import type { DiffInput } from './run-diff.ts';
import type { ResolvedOptions } from './sql-dialect.ts';

/** Line kinds, in the order the CSV lists them. */
export const MISMATCH_KINDS = [
  'only_legacy',
  'only_target',
  'changed',
  'duplicate_legacy',
  'duplicate_target',
  'null_key_legacy',
  'null_key_target',
] as const;
export type MismatchKind = (typeof MISMATCH_KINDS)[number];

export interface ExportOptions {
  /** Most data lines written (the header excluded). Default 10,000. */
  limit?: number;
}

/**
 * The rows behind a diff's counts, as RFC 4180 CSV (CRLF line ends) for the report files.
 *
 * Header: `kind`, the key columns, then `column`, `legacy`, `target`. One line per:
 * - `only_legacy` / `only_target`: distinct key on one side only; `legacy`/`target` hold how
 *   many rows the key has on each side (empty where absent);
 * - `changed`: mismatching column of a key present once on both sides, so a row with three
 *   differing columns gives three lines; `legacy`/`target` hold the canonical values as text;
 * - `duplicate_legacy` / `duplicate_target`: distinct key occurring more than once on that
 *   side, with its row counts as for `only_*`;
 * - `null_key_legacy` / `null_key_target`: row with a NULL in a key column (one line a row).
 * Key values are canonical text, as in the report's samples. NULL is an empty field and an
 * empty string a quoted `""`. Lines are ordered by kind (as above), then canonical key, then
 * column, and cut at `limit`.
 *
 * Values are compared exactly as `diffDatasets` compares them: the same column plan,
 * canonical forms and tolerance SQL, so a float within tolerance is never exported. The
 * export always runs the plain join over both datasets (`input.strategy` is ignored): it
 * only runs when a diff found differences, and it needs every differing row, not a count.
 */
export async function exportMismatchedRows(input: DiffInput, { limit = 10_000 }: ExportOptions = {}): Promise<string> {
  const options = resolveOptions(input.options);
  const access = { ...input.access, signal: input.access?.signal ?? input.signal };
  return withDuckDb({ ...input.engine, signal: input.signal }, async (db) => {
    const { legacy, target } = await registerPair(db, input, access, { ignore: options.ignore, keepUnparsed: true, register: input.register });
    const plan = planColumns(d, legacy.columns, target.columns, input.key, options);
    await db.run(`CREATE TEMP VIEW mx_l AS ${canonicalRowsSql(plan, 'legacy', legacy.view)}`);
    await db.run(`CREATE TEMP VIEW mx_t AS ${canonicalRowsSql(plan, 'target', target.view)}`);
    await db.run(`CREATE TEMP TABLE mx_stats AS ${keyStatsSql(plan, 'mx_l', 'mx_t')}`);
    await db.run(`CREATE TEMP TABLE mx_mism AS ${mismatchesSql(d, plan, 'mx_l', 'mx_t', 'mx_stats', options)}`);
    const sources = { legacy: legacy.view, target: target.view };
    const rows = await db.all(linesSql(plan, options, sources, Math.max(0, Math.floor(limit))));
    const header = ['kind', ...plan.keys.map((k) => k.name), 'column', 'legacy', 'target'];
    const lines = rows.map((row) => [
      MISMATCH_KINDS[Number(row.r)] ?? 'unknown',
      ...plan.keys.map((_, i) => text(row[`kd${i}`])),
      text(row.col),
      text(row.lv),
      text(row.tv),
    ]);
    return [header, ...lines].map(csvLine).join('');
  });
}

/** Every kind as one UNION ALL with uniform columns: rank, canonical keys, column index and values. */
function linesSql(p: DiffPlan, o: ResolvedOptions, sources: Record<Side, string>, limit: number): string {
  const keys = p.keys.map((k) => k.alias).join(', ');
  const none = 'CAST(NULL AS INTEGER) AS ci, CAST(NULL AS VARCHAR) AS col';
  const counts = 'CAST(nl AS VARCHAR) AS lv, CAST(nt AS VARCHAR) AS tv';
  const rank = (kind: MismatchKind) => `${MISMATCH_KINDS.indexOf(kind)} AS r`;
  const keyLevel = (kind: MismatchKind, cond: string) => `SELECT ${rank(kind)}, ${keys}, ${none}, ${counts} FROM mx_stats WHERE ${cond}`;
  const changed = p.columns.map((c, i) => {
    const values = `${shownValueSql(d, c, i, 'legacy', o)} AS lv, ${shownValueSql(d, c, i, 'target', o)} AS tv`;
    return `SELECT ${rank('changed')}, ${keys}, ${i} AS ci, ${sqlString(c.name)} AS col, ${values} FROM mx_mism WHERE m${i}`;
  });
  const nullKeys = (['legacy', 'target'] as const).map((side) => {
    const canon = keyParts(p, side).map((expr, i) => `${expr} AS ${p.keys[i]?.alias}`).join(', ');
    const where = `NOT (${keyNotNull(p, side)})`;
    return `SELECT ${rank(`null_key_${side}`)}, ${canon}, ${none}, CAST(NULL AS VARCHAR) AS lv, CAST(NULL AS VARCHAR) AS tv FROM ${sources[side]} WHERE ${where}`;
  });
  const parts = [
    keyLevel('only_legacy', 'nt IS NULL'),
    keyLevel('only_target', 'nl IS NULL'),
    ...changed,
    keyLevel('duplicate_legacy', 'nl > 1'),
    keyLevel('duplicate_target', 'nt > 1'),
    ...nullKeys,
  ];
  // Shown under other names: ORDER BY must see the canonical keys (2 < 10), not their text.
  const shown = p.keys.map((k, i) => `${d.display(k.alias, k.plan, o)} AS kd${i}`).join(', ');
  return `SELECT r, ${shown}, col, lv, tv FROM (${parts.join('\nUNION ALL\n')}) u
    ORDER BY r, ${p.keys.map((k) => `${k.alias} NULLS LAST`).join(', ')}, ci, lv, tv LIMIT ${limit}`;
}

const text = (value: unknown): string | null => {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
};

/** RFC 4180: quote fields holding a comma, quote, CR or LF (and the empty string, to tell it from NULL). */
export function csvField(value: string | null): string {
  if (value === null) return '';
  return value === '' || /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function csvLine(fields: Array<string | null>): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}
