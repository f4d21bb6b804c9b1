import type { Check } from '../config/catalog-schema.ts';
import type { SampleRow } from './types.ts';

const count = (n: number) => n.toLocaleString('en-US');

/**
 * The failure of a check that counts rows, in words: "7 rows, at least 100 expected" instead
 * of "1 failing row {row_count: 7}". Undefined for checks whose failures are rows (those show
 * the number of failing rows and samples).
 */
export function describeFailure(check: Check, samples: readonly SampleRow[]): string | undefined {
  const [row] = samples;
  if (!row) return undefined;
  if ('row_count' in check) {
    const n = Number(row.row_count);
    const { min, max } = check.row_count;
    const wanted = min !== undefined && n < min ? `at least ${count(min)}` : `at most ${count(max ?? 0)}`;
    return `${count(n)} row${n === 1 ? '' : 's'}, ${wanted} expected`;
  }
  if ('row_count_change' in check) {
    const [n, before] = [Number(row.row_count), Number(row.previous_row_count)];
    const change = before === 0 ? 'from none' : `${n >= before ? '+' : '−'}${+((Math.abs(n - before) / before) * 100).toFixed(1)} %`;
    return `${count(n)} rows vs ${count(before)} last period (${change}), at most ${+(check.row_count_change.maxRelative * 100).toFixed(4)} % change allowed`;
  }
  return undefined;
}
