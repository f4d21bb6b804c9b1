import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalog } from '../../../src/config/load-catalog.ts';
import { diffOutput } from '../../../src/diff/index.ts';
import { lastShare } from '../../../src/jobs/diff-parallel.ts';
import type { OutputSummary } from '../../../src/store/parallel-record.ts';
import { cleanOutput, differentOutput, makeParallel } from '../slack/parallel-fixture.ts';
import { tempDir, writeFiles } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const catalog = (legacy: string, target: string) =>
  parseCatalog(`pipelines:
  p:
    channel: C0PIPELINES
    target: { engine: databricks, jobId: 1 }
    outputs:
      - name: insights
        key: [id]
        legacy: ${legacy}
        target: ${target}
        compare: { ignore: [etl_ts], numeric: { abs: 0.001 }, timestamps: ms }
`).pipelines.p?.outputs[0];

describe('diffOutput', () => {
  it('applies the catalog compare block to two paths', async () => {
    const [l, t] = [join(dir, 'l.parquet'), join(dir, 't.parquet')];
    await writeFiles({ [l]: `SELECT 1 AS id, 1.0::DOUBLE AS x, now() AS etl_ts`, [t]: `SELECT 1 AS id, 1.0005::DOUBLE AS x, now() - INTERVAL 1 DAY AS etl_ts` });
    const output = catalog(`{ path: "${l}" }`, `{ path: "${t}", format: parquet }`);
    const report = await diffOutput(output!);
    expect(report.verdict).toBe('clean');
    expect(Object.keys(report.columns)).toEqual(['x']);
  });

  it('needs a warehouse for two tables, and Unity Catalog for a table beside a path', async () => {
    await expect(diffOutput(catalog('{ table: main.a.b }', '{ table: main.a.c }')!)).rejects.toThrow(/DATABRICKS_WAREHOUSE_ID/);
    // A table beside a path is read through Unity Catalog, which needs the workspace.
    await expect(diffOutput(catalog('{ table: main.a.b }', '{ path: "/x" }')!)).rejects.toThrow(/Unity Catalog table: set DATABRICKS_HOST/);
  });
});

describe('the expected share of differing keys from earlier parallel runs', () => {
  it('takes the newest run that compared the output, counting duplicated keys', () => {
    const error: OutputSummary = { output: 'citations', verdict: 'error', topColumns: [], error: 'no data' };
    const earlier = [
      makeParallel({ id: 'p-running', outputs: {} }),
      makeParallel({ id: 'p-error', outputs: { citations: error } }),
      makeParallel({ id: 'p-different', outputs: { citations: differentOutput('citations') } }),
      makeParallel({ id: 'p-clean', outputs: { citations: cleanOutput('citations') } }),
    ];
    // 5 only in legacy + 1 only in target + 12 changed + 2 duplicated, of 10,240 rows.
    expect(lastShare(earlier, 'citations')).toBeCloseTo(20 / 10_240, 12);
    expect(lastShare(earlier.slice(3), 'citations')).toBe(0);
    expect(lastShare(earlier, 'insights')).toBeUndefined();
  });
});
