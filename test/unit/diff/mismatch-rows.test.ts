import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvField, diffDatasets, exportMismatchedRows, type CompareOptions, type DiffInput } from '../../../src/diff/index.ts';
import { tempDir, writeFiles } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

let seq = 0;
/** Writes both sides as real Parquet with DuckDB and returns the diff input for them. */
async function datasets(legacy: string, target: string, key = ['id'], options: CompareOptions = {}): Promise<DiffInput> {
  const n = ++seq;
  const [l, t] = [`${dir}/l${n}.parquet`, `${dir}/t${n}.parquet`];
  await writeFiles({ [l]: legacy, [t]: target });
  return { legacy: { path: l, format: 'parquet' }, target: { path: t, format: 'parquet' }, key, options };
}

const rows = (values: string, columns: string) => `SELECT * FROM (VALUES ${values}) v(${columns})`;

/** A strict RFC 4180 reader, written apart from the exporter, so quoting bugs cannot cancel out. */
function parseCsv(csv: string): Array<Array<string | null>> {
  const records: Array<Array<string | null>> = [];
  let record: Array<string | null> = [];
  let i = 0;
  while (i < csv.length) {
    let field: string | null;
    if (csv[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = csv.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quote');
        value += csv.slice(i, q);
        if (csv[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      field = value;
    } else {
      const end = csv.slice(i).search(/,|\r\n/);
      const raw = end < 0 ? csv.slice(i) : csv.slice(i, i + end);
      if (/["\r\n]/.test(raw)) throw new Error(`bad unquoted field ${JSON.stringify(raw)}`);
      field = raw === '' ? null : raw;
      i += raw.length;
    }
    record.push(field);
    if (csv.startsWith('\r\n', i)) {
      records.push(record);
      record = [];
      i += 2;
    } else if (csv[i] === ',') i++;
    else if (i < csv.length) throw new Error(`expected , or CRLF at ${i}`);
  }
  if (record.length > 0) throw new Error('last record has no CRLF');
  return records;
}

const LEGACY = rows(
  `(1, 'a', 1.0::DOUBLE), (2, 'b', 2.0), (3, 'c', 3.0), (4, 'd', 4.0), (4, 'd', 4.0), (5, 'e', 5.0),
   (8, NULL, 8.0), (10, 'j', 10.0), (NULL, 'n', 0.0)`,
  'id, name, amount',
);
const TARGET = rows(
  `(1, 'a', 1.0::DOUBLE), (2, 'B', 2.0), (3, 'c', 3.005), (4, 'd', 4.0), (6, 'f', 6.0), (7, 'g', 7.0), (7, 'g', 7.0),
   (8, 'h', 8.0), (10, 'J', 10.5), (NULL, 'm', 1.0), (NULL, 'm', 1.0)`,
  'id, name, amount',
);

describe('exportMismatchedRows', () => {
  it('lists the rows behind every count, by kind then key, with floats compared within tolerance', async () => {
    const input = await datasets(LEGACY, TARGET, ['id'], { absTolerance: 0.01 });
    const csv = await exportMismatchedRows(input);
    expect(csv).toBe(
      [
        'kind,id,column,legacy,target',
        'only_legacy,5,,1,',
        'only_target,6,,,1',
        'only_target,7,,,2',
        'changed,2,name,b,B',
        'changed,8,name,,h',
        'changed,10,name,j,J',
        'changed,10,amount,10.0,10.5',
        'duplicate_legacy,4,,2,1',
        'duplicate_target,7,,,2',
        'null_key_legacy,,,,',
        'null_key_target,,,,',
        'null_key_target,,,,',
        '',
      ].join('\r\n'),
    );
    // Key 3 differs by 0.005 < 0.01: within tolerance, so not exported. The lines agree with the report.
    const report = await diffDatasets(input);
    const lines = parseCsv(csv).slice(1);
    const count = (kind: string) => lines.filter((l) => l[0] === kind).length;
    expect(count('only_legacy')).toBe(report.counts.onlyLegacy);
    expect(count('only_target')).toBe(report.counts.onlyTarget);
    expect(new Set(lines.filter((l) => l[0] === 'changed').map((l) => l[1])).size).toBe(report.counts.changed);
    expect(count('duplicate_legacy')).toBe(report.counts.duplicateKeys.legacy);
    expect(count('duplicate_target')).toBe(report.counts.duplicateKeys.target);
    expect(count('null_key_legacy')).toBe(report.counts.nullKeys.legacy);
    expect(count('null_key_target')).toBe(report.counts.nullKeys.target);
    for (const [column, { mismatches }] of Object.entries(report.columns)) {
      expect(lines.filter((l) => l[0] === 'changed' && l[2] === column)).toHaveLength(mismatches);
    }
  });

  it('exports a float beyond tolerance and not one within it', async () => {
    const input = await datasets(rows(`(1, 1.0::DOUBLE), (2, 2.0)`, 'id, x'), rows(`(1, 1.0000001::DOUBLE), (2, 2.1)`, 'id, x'), ['id'], {
      relTolerance: 1e-6,
    });
    expect(await exportMismatchedRows(input)).toBe('kind,id,column,legacy,target\r\nchanged,2,x,2.0,2.1\r\n');
  });

  it('writes only the header for identical datasets in another row order', async () => {
    const base = `SELECT i AS id, 'n' || i AS name FROM range(50) t(i)`;
    const input = await datasets(`${base} ORDER BY id`, `${base} ORDER BY hash(id)`);
    expect(await exportMismatchedRows(input)).toBe('kind,id,column,legacy,target\r\n');
  });

  it('honours the limit, keeping the first lines in order', async () => {
    const input = await datasets(
      `SELECT i AS id, i AS v FROM range(100) t(i)`,
      `SELECT i AS id, i + 1 AS v FROM range(100) t(i) WHERE i >= 20`,
    );
    const lines = parseCsv(await exportMismatchedRows(input, { limit: 25 }));
    expect(lines).toHaveLength(26);
    expect(lines.slice(1, 21).map((l) => l.slice(0, 2))).toEqual(Array.from({ length: 20 }, (_, i) => ['only_legacy', String(i)]));
    expect(lines.slice(21).map((l) => l.join('|'))).toEqual(
      [20, 21, 22, 23, 24].map((i) => `changed|${i}|v|${i}|${i + 1}`),
    );
    expect(parseCsv(await exportMismatchedRows(input))).toHaveLength(101);
    expect(parseCsv(await exportMismatchedRows(input, { limit: 0 }))).toHaveLength(1);
  });

  it('quotes commas, quotes and newlines (RFC 4180), and tells an empty string from NULL', async () => {
    const input = await datasets(
      rows(`('k,1', 'x', 1), ('k"2', 'x', 2), ('k3', 'x', 3), ('k4', 'x', 4), ('k5', 'x', 5)`, 'code, s, n'),
      rows(
        `('k,1', 'a,b', 1), ('k"2', 'say "hi"', 2), ('k3', 'line1' || chr(10) || 'line2', 3), ('k4', '', 4), ('k5', NULL, 5)`,
        'code, s, n',
      ),
      ['code'],
    );
    const csv = await exportMismatchedRows(input);
    expect(csv).toBe(
      'kind,code,column,legacy,target\r\n' +
        'changed,"k""2",s,x,"say ""hi"""\r\n' +
        'changed,"k,1",s,x,"a,b"\r\n' +
        'changed,k3,s,x,"line1\nline2"\r\n' +
        'changed,k4,s,x,""\r\n' +
        'changed,k5,s,x,\r\n',
    );
    expect(parseCsv(csv).slice(1).map((l) => [l[1], l[4]])).toEqual([
      ['k"2', 'say "hi"'],
      ['k,1', 'a,b'],
      ['k3', 'line1\nline2'],
      ['k4', ''],
      ['k5', null],
    ]);
  });

  it('handles composite keys, canonical timestamps and a key NULL in one column only', async () => {
    const input = await datasets(
      rows(`('EU', 2, TIMESTAMP '2024-03-01 10:00:00'), ('EU', 10, TIMESTAMP '2024-03-01 11:00:00'), ('US', NULL, NULL)`, 'region, n, ts'),
      rows(`('EU', 2, TIMESTAMPTZ '2024-03-01 12:00:00+02'), ('EU', 10, TIMESTAMPTZ '2024-03-01 11:30:00+00')`, 'region, n, ts'),
      ['region', 'n'],
      { timestamps: 's' },
    );
    expect(await exportMismatchedRows(input)).toBe(
      'kind,region,n,column,legacy,target\r\n' +
        'changed,EU,10,ts,2024-03-01T11:00:00Z,2024-03-01T11:30:00Z\r\n' +
        'null_key_legacy,US,,,,\r\n',
    );
  });

  it('quotes fields by the RFC rules', () => {
    expect([csvField(null), csvField(''), csvField('plain'), csvField('a\rb'), csvField('"')]).toEqual(['', '""', 'plain', '"a\rb"', '""""']);
  });
});
