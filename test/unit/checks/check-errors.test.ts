import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../../../src/checks/index.ts';
import { parseCatalog } from '../../../src/config/load-catalog.ts';
import { ConfigError, UsageError } from '../../../src/errors.ts';
import { CUSTOMERS_BAD, ORDERS_OK, pipelineOf, tempDir, writeFiles } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  await writeFiles({ [join(dir, 'customers.parquet')]: CUSTOMERS_BAD, [join(dir, 'orders.parquet')]: ORDERS_OK });
});
afterAll(() => cleanup());

const base = { pipelineName: 'sales', period: '2024-05' };

describe('one broken check never stops the others', () => {
  it('reports bad SQL and unknown columns on their own checks', async () => {
    const result = await runChecks({
      ...base,
      pipeline: pipelineOf({
        name: 'customers',
        target: join(dir, 'customers.parquet'),
        checks: [{ sql: 'select * from {{output}} where no_such_column > 1' }, { regex: { column: 'nope', pattern: 'x' } }, { unique: ['id'] }],
      }),
    });
    expect(result.passed).toBe(false);
    const [sql, regex, unique] = result.checks;
    expect(sql).toMatchObject({ passed: false, failingRows: 0, samples: [], sql: 'select * from "customers" where no_such_column > 1', engine: 'duckdb' });
    expect(sql?.error).toMatch(/no_such_column/);
    expect(regex).toMatchObject({ passed: false, error: expect.stringMatching(/nope/) });
    expect(unique).toMatchObject({ passed: false, failingRows: 1, samples: [{ id: 2, duplicate_count: '2' }] });
    expect(unique?.error).toBeUndefined();
  });

  it('fails every check of an unreadable output and still checks the other outputs', async () => {
    const result = await runChecks({
      ...base,
      pipeline: pipelineOf(
        { name: 'missing', target: join(dir, 'nope'), checks: [{ not_null: ['id'] }, { row_count: { min: 1 } }] },
        { name: 'orders', target: join(dir, 'orders.parquet'), checks: [{ not_null: ['order_id'] }] },
      ),
    });
    // A missing dataset is marked as such (issue 15 item 6): the bot leaves it out of the DQ alert.
    const missing = `no target data for 2024-05 at ${join(dir, 'nope')}`;
    expect(result.checks.map((c) => [c.output, c.passed, c.error, c.missing])).toEqual([
      ['missing', false, missing, missing],
      ['missing', false, missing, missing],
      ['orders', true, undefined, undefined],
    ]);
  });

  it('names the rendered location of a missing period, and marks only not-found errors as missing', async () => {
    const result = await runChecks({
      ...base,
      period: '2025-01',
      pipeline: pipelineOf(
        { name: 'monthly', target: join(dir, 'out/{{period}}/'), checks: [{ not_null: ['id'] }] },
        { name: 'broken', target: join(dir, 'customers.parquet'), checks: [{ sql: 'select * from {{output}} where no_such_column > 1' }] },
      ),
    });
    expect(result.checks[0]?.missing).toMatch(new RegExp(`^no target data for 2025-01 at ${join(dir, 'out/2025-01/').replace(/[/.]/g, '\\$&')}`));
    expect(result.checks[1]?.missing).toBeUndefined();
  });

  it('needs a warehouse for table outputs, and both sides of a relationship in one engine', async () => {
    const result = await runChecks({
      ...base,
      pipeline: pipelineOf(
        { name: 'accounts', target: 'main.sales.accounts', checks: [{ not_null: ['id'] }] },
        { name: 'orders', target: join(dir, 'orders.parquet'), checks: [{ relationships: { column: 'customer_id', to: { output: 'accounts', column: 'id' } } }, { not_null: ['order_id'] }] },
      ),
    });
    expect(result.checks.map((c) => [c.output, c.passed, c.error])).toEqual([
      ['accounts', false, 'main.sales.accounts is a table: set DATABRICKS_WAREHOUSE_ID to check it on the SQL warehouse'],
      ['orders', false, 'main.sales.accounts is a table: set DATABRICKS_WAREHOUSE_ID to check it on the SQL warehouse'],
      ['orders', true, undefined],
    ]);
    const mixed = await runChecks({
      ...base,
      warehouse: async () => [],
      pipeline: pipelineOf(
        { name: 'accounts', target: 'main.sales.accounts' },
        { name: 'orders', target: join(dir, 'orders.parquet'), checks: [{ relationships: { column: 'customer_id', to: { output: 'accounts', column: 'id' } } }] },
      ),
    });
    expect(mixed.checks[0]?.error).toBe('output "accounts" is a table and this one is not: relationships need both in the same engine');
  });

  it('fails the whole run, as a usage error, when a path needs a --param that was not given', async () => {
    const pipeline = pipelineOf({ name: 'orders', target: join(dir, '{{param.region}}', 'orders.parquet'), checks: [{ not_null: ['order_id'] }] });
    await expect(runChecks({ ...base, pipeline })).rejects.toThrow(new UsageError('this pipeline needs --param region=…'));
    const declared = { ...pipelineOf({ name: 'orders', target: join(dir, '{{param.prefix}}orders.parquet'), checks: [{ not_null: ['order_id'] }] }), params: { prefix: {} } };
    const ok = await runChecks({ ...base, pipeline: declared, params: { prefix: '' } });
    expect(ok.passed).toBe(true);
  });

  it('stops on cancellation instead of reporting it as a check error', async () => {
    const controller = new AbortController();
    controller.abort(new Error('job cancelled'));
    const pipeline = pipelineOf({ name: 'orders', target: join(dir, 'orders.parquet'), checks: [{ not_null: ['order_id'] }] });
    await expect(runChecks({ ...base, pipeline, signal: controller.signal })).rejects.toThrow('job cancelled');
  });
});

describe('checks in the catalog', () => {
  const catalog = (checks: string) => `pipelines:
  p:
    channel: C0PIPELINES
    target: { engine: databricks, jobId: 1 }
    outputs:
      - name: insights
        key: [id]
        legacy: { path: "s3://legacy/{{period}}/" }
        target: { path: "s3://lake/{{period}}/" }
        checks:
${checks}`;
  const problems = (checks: string): string[] => {
    try {
      parseCatalog(catalog(checks));
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    throw new Error('expected the catalog to be rejected');
  };

  it('accepts every kind of check', () => {
    const parsed = parseCatalog(
      catalog(`          - not_null: [id]
          - unique: [id]
          - row_count: { min: 1 }
          - accepted_values: { column: s, values: [a, 1] }
          - range: { column: r, min: 0 }
          - regex: { column: e, pattern: "^x" }
          - freshness: { column: t, maxAgeHours: 24 }
          - relationships: { column: id, to: { output: insights, column: id } }
          - row_count_change: { maxRelative: 0.2 }
          - sql: "select * from {{output}} where r < 0"
`),
    );
    expect(parsed.pipelines.p?.outputs[0]?.checks).toHaveLength(10);
  });

  it('rejects an invalid check naming its path', () => {
    expect(problems('          - not_nul: [id]\n')).toContainEqual(
      'pipelines.p.outputs.0.checks.0: unknown check kind "not_nul" (valid check kinds: not_null, unique, row_count, accepted_values, range, regex, freshness, relationships, row_count_change, sql)',
    );
    expect(problems('          - not_null: [id]\n          - row_count: {}\n')).toEqual(['pipelines.p.outputs.0.checks.1.row_count: row_count needs min or max']);
    expect(problems('          - regex: { column: e, pattern: "(" }\n')).toEqual(['pipelines.p.outputs.0.checks.0.regex.pattern: not a valid regular expression']);
    expect(problems('          - relationships: { column: id, to: { output: nope, column: id } }\n')).toEqual([
      'pipelines.p.outputs.0.checks.0.relationships.to.output: no output named "nope"',
    ]);
    expect(problems('          - sql: "select * from {{table}}"\n')).toEqual(['pipelines.p.outputs.0.checks.0.sql: unknown placeholder {{table}}']);
    for (const p of problems('          - not_nul: [id]\n')) expect(p.startsWith('pipelines.p.outputs.0.checks.0')).toBe(true);
  });
});
