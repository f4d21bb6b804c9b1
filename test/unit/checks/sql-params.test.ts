import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../../../src/checks/index.ts';
import type { Check, Pipeline } from '../../../src/config/catalog-schema.ts';
import { SqlStatementClient } from '../../../src/diff/index.ts';
import { UsageError } from '../../../src/errors.ts';
import { startFakeSqlWarehouse, type FakeSqlWarehouse } from '../../fakes/databricks-sql-server.ts';
import { pipelineOf, tempDir, writeFiles } from './helpers.ts';

/**
 * Issue 14 finding 1: `{{param.X}}` and `{{period}}` in a `sql:` check are bound parameters,
 * and in a `path:` they cannot leave the output's location. The pipelines here declare their
 * params without a pattern, so binding is the only thing standing between a value and the SQL.
 */
const CANARY = 'CANARY-0f3a9-outside-the-output';
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  await mkdir(join(dir, 'out', 'eu'), { recursive: true });
  await mkdir(join(dir, 'secret'), { recursive: true });
  await writeFiles({
    [join(dir, 'out', 'eu', 'orders.parquet')]: `SELECT * FROM (VALUES (1, 'eu', 10.0), (2, 'eu', -3.0)) t(id, region, amount)`,
    [join(dir, 'secret', 'orders.parquet')]: `SELECT * FROM (VALUES (666, '${CANARY}', 1.0)) t(id, region, amount)`,
  });
  await writeFile(join(dir, 'secret.txt'), `${CANARY}\n`);
});
afterAll(() => cleanup());

/** A pipeline whose runs take `--param region` (any value: no pattern), as a catalog would declare it. */
function declared(target: string, checks: Check[]): Pipeline {
  return { ...pipelineOf({ name: 'orders', target, checks }), params: { region: {} } };
}

describe('finding 1: values in DuckDB checks', () => {
  it('finding 1: a --param value is bound, never pasted into a sql: check', async () => {
    const secret = join(dir, 'secret.txt');
    // One shape needs no quote, the other escapes a quoted placeholder: pasted into the SQL, the
    // first reads the secret file back as a failing row (the second breaks the SQL).
    for (const injection of [
      `'x' UNION ALL BY NAME SELECT content AS region FROM read_text('${secret}')`,
      `x' UNION ALL BY NAME SELECT content AS region FROM read_text('${secret}') --`,
    ]) {
      const result = await runChecks({
        pipeline: declared(join(dir, 'out', 'eu', 'orders.parquet'), [{ sql: 'select * from {{output}} where region = {{param.region}}' }]),
        pipelineName: 'sales',
        period: '2024-05',
        params: { region: injection },
      });
      const [check] = result.checks;
      expect(JSON.stringify(result), injection).not.toContain(CANARY);
      // No row has that region: the whole value was compared as one string, and nothing was read.
      expect(check, injection).toMatchObject({ passed: true, failingRows: 0, samples: [], values: { param_region: injection } });
      expect(check?.error).toBeUndefined();
      expect(check?.sql).toBe('select * from "orders" where region = $param_region');
    }
  });

  it('finding 1: {{period}} is bound too, and a real value still finds its rows', async () => {
    const result = await runChecks({
      pipeline: declared(join(dir, 'out', '{{param.region}}', 'orders.parquet'), [{ sql: 'select id, {{period}} as period from {{output}} where region = {{param.region}} and amount < 0' }]),
      pipelineName: 'sales',
      period: '2024-05',
      params: { region: 'eu' },
    });
    expect(result.checks[0]).toMatchObject({ passed: false, failingRows: 1, samples: [{ id: 2, period: '2024-05' }], values: { period: '2024-05', param_region: 'eu' } });
  });

  it("finding 1: a --param value in a path cannot leave the output's location", async () => {
    const pipeline = declared(join(dir, 'out', '{{param.region}}', 'orders.parquet'), [{ not_null: ['id'] }]);
    for (const region of ['../secret', '..', 'eu/../../secret']) {
      await expect(runChecks({ pipeline, pipelineName: 'sales', period: '2024-05', params: { region } })).rejects.toThrow(UsageError);
    }
  });

  it('finding 1: an undeclared --param is refused before anything is read', async () => {
    const pipeline = pipelineOf({ name: 'orders', target: join(dir, 'out', 'eu', 'orders.parquet'), checks: [{ not_null: ['id'] }] });
    await expect(runChecks({ pipeline, pipelineName: 'sales', period: '2024-05', params: { region: 'eu' } })).rejects.toThrow('sales takes no --param region (it declares no params)');
  });
});

describe('finding 1: values in Databricks checks', () => {
  let fake: FakeSqlWarehouse | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('finding 1: the warehouse gets :name markers in the statement and the values in `parameters`', async () => {
    // A warehouse that would leak: any statement that carries the injected text returns the canary.
    fake = await startFakeSqlWarehouse({
      token: 'dapi-test',
      answer: (req) =>
        (req.statement ?? '').includes('secret_table')
          ? { columns: [{ name: 'failing_rows', type_name: 'LONG' }], rows: [['1']] }
          : { columns: [{ name: 'failing_rows', type_name: 'LONG' }], rows: [['0']] },
    });
    const client = new SqlStatementClient({ host: fake.url, warehouseId: 'wh-1', getToken: async () => 'dapi-test', pollIntervalMs: 1 });
    const injection = "x' UNION ALL SELECT secret AS region FROM main.hr.secret_table --";
    const pipeline = { ...pipelineOf({ name: 'orders', target: 'main.sales.orders', checks: [{ sql: 'select * from {{output}} where region = {{param.region}} and period = {{period}}' }] }), params: { region: {} } };
    const result = await runChecks({ pipeline, pipelineName: 'sales', period: '2024-05', params: { region: injection }, warehouse: (sql, opts) => client.query(sql, opts) });
    expect(result.checks[0]).toMatchObject({ passed: true, failingRows: 0 });
    expect(fake.executed).toHaveLength(1);
    const [req] = fake.executed;
    expect(req?.statement).toBe('SELECT count(*) AS failing_rows FROM (select * from `main`.`sales`.`orders` where region = :param_region and period = :period) AS failing');
    expect(req?.parameters).toEqual([
      { name: 'param_region', value: injection, type: 'STRING' },
      { name: 'period', value: '2024-05', type: 'STRING' },
    ]);
  });
});
