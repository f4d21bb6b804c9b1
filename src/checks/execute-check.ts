import type { CheckDialect } from './check-dialect.ts';
import type { CompiledCheck } from './compile-check.ts';
import type { RowCountHistory } from './row-count-history.ts';
import type { SampleRow } from './types.ts';

/** Runs one statement in the engine that holds the output, with its bound values; rows as plain JSON values. */
export type QueryRows = (sql: string, values?: Readonly<Record<string, string>>) => Promise<Record<string, unknown>[]>;

export const SAMPLE_LIMIT = 5;

export interface Outcome {
  passed: boolean;
  failingRows: number;
  samples: SampleRow[];
  note?: string;
}

export interface HistoryContext {
  history?: RowCountHistory;
  pipeline: string;
  output: string;
  period: string;
}

/**
 * Counts the failing rows, then reads samples only when there are some: most checks pass, and
 * on a warehouse each statement costs a round trip. The sample query takes the first rows in
 * the dialect's order, so a top-N, not a full sort, is all the engine does.
 */
export async function executeCheck(compiled: CompiledCheck, query: QueryRows, dialect: CheckDialect, h: HistoryContext): Promise<Outcome> {
  if (compiled.kind === 'row_count_change') return rowCountChange(compiled, query, h);
  const [counted] = await query(`SELECT count(*) AS failing_rows FROM (${compiled.sql}) AS failing`, compiled.values);
  const failingRows = toCount(counted?.failing_rows);
  if (failingRows === 0) return { passed: true, failingRows, samples: [] };
  const rows = await query(`SELECT * FROM (${compiled.sql}) AS failing${dialect.sampleOrder(compiled.orderBy)} LIMIT ${SAMPLE_LIMIT}`, compiled.values);
  return { passed: false, failingRows, samples: rows.map(toSample) };
}

async function rowCountChange(compiled: Extract<CompiledCheck, { kind: 'row_count_change' }>, query: QueryRows, h: HistoryContext): Promise<Outcome> {
  const [row] = await query(compiled.sql);
  const count = toCount(row?.row_count);
  if (!h.history) return { passed: true, failingRows: 0, samples: [], note: `no row-count history configured: ${count} rows, not compared` };
  const previous = await h.history.previousRowCount(h.pipeline, h.output, h.period);
  // Every measured count is recorded, pass or fail: a lasting change then fails once, not every month.
  const note = await h.history.recordRowCount(h.pipeline, h.output, h.period, count).then(
    () => undefined,
    (err: unknown) => `could not record the row count: ${(err as Error).message}`,
  );
  if (previous === undefined) return { passed: true, failingRows: 0, samples: [], note: note ?? `first recorded run: ${count} rows, nothing to compare with` };
  const change = previous === 0 ? (count === 0 ? 0 : Infinity) : Math.abs(count - previous) / previous;
  if (change <= compiled.maxRelative) return { passed: true, failingRows: 0, samples: [], note };
  const sample: SampleRow = {
    row_count: count,
    previous_row_count: previous,
    relative_change: Number.isFinite(change) ? Number(change.toFixed(6)) : null,
    max_relative: compiled.maxRelative,
  };
  return { passed: false, failingRows: 1, samples: [sample], note };
}

/** BIGINT counts arrive as strings from DuckDB's JSON rows and from the warehouse. */
export function toCount(value: unknown): number {
  const n = Number(value ?? 0);
  if (!Number.isFinite(n)) throw new Error(`expected a count, got ${String(value)}`);
  return n;
}

/** A row as plain JSON: numbers and strings kept, everything else as text (objects as JSON). */
export function toSample(row: Record<string, unknown>): SampleRow {
  return Object.fromEntries(
    Object.entries(row).map(([name, value]): [string, string | number | null] => {
      if (value === null || value === undefined) return [name, null];
      if (typeof value === 'string') return [name, value];
      if (typeof value === 'number') return [name, Number.isFinite(value) ? value : String(value)];
      if (typeof value === 'object') return [name, JSON.stringify(value)];
      return [name, String(value)];
    }),
  );
}
