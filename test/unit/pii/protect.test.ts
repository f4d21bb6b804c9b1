import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult, RunChecksResult } from '../../../src/checks/types.ts';
import { exportMismatchedRows } from '../../../src/diff/mismatch-rows.ts';
import type { DiffReport } from '../../../src/diff/types.ts';
import {
  PII_MASK,
  piiPolicy,
  protectCheckResult,
  protectChecksResult,
  protectDiffReport,
  protectErrorText,
  protectMismatchCsv,
  protectValue,
  redactPiiFields,
} from '../../../src/pii/index.ts';
import { tempDir, writeFiles } from '../diff/helpers.ts';

const KEY = 'unit-test-pii-key-0123456789';
const mask = piiPolicy(['email', 'CUSTOMER_ID'], 'mask');
const hash = piiPolicy(['email', 'customer_id'], 'hash', { key: KEY });
const h = (v: string) => protectValue(hash, v);

function report(): DiffReport {
  return {
    verdict: 'different',
    schema: { missing: ['dropped'], extra: [], typeChanges: [] },
    counts: { legacy: 5, target: 5, onlyLegacy: 1, onlyTarget: 1, changed: 2, duplicateKeys: { legacy: 1, target: 0 }, nullKeys: { legacy: 0, target: 1 } },
    columns: {
      email: {
        mismatches: 2,
        samples: [
          { key: { customer_id: 'c1', month: '2024-05' }, legacy: 'a@example.com', target: 'A@example.com' },
          { key: { customer_id: 'c2', month: '2024-05' }, legacy: null, target: 'b@example.com' },
        ],
      },
      revenue: { mismatches: 1, samples: [{ key: { customer_id: 'c1', month: '2024-05' }, legacy: '10', target: '11' }] },
      segment: { mismatches: 0, samples: [] },
    },
    keySamples: {
      onlyLegacy: [{ customer_id: 'c3', month: '2024-05' }],
      onlyTarget: [{ customer_id: 'c4', month: '2024-05' }],
      duplicateLegacy: [{ customer_id: 'c5', month: null }],
      duplicateTarget: [],
    },
    key: ['customer_id', 'month'],
    engine: 'duckdb',
    strategy: 'join',
    durationMs: 12,
  };
}

describe('protectDiffReport', () => {
  it('masks PII key values and PII columns’ values, and nothing else', () => {
    const input = report();
    const before = JSON.stringify(input);
    const out = protectDiffReport(input, mask);
    expect(JSON.stringify(input)).toBe(before); // pure
    expect(out.columns.email!.samples).toEqual([
      { key: { customer_id: PII_MASK, month: '2024-05' }, legacy: PII_MASK, target: PII_MASK },
      { key: { customer_id: PII_MASK, month: '2024-05' }, legacy: null, target: PII_MASK },
    ]);
    expect(out.columns.revenue!.samples).toEqual([{ key: { customer_id: PII_MASK, month: '2024-05' }, legacy: '10', target: '11' }]);
    expect(out.keySamples).toEqual({
      onlyLegacy: [{ customer_id: PII_MASK, month: '2024-05' }],
      onlyTarget: [{ customer_id: PII_MASK, month: '2024-05' }],
      duplicateLegacy: [{ customer_id: PII_MASK, month: null }],
      duplicateTarget: [],
    });
    // Counts, mismatches, schema and every other field unchanged.
    const { columns: _c, keySamples: _k, ...rest } = out;
    const { columns: _c2, keySamples: _k2, ...restIn } = report();
    expect(rest).toEqual(restIn);
    expect(Object.fromEntries(Object.entries(out.columns).map(([k, c]) => [k, c.mismatches]))).toEqual({ email: 2, revenue: 1, segment: 0 });
    expect(JSON.stringify(out)).not.toMatch(/example\.com|"c[1-5]"/);
  });

  it('hashes so equal values stay recognisable across sides and samples', () => {
    const out = protectDiffReport(report(), hash);
    const [first, second] = out.columns.email!.samples;
    expect(first).toEqual({ key: { customer_id: h('c1'), month: '2024-05' }, legacy: h('a@example.com'), target: h('A@example.com') });
    expect(first!.legacy).not.toBe(first!.target); // different values, different hashes
    expect(out.columns.revenue!.samples[0]!.key.customer_id).toBe(first!.key.customer_id); // same key, same hash
    expect(second!.legacy).toBeNull();
  });

  it('returns the report as it is when there is nothing to protect or --show-pii', () => {
    const r = report();
    expect(protectDiffReport(r, piiPolicy([], 'mask'))).toBe(r);
    expect(protectDiffReport(r, piiPolicy(['email'], 'mask', { showPii: true }))).toBe(r);
  });
});

describe('protectCheckResult(s)', () => {
  const check = (samples: CheckResult['samples'], extra: Partial<CheckResult> = {}): CheckResult => ({
    output: 'customers',
    check: 'not_null(name)',
    kind: 'not_null',
    passed: false,
    failingRows: 7,
    samples,
    sql: 'SELECT 1',
    durationMs: 1,
    ...extra,
  });

  it('protects PII columns of each sample row (any case), keeps NULLs, numbers and counts', () => {
    const result: RunChecksResult = {
      passed: false,
      checks: [check([{ id: 1, Email: 'x@example.com', name: null }, { id: 2, Email: null, name: 'bob' }]), check([], { passed: true, failingRows: 0 })],
    };
    const out = protectChecksResult(result, mask);
    expect(out.passed).toBe(false);
    expect(out.checks[0]).toEqual({ ...result.checks[0], samples: [{ id: 1, Email: PII_MASK, name: null }, { id: 2, Email: null, name: 'bob' }] });
    expect(out.checks[1]).toEqual(result.checks[1]);
    expect(result.checks[0]!.samples[0]!.Email).toBe('x@example.com'); // pure
    expect(protectCheckResult(check([{ customer_id: 42 }]), hash).samples).toEqual([{ customer_id: h('42') }]);
  });

  it('protects values an engine error quotes', () => {
    const error = "Conversion Error: Could not convert string 'x@example.com' to INT32";
    expect(protectCheckResult(check([], { error }), mask).error).toBe(`Conversion Error: Could not convert string '${PII_MASK}' to INT32`);
    expect(protectErrorText(hash, "value 'it''s' bad")).toBe(`value '${h("it's")}' bad`);
    expect(protectErrorText(piiPolicy([], 'mask'), error)).toBe(error);
  });
});

describe('protectMismatchCsv', () => {
  const header = 'kind,customer_id,month,column,legacy,target\r\n';

  it('round-trips every awkward value byte for byte when nothing is PII', () => {
    const csv =
      header +
      'only_legacy,c1,2024-05,,1,\r\n' +
      'changed,"c,2","2024-""05""",note,"line1\r\nline2","a\nb"\r\n' +
      'changed,c3,"",note,"",\r\n' +
      'null_key_target,,2024-05,,,\r\n';
    expect(protectMismatchCsv(csv, piiPolicy(['other'], 'mask'))).toBe(csv);
  });

  it('protects PII key columns on every line and legacy/target only where column is PII', () => {
    const csv =
      header +
      'only_legacy,"c,1",2024-05,,1,\r\n' +
      'duplicate_legacy,c2,2024-05,,2,1\r\n' +
      'changed,c3,2024-05,email,"a@x.com, ""quoted""","multi\r\nline"\r\n' +
      'changed,c3,2024-05,revenue,10,11\r\n' +
      'changed,c4,2024-05,EMAIL,,""\r\n' +
      'null_key_legacy,,2024-05,,,\r\n';
    const out = protectMismatchCsv(csv, mask);
    expect(out).toBe(
      header +
        `only_legacy,${PII_MASK},2024-05,,1,\r\n` +
        `duplicate_legacy,${PII_MASK},2024-05,,2,1\r\n` +
        `changed,${PII_MASK},2024-05,email,${PII_MASK},${PII_MASK}\r\n` +
        `changed,${PII_MASK},2024-05,revenue,10,11\r\n` +
        `changed,${PII_MASK},2024-05,EMAIL,,${PII_MASK}\r\n` +
        'null_key_legacy,,2024-05,,,\r\n',
    );
    const hashed = parse(protectMismatchCsv(csv, hash)) as string[][];
    expect(hashed[3]).toEqual(['changed', h('c3'), '2024-05', 'email', h('a@x.com, "quoted"'), h('multi\r\nline')]);
    expect(hashed[4]![1]).toBe(hashed[3]![1]);
  });

  it('refuses text that is not the exporter’s CSV, and leaves an empty text alone', () => {
    expect(() => protectMismatchCsv('a,b\r\n1,2\r\n', mask)).toThrow(/not a mismatched-rows CSV/);
    expect(() => protectMismatchCsv('kind,id,column,legacy,target\r\n"unterminated\r\n', mask)).toThrow();
    expect(protectMismatchCsv('', mask)).toBe('');
  });

  describe('on exportMismatchedRows output', () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    beforeAll(async () => {
      ({ dir, cleanup } = await tempDir());
      const rows = (emailOf: string) => `SELECT * FROM (VALUES
        ('a@example.com', 'Ann, "the first"', 1),
        ('b@example.com', ${emailOf}, 2),
        ('c@example.com', 'same', 3),
        (NULL, 'nullkey', 4)) t(email, note, n)`;
      await writeFiles({
        [join(dir, 'l.parquet')]: rows(`'line1' || chr(13) || chr(10) || 'line2'`),
        [join(dir, 't.parquet')]: `${rows(`''`)} UNION ALL SELECT 'd@example.com', 'new', 5`,
      });
    });
    afterAll(() => cleanup());

    it('masks the key and PII values and keeps the rest of the export exact', async () => {
      const input = { legacy: { path: join(dir, 'l.parquet'), format: 'parquet' as const }, target: { path: join(dir, 't.parquet'), format: 'parquet' as const }, key: ['email'] };
      const csv = await exportMismatchedRows(input);
      expect(protectMismatchCsv(csv, piiPolicy(['other'], 'mask'))).toBe(csv);
      const out = protectMismatchCsv(csv, piiPolicy(['email'], 'mask'));
      expect(out).not.toContain('@example.com');
      const rows = parse(out, { cast: (v, c) => (v === '' && !c.quoting ? null : v) }) as Array<Array<string | null>>;
      const original = parse(csv, { cast: (v, c) => (v === '' && !c.quoting ? null : v) }) as Array<Array<string | null>>;
      expect(rows.length).toBe(original.length);
      // Only the key column changed: note values (newlines, quotes, '') survive exactly.
      expect(rows.map((r) => [r[0], r[2], r[3], r[4]])).toEqual(original.map((r) => [r[0], r[2], r[3], r[4]]));
      expect(rows.filter((r) => r[0] !== 'kind' && r[0] !== 'null_key_legacy' && r[0] !== 'null_key_target').every((r) => r[1] === PII_MASK)).toBe(true);
      expect(rows.find((r) => r[0] === 'changed')).toEqual(['changed', PII_MASK, 'note', 'line1\r\nline2', '']);
    });
  });
});

describe('redactPiiFields (the log net)', () => {
  it('replaces samples, keySamples and csv at any depth, through pino, and keeps counts', () => {
    let line = '';
    const sink = new Writable({ write: (chunk: Buffer, _enc, done) => ((line += chunk.toString()), done()) });
    // The way src/logger.ts scrubs every argument in its logMethod hook.
    const logger = pino({ hooks: { logMethod(args, method) { method.apply(this, args.map((a) => redactPiiFields(a)) as Parameters<typeof method>); } } }, sink);
    const r = report();
    const logged = { report: r, result: { checks: [{ samples: [{ email: 'x@example.com' }] }] }, csv: 'c1,z@example.com', job: { data: { report: r } } };
    logger.info(logged, 'sample test');
    expect(line).toContain('"mismatches":2');
    expect(line).toContain('"samples":"[PII]"');
    expect(line).not.toMatch(/example\.com|"c[1-5]"/);
    expect(logged.job.data.report.columns.email!.samples).toHaveLength(2); // the input is not changed
  });

  it('leaves errors, class instances and cycles alone', () => {
    const err = new Error('boom');
    const cyclic: Record<string, unknown> = { samples: [1], list: [] };
    cyclic.self = cyclic;
    (cyclic.list as unknown[]).push(cyclic);
    expect(redactPiiFields(err)).toBe(err);
    expect(redactPiiFields(cyclic)).toEqual({ samples: '[PII]', list: ['[Circular]'], self: '[Circular]' });
    expect(redactPiiFields('samples')).toBe('samples');
  });
});
