import type { Check } from '../config/catalog-schema.ts';
import { bindSqlTemplate } from '../config/template.ts';
import { UsageError } from '../errors.ts';
import { numberLiteral, type CheckDialect } from './check-dialect.ts';
import type { CheckKind } from './types.ts';

export interface CompileContext {
  dialect: CheckDialect;
  /** The checked output as SQL: a quoted view or table name. */
  relation: string;
  /** `relationships` only: the referenced output as SQL, in the same engine. */
  parentRelation?: string;
  /** Epoch milliseconds `freshness` measures age from. */
  now: number;
  period: string;
  params: Record<string, string>;
}

/**
 * A check as SQL. Every kind but `row_count_change` is a query whose rows are the failures
 * (aggregate checks return one row when they fail); `row_count_change` is a count compared
 * with the history outside SQL. `orderBy` names columns the query returns, for stable samples.
 */
export type CompiledCheck =
  | { kind: Exclude<CheckKind, 'row_count_change'>; sql: string; orderBy: string[]; values?: Record<string, string> }
  | { kind: 'row_count_change'; sql: string; maxRelative: number };

export function checkKind(check: Check): CheckKind {
  return Object.keys(check)[0] as CheckKind;
}

/** A short label for people and for matching results across runs, e.g. `not_null(customer_id)`. */
export function checkLabel(check: Check): string {
  if ('not_null' in check) return `not_null(${check.not_null.join(', ')})`;
  if ('unique' in check) return `unique(${check.unique.join(', ')})`;
  if ('row_count' in check) return `row_count(${bounds(check.row_count)})`;
  if ('accepted_values' in check) return `accepted_values(${check.accepted_values.column})`;
  if ('range' in check) return `range(${[check.range.column, bounds(check.range)].filter(Boolean).join(', ')})`;
  if ('regex' in check) return `regex(${check.regex.column})`;
  if ('freshness' in check) return `freshness(${check.freshness.column}, ${check.freshness.maxAgeHours}h)`;
  if ('relationships' in check) {
    const { column, to } = check.relationships;
    return `relationships(${column} -> ${to.output}.${to.column})`;
  }
  if ('row_count_change' in check) return `row_count_change(max ${+(check.row_count_change.maxRelative * 100).toFixed(4)}%)`;
  const text = check.sql.replace(/\s+/g, ' ').trim();
  return `sql(${text.length > 60 ? `${text.slice(0, 59)}…` : text})`;
}

function bounds(b: { min?: number; max?: number }): string {
  return [b.min !== undefined ? `min ${b.min}` : '', b.max !== undefined ? `max ${b.max}` : ''].filter(Boolean).join(', ');
}

/** Compiles one check; throws (and the caller reports it on that check alone) when it cannot. */
export function compileCheck(check: Check, ctx: CompileContext): CompiledCheck {
  const { dialect: d, relation: r } = ctx;
  const q = d.quote;
  if ('not_null' in check) {
    return rows('not_null', `SELECT * FROM ${r} WHERE ${check.not_null.map((c) => `${q(c)} IS NULL`).join(' OR ')}`);
  }
  if ('unique' in check) {
    // Rows with a NULL in the key are not_null's business; one failing row per duplicated key.
    const cols = check.unique.map(q);
    const sql = `SELECT ${cols.join(', ')}, count(*) AS duplicate_count FROM ${r} WHERE ${cols.map((c) => `${c} IS NOT NULL`).join(' AND ')} GROUP BY ${cols.join(', ')} HAVING count(*) > 1`;
    return rows('unique', sql, cols);
  }
  if ('row_count' in check) {
    const { min, max } = check.row_count;
    const outside = [min !== undefined ? `row_count < ${numberLiteral(min)}` : '', max !== undefined ? `row_count > ${numberLiteral(max)}` : ''];
    return rows('row_count', `SELECT row_count FROM (SELECT count(*) AS row_count FROM ${r}) AS counted WHERE ${outside.filter(Boolean).join(' OR ')}`);
  }
  if ('accepted_values' in check) {
    const { column, values } = check.accepted_values;
    const col = q(column);
    // All numbers compare as numbers; anything else as text, so '01' never equals 1 by accident.
    const numeric = values.every((v) => typeof v === 'number');
    const list = values.map((v) => (typeof v === 'number' && numeric ? numberLiteral(v) : d.string(String(v)))).join(', ');
    return rows('accepted_values', `SELECT * FROM ${r} WHERE ${col} IS NOT NULL AND ${numeric ? col : d.text(col)} NOT IN (${list})`, [col]);
  }
  if ('range' in check) {
    const { column, min, max } = check.range;
    const col = q(column);
    const outside = [min !== undefined ? `${col} < ${numberLiteral(min)}` : '', max !== undefined ? `${col} > ${numberLiteral(max)}` : ''].filter(Boolean);
    if (outside.length === 0) throw new UsageError(`range(${column}) needs min or max`);
    return rows('range', `SELECT * FROM ${r} WHERE ${outside.join(' OR ')}`, [col]);
  }
  if ('regex' in check) {
    const col = q(check.regex.column);
    return rows('regex', `SELECT * FROM ${r} WHERE ${col} IS NOT NULL AND ${d.notMatching(col, check.regex.pattern)}`, [col]);
  }
  if ('freshness' in check) {
    // An output with no timestamp at all is not fresh either: latest IS NULL fails.
    const cutoff = ctx.now - check.freshness.maxAgeHours * 3_600_000;
    const latest = `SELECT max(${d.instant(q(check.freshness.column))}) AS latest FROM ${r}`;
    const sql = `SELECT ${d.isoText('latest')} AS latest, ${d.string(new Date(cutoff).toISOString())} AS cutoff FROM (${latest}) AS newest WHERE latest IS NULL OR latest < ${d.instantLiteral(cutoff)}`;
    return rows('freshness', sql);
  }
  if ('relationships' in check) {
    const { column, to } = check.relationships;
    if (!ctx.parentRelation) throw new UsageError(`relationships(${column}): output "${to.output}" is not available`);
    const col = `child.${q(column)}`;
    const sql = `SELECT child.* FROM ${r} AS child WHERE ${col} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${ctx.parentRelation} AS parent WHERE parent.${q(to.column)} = ${col})`;
    return rows('relationships', sql, [q(column)]);
  }
  if ('row_count_change' in check) {
    return { kind: 'row_count_change', sql: `SELECT count(*) AS row_count FROM ${r}`, maxRelative: check.row_count_change.maxRelative };
  }
  // The query is wrapped as a subquery for the count and the samples: a trailing ';' would break it.
  // `{{period}}` and `{{param.X}}` become parameter markers: their values are bound, never SQL text.
  const bound = bindSqlTemplate(check.sql, { period: ctx.period, params: ctx.params, output: r }, d.marker);
  const sql = bound.sql.trim().replace(/;+\s*$/, '');
  return Object.keys(bound.values).length > 0 ? { kind: 'sql', sql, orderBy: [], values: bound.values } : rows('sql', sql);
}

function rows(kind: Exclude<CheckKind, 'row_count_change'>, sql: string, orderBy: string[] = []): CompiledCheck {
  return { kind, sql, orderBy };
}
