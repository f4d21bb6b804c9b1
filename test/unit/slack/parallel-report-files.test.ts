import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportMismatchedRows } from '../../../src/diff/index.ts';
import { buildReportFiles, countCsvRows, safeName } from '../../../src/slack/index.ts';
import { tempDir, writeFiles } from '../diff/helpers.ts';
import { T0, cleanOutput, differentOutput, errorOutput, makeParallel, makeReport } from './parallel-fixture.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const done = () =>
  makeParallel({
    state: 'done',
    verdict: 'different',
    verdictReason: '1 output differs beyond tolerance',
    outputs: { citations: differentOutput(), authors: cleanOutput('authors'), 'sales/eu': errorOutput('sales/eu') },
    dq: { passed: true, failing: [], total: 3 },
    endedAt: T0 + 2_000_000,
  });

describe('buildReportFiles', () => {
  it('writes the JSON summary with the verdict and every report, then one CSV per output with rows', () => {
    const citations = makeReport();
    const authors = makeReport({ verdict: 'clean' });
    const csv = 'kind,id,column,legacy,target\r\nchanged,7,name,Ada,"a\r\nda"\r\nonly_legacy,1,,1,\r\n';
    const files = buildReportFiles(done(), { citations, authors }, {
      citations: csv,
      authors: 'kind,id,column,legacy,target\r\n',
      'sales/eu': '',
    });
    expect(files.map(({ filename, title }) => ({ filename, title }))).toEqual([
      { filename: 'incites-monthly-2024-05-diff.json', title: 'incites-monthly 2024-05 diff report (JSON)' },
      { filename: 'incites-monthly-2024-05-citations-mismatches.csv', title: 'incites-monthly 2024-05 citations: 2 mismatched rows (CSV)' },
    ]);
    expect(files[1]?.content).toBe(csv);
    const json = JSON.parse(files[0]?.content ?? '');
    expect(json).toMatchObject({
      id: 'p-m3k9x2-9c1d',
      kind: 'parallel',
      pipeline: 'incites-monthly',
      period: '2024-05',
      verdict: 'different',
      verdictReason: '1 output differs beyond tolerance',
      dq: { passed: true, failing: [], total: 3 },
      createdAt: '2024-05-01T00:00:00.000Z',
      endedAt: '2024-05-01T00:33:20.000Z',
    });
    expect(json.outputs).toEqual({
      citations: { verdict: 'different', error: null, report: citations },
      authors: { verdict: 'clean', error: null, report: authors },
      'sales/eu': { verdict: 'error', error: 'no parquet objects under s3://legacy-bucket/authors/2024-05/', report: null },
    });
  });

  it('attaches the CSV exported from real Parquet files', async () => {
    const [l, t] = [`${dir}/l.parquet`, `${dir}/t.parquet`];
    await writeFiles({ [l]: `SELECT i AS id, i AS v FROM range(30) r(i)`, [t]: `SELECT i AS id, i % 7 AS v FROM range(3, 30) r(i)` });
    // 3 keys only in legacy, and v differs from id 7 on: 23 changed.
    const csv = await exportMismatchedRows({ legacy: { path: l, format: 'parquet' }, target: { path: t, format: 'parquet' }, key: ['id'] });
    const files = buildReportFiles(done(), {}, { citations: csv });
    expect(files[1]?.title).toBe('incites-monthly 2024-05 citations: 26 mismatched rows (CSV)');
    expect(files[1]?.content.split('\r\n').slice(0, 5)).toEqual([
      'kind,id,column,legacy,target',
      'only_legacy,0,,1,',
      'only_legacy,1,,1,',
      'only_legacy,2,,1,',
      'changed,7,v,7,0',
    ]);
  });

  it('keeps file names safe and counts CSV rows with quoted newlines once', () => {
    expect(safeName('sales/eu 2024:05')).toBe('sales_eu_2024_05');
    expect(safeName('')).toBe('_');
    const p = makeParallel({ pipeline: 'a b', period: '2024/05' });
    expect(buildReportFiles(p, {}, { 'x/y': 'h\r\n1\r\n' }).map((f) => f.filename)).toEqual(['a_b-2024_05-diff.json', 'a_b-2024_05-x_y-mismatches.csv']);
    expect(countCsvRows('')).toBe(0);
    expect(countCsvRows('h\r\n')).toBe(0);
    expect(countCsvRows('h\r\n"a\r\nb",1\r\n"c""\n",2')).toBe(2);
  });
});
