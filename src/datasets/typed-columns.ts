import { UnsupportedError } from '../errors.ts';
import type { SchemaColumn } from '../diff/column-plan.ts';
import type { DuckDbSession } from '../diff/duckdb-session.ts';
import { castText } from './text-cast.ts';

/** A DuckDB identifier, quoted. */
export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** A column read as text (a CSV field, a partition folder's value) and the type it should have. */
export interface TextColumn {
  name: string;
  /** SQL of the text. */
  raw: string;
  /** Declared or the other side's type; undefined keeps the text (VARCHAR) as a guess to revisit. */
  type?: string;
}

/** What typedSelect planned for one column. */
export interface TypedColumn {
  name: string;
  type: string;
  /** The type is a guess (text kept as text): the other side's type may replace it (`retype`). */
  untyped: boolean;
  /** Alias of the column holding the text of values that did not parse as `type`. */
  companion?: string;
}

/**
 * Select items that cast each text column exactly (castText) and keep, beside it, the text of
 * values that do not parse (`__cutover_unparsed_<i>`, NULL everywhere else: a constant column
 * costs next to nothing in DuckDB). settleUnparsed then decides what becomes of them.
 */
export function typedSelect(columns: TextColumn[], prefix = ''): { items: string[]; columns: TypedColumn[] } {
  const items: string[] = [];
  const planned = columns.map((c, i): TypedColumn => {
    if (!c.type) {
      items.push(`${c.raw} AS ${quoteIdent(c.name)}`);
      return { name: c.name, type: 'VARCHAR', untyped: true };
    }
    const cast = castText(c.raw, c.type);
    items.push(`${cast.value} AS ${quoteIdent(c.name)}`);
    if (cast.fails === 'false') return { name: c.name, type: cast.type, untyped: false };
    const companion = `__cutover_unparsed_${prefix}${i}`;
    items.push(`CASE WHEN ${cast.fails} THEN ${c.raw} END AS ${companion}`);
    return { name: c.name, type: cast.type, untyped: false, companion };
  });
  return { items, columns: planned };
}

export interface SettleOptions {
  /**
   * Keep values that do not parse as extra columns, so the diff reports each as a difference
   * with its key (`SchemaColumn.unparsed`). Otherwise (DQ checks) the first such column fails
   * the registration, naming it: a check on silently NULLed values would pass wrongly.
   */
  keepUnparsed?: boolean;
  /** Says where the values came from, for the error: e.g. the dataset's path. */
  where: string;
  /** A SQL column of `relation` naming each row's file, for the error. */
  fileColumn?: string;
  /** What people are told about a file DuckDB read (a download's S3 URL). */
  sourceOf?: (path: string) => string;
}

/**
 * Counts, in `relation`, the values of each column that did not parse. Returns the columns for
 * the registration, with `unparsed` set where some did (and only there: the select list of the
 * view is `select`), or throws UnsupportedError when they may not be kept.
 */
export async function settleUnparsed(
  session: DuckDbSession,
  relation: string,
  columns: TypedColumn[],
  options: SettleOptions,
): Promise<{ columns: SchemaColumn[]; select: string[] }> {
  const withCompanion = columns.filter((c) => c.companion);
  const counts = new Map<string, number>();
  if (withCompanion.length > 0) {
    const row = await session.one(`SELECT ${withCompanion.map((c, i) => `count(${c.companion}) AS n${i}`).join(', ')} FROM ${relation}`);
    withCompanion.forEach((c, i) => counts.set(c.name, Number(row[`n${i}`] ?? 0)));
  }
  const select: string[] = [];
  const out = await Promise.all(
    columns.map(async (c): Promise<SchemaColumn> => {
      select.push(quoteIdent(c.name));
      const failed = counts.get(c.name) ?? 0;
      if (failed === 0 || !c.companion) return { name: c.name, type: c.type };
      if (!options.keepUnparsed) {
        const path = options.fileColumn ? await firstFile(session, relation, c.companion, options.fileColumn) : undefined;
        const file = path && options.sourceOf ? options.sourceOf(path) : path;
        throw new UnsupportedError(
          `${options.where}: ${failed} value${failed === 1 ? '' : 's'} of column "${c.name}" cannot be read as ${c.type}${file ? ` (first in ${file})` : ''}`,
          'unparsed-value',
        );
      }
      select.push(c.companion);
      return { name: c.name, type: c.type, unparsed: c.companion };
    }),
  );
  return { columns: out, select };
}

async function firstFile(session: DuckDbSession, relation: string, companion: string, fileColumn: string): Promise<string | undefined> {
  const row = await session.one(`SELECT min(${fileColumn}) AS f FROM ${relation} WHERE ${companion} IS NOT NULL`);
  return row.f === null || row.f === undefined ? undefined : String(row.f);
}
