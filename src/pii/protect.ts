import { parse } from 'csv-parse/sync';
import type { CheckResult, RunChecksResult, SampleRow } from '../checks/types.ts';
import { csvLine } from '../diff/mismatch-rows.ts';
import type { DiffReport, KeyValues, MismatchSample } from '../diff/types.ts';
import { PII_MASK, type PiiPolicy } from './policy.ts';

/**
 * Pure functions that apply a `PiiPolicy` to what Cutover shows: they return new values and
 * never change their input. Only sample values change; counts, column names, verdicts and
 * every other field stay as they were, so the JSON contracts of DESIGN.md hold.
 */

type Scalar = string | number | null;

/**
 * A value known to be PII, as the policy shows it: NULL stays NULL; `mask` gives `•••`,
 * `hash` the 12-hex-char HMAC of the value's text (numbers as `String(n)`), `show` the value.
 */
export function protectValue<V extends Scalar>(policy: PiiPolicy, value: V): V | string {
  if (value === null || policy.mode === 'show') return value;
  return policy.mode === 'hash' ? policy.hash(String(value)) : PII_MASK;
}

/** `value` of column `column`: protected when the column is PII (case-insensitive), else as is. */
export function protectField<V extends Scalar>(policy: PiiPolicy, column: string, value: V): V | string {
  return policy.isPii(column) ? protectValue(policy, value) : value;
}

/** A key object (`{ customer_id: '42', month: '2024-05' }`): PII key columns protected. */
export function protectKey(policy: PiiPolicy, key: KeyValues): KeyValues {
  if (policy.isNoop) return key;
  return Object.fromEntries(Object.entries(key).map(([column, value]) => [column, protectField(policy, column, value)]));
}

/** A sample row of any shape (DQ samples): each PII column's value protected. */
export function protectRow(policy: PiiPolicy, row: SampleRow): SampleRow {
  if (policy.isNoop) return row;
  return Object.fromEntries(Object.entries(row).map(([column, value]) => [column, protectField(policy, column, value)]));
}

/**
 * A diff report: `columns.<col>.samples` (key values, and legacy/target when `<col>` is PII)
 * and the `keySamples` lists. Mismatch counts and everything else are untouched.
 */
export function protectDiffReport<R extends DiffReport>(report: R, policy: PiiPolicy): R {
  if (policy.isNoop) return report;
  const sample = (column: string, s: MismatchSample): MismatchSample => ({
    ...s,
    key: protectKey(policy, s.key),
    legacy: protectField(policy, column, s.legacy),
    target: protectField(policy, column, s.target),
  });
  const columns = Object.fromEntries(
    Object.entries(report.columns).map(([column, c]) => [column, { ...c, samples: c.samples.map((s) => sample(column, s)) }]),
  );
  const keys = (list: KeyValues[]) => list.map((k) => protectKey(policy, k));
  const ks = report.keySamples;
  const keySamples = ks && {
    ...ks,
    onlyLegacy: keys(ks.onlyLegacy),
    onlyTarget: keys(ks.onlyTarget),
    duplicateLegacy: keys(ks.duplicateLegacy),
    duplicateTarget: keys(ks.duplicateTarget),
  };
  return { ...report, columns, keySamples };
}

/**
 * One DQ check result: its sample rows, and quoted values in its `error` (see
 * `protectErrorText`). Give it the pipeline's policy (`piiPolicyForPipeline`).
 */
export function protectCheckResult<C extends ProtectableCheck>(result: C, policy: PiiPolicy): C {
  if (policy.isNoop) return result;
  const protectedResult = { ...result };
  if (result.samples !== undefined) protectedResult.samples = result.samples.map((row) => protectRow(policy, row));
  if (result.error !== undefined) protectedResult.error = protectErrorText(policy, result.error);
  return protectedResult;
}

/** What `protectCheckResult` reads: a `CheckResult`, or any summary of one (e.g. the DQ alert's failing check). */
export type ProtectableCheck = Pick<Partial<CheckResult>, 'samples' | 'error'>;

/** Every check of a `runChecks` result (`passed` and every count unchanged). */
export function protectChecksResult<R extends RunChecksResult>(result: R, policy: PiiPolicy): R {
  if (policy.isNoop) return result;
  return { ...result, checks: result.checks.map((c) => protectCheckResult(c, policy)) };
}

/**
 * An engine error message may quote a data value (DuckDB: `Could not convert string
 * 'jane@example.com' to INT32`). When the policy protects any column, every single-quoted
 * literal in the text is protected like a value (hashed or masked). Best effort: only quoted
 * values are recognised, and literals of the catalog's own SQL are protected too.
 */
export function protectErrorText(policy: PiiPolicy, text: string): string {
  if (policy.isNoop) return text;
  return text.replace(/'((?:[^']|'')*)'/g, (_all, inner: string) => `'${protectValue(policy, inner.replaceAll("''", "'"))}'`);
}

/**
 * The CSV of `exportMismatchedRows`: header `kind, <key columns…>, column, legacy, target`.
 * PII key columns are protected on every line; `legacy`/`target` only on lines whose `column`
 * is PII (on the other lines they hold row counts). Parsed with csv-parse and written back with
 * the exporter's own `csvLine`, so the result has the same dialect (CRLF, RFC 4180 quoting,
 * NULL as an empty field, '' as `""`) and a line without PII comes back byte for byte.
 * Throws on a CSV that does not have the exporter's header.
 */
export function protectMismatchCsv(csv: string, policy: PiiPolicy): string {
  if (policy.isNoop || csv === '') return csv;
  const records = parse(csv, {
    // An unquoted empty field is NULL; a quoted one is the empty string.
    cast: (value, context) => (value === '' && !context.quoting ? null : value),
    relax_column_count: false,
  }) as Array<Array<string | null>>;
  const [header, ...lines] = records;
  const width = header?.length ?? 0;
  if (!header || width < 5 || header[0] !== 'kind' || header.slice(-3).join(',') !== 'column,legacy,target') {
    throw new Error('not a mismatched-rows CSV: expected the header kind, <key columns>, column, legacy, target');
  }
  const keyPii = header.slice(1, -3).map((name) => policy.isPii(name ?? ''));
  const out = [csvLine(header)];
  for (const fields of lines) {
    const column = fields[width - 3];
    const valuesPii = column !== null && column !== undefined && policy.isPii(column);
    out.push(
      csvLine(
        fields.map((value, i) => {
          const pii = i >= 1 && i < width - 3 ? keyPii[i - 1] : i >= width - 2 ? valuesPii : false;
          return pii ? protectValue(policy, value ?? null) : (value ?? null);
        }),
      ),
    );
  }
  return out.join('');
}
