import { afterEach, describe, expect, it } from 'vitest';
import { compileCheck, databricksChecks, runChecks } from '../../../src/checks/index.ts';
import type { Check } from '../../../src/config/catalog-schema.ts';
import { SqlStatementClient } from '../../../src/diff/index.ts';
import { startFakeSqlWarehouse, type FakeSqlWarehouse } from '../../fakes/databricks-sql-server.ts';
import { NOW, pipelineOf } from './helpers.ts';

const T = '`main`.`sales`.`customers`';
const compile = (check: Check) =>
  compileCheck(check, { dialect: databricksChecks, relation: T, parentRelation: '`main`.`sales`.`accounts`', now: NOW, period: '2024-05', params: { region: 'eu' } }).sql;

describe('Databricks SQL for each check', () => {
  it.each<[string, Check, string]>([
    ['not_null', { not_null: ['customer_id', 'month'] }, `SELECT * FROM ${T} WHERE \`customer_id\` IS NULL OR \`month\` IS NULL`],
    [
      'unique',
      { unique: ['customer_id', 'month'] },
      `SELECT \`customer_id\`, \`month\`, count(*) AS duplicate_count FROM ${T} WHERE \`customer_id\` IS NOT NULL AND \`month\` IS NOT NULL GROUP BY \`customer_id\`, \`month\` HAVING count(*) > 1`,
    ],
    ['row_count', { row_count: { min: 1000 } }, `SELECT row_count FROM (SELECT count(*) AS row_count FROM ${T}) AS counted WHERE row_count < 1000`],
    ['row_count max', { row_count: { min: 1, max: 5000 } }, `SELECT row_count FROM (SELECT count(*) AS row_count FROM ${T}) AS counted WHERE row_count < 1 OR row_count > 5000`],
    [
      'accepted_values',
      { accepted_values: { column: 'segment', values: ['academic', "o'neil"] } },
      `SELECT * FROM ${T} WHERE \`segment\` IS NOT NULL AND CAST(\`segment\` AS STRING) NOT IN ('academic', 'o\\'neil')`,
    ],
    ['accepted_values numeric', { accepted_values: { column: 'tier', values: [1, 2.5] } }, `SELECT * FROM ${T} WHERE \`tier\` IS NOT NULL AND \`tier\` NOT IN (1, 2.5)`],
    ['range', { range: { column: 'revenue', min: 0, max: 1e6 } }, `SELECT * FROM ${T} WHERE \`revenue\` < 0 OR \`revenue\` > 1000000`],
    ['range min only', { range: { column: 'revenue', min: -0.5 } }, `SELECT * FROM ${T} WHERE \`revenue\` < -0.5`],
    [
      'regex',
      { regex: { column: 'email', pattern: "^\\w+@x\\.com$|'" } },
      `SELECT * FROM ${T} WHERE \`email\` IS NOT NULL AND NOT (CAST(\`email\` AS STRING) RLIKE '^\\\\w+@x\\\\.com$|\\'')`,
    ],
    [
      'freshness',
      { freshness: { column: 'updated_at', maxAgeHours: 36 } },
      `SELECT concat(date_format(to_utc_timestamp(latest, current_timezone()), 'yyyy-MM-dd'), 'T', date_format(to_utc_timestamp(latest, current_timezone()), 'HH:mm:ss'), 'Z') AS latest, ` +
        `'2024-05-30T12:00:00.000Z' AS cutoff FROM (SELECT max(CAST(\`updated_at\` AS TIMESTAMP)) AS latest FROM ${T}) AS newest ` +
        `WHERE latest IS NULL OR latest < timestamp_millis(${Date.UTC(2024, 4, 30, 12)})`,
    ],
    [
      'relationships',
      { relationships: { column: 'account_id', to: { output: 'accounts', column: 'id' } } },
      `SELECT child.* FROM ${T} AS child WHERE child.\`account_id\` IS NOT NULL AND NOT EXISTS (SELECT 1 FROM \`main\`.\`sales\`.\`accounts\` AS parent WHERE parent.\`id\` = child.\`account_id\`)`,
    ],
    ['row_count_change', { row_count_change: { maxRelative: 0.2 } }, `SELECT count(*) AS row_count FROM ${T}`],
    [
      'sql',
      { sql: 'select * from {{output}} where period = {{period}} and region = {{param.region}}' },
      `select * from ${T} where period = :period and region = :param_region`,
    ],
  ])('%s', (_name, check, sql) => {
    expect(compile(check)).toBe(sql);
  });

  it('quotes identifiers with backticks, doubling any inside', () => {
    expect(compile({ not_null: ['we`ird'] })).toBe(`SELECT * FROM ${T} WHERE \`we\`\`ird\` IS NULL`);
  });
});

describe('table outputs on the warehouse', () => {
  let fake: FakeSqlWarehouse | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it('counts, then fetches ordered samples only for failing checks, through the Statement Execution API', async () => {
    fake = await startFakeSqlWarehouse({
      token: 'dapi-test',
      answer: (req) => {
        const sql = req.statement ?? '';
        if (sql.startsWith('SELECT count(*) AS failing_rows') && sql.includes('IS NULL')) return { columns: [{ name: 'failing_rows', type_name: 'LONG' }], rows: [['0']] };
        if (sql.startsWith('SELECT count(*) AS failing_rows')) return { columns: [{ name: 'failing_rows', type_name: 'LONG' }], rows: [['7']] };
        if (sql.includes('LIMIT 5')) return { columns: [{ name: 'customer_id' }, { name: 'duplicate_count', type_name: 'LONG' }], rows: [['c1', '2'], ['c2', '3']] };
        return { error: { error_code: 'BAD_REQUEST', message: `unexpected: ${sql}` } };
      },
    });
    const client = new SqlStatementClient({ host: fake.url, warehouseId: 'wh-1', getToken: async () => 'dapi-test', pollIntervalMs: 1 });
    const result = await runChecks({
      pipeline: pipelineOf({ name: 'insights', target: 'main.sales.insights', checks: [{ not_null: ['customer_id'] }, { unique: ['customer_id'] }] }),
      pipelineName: 'sales',
      period: '2024-05',
      warehouse: (sql, opts) => client.query(sql, opts),
    });
    const table = '`main`.`sales`.`insights`';
    const uniqueSql = `SELECT \`customer_id\`, count(*) AS duplicate_count FROM ${table} WHERE \`customer_id\` IS NOT NULL GROUP BY \`customer_id\` HAVING count(*) > 1`;
    expect(fake.executed.map((e) => e.statement)).toEqual([
      `SELECT count(*) AS failing_rows FROM (SELECT * FROM ${table} WHERE \`customer_id\` IS NULL) AS failing`,
      `SELECT count(*) AS failing_rows FROM (${uniqueSql}) AS failing`,
      `SELECT * FROM (${uniqueSql}) AS failing ORDER BY \`customer_id\` LIMIT 5`,
    ]);
    expect(fake.executed.every((e) => e.warehouse_id === 'wh-1')).toBe(true);
    expect(result).toEqual({
      passed: false,
      checks: [
        expect.objectContaining({ output: 'insights', check: 'not_null(customer_id)', passed: true, failingRows: 0, samples: [], engine: 'databricks' }),
        expect.objectContaining({
          check: 'unique(customer_id)',
          passed: false,
          failingRows: 7,
          samples: [
            { customer_id: 'c1', duplicate_count: '2' },
            { customer_id: 'c2', duplicate_count: '3' },
          ],
          sql: uniqueSql,
          engine: 'databricks',
        }),
      ],
    });
  });

  it('reports a failed statement on its check and runs the next one', async () => {
    const seen: string[] = [];
    const result = await runChecks({
      pipeline: pipelineOf({ name: 'insights', target: 'main.sales.insights', checks: [{ sql: 'select nonsense' }, { row_count: { min: 1 } }] }),
      pipelineName: 'sales',
      period: '2024-05',
      warehouse: async (sql) => {
        seen.push(sql);
        if (sql.includes('nonsense')) throw new Error('[UNRESOLVED_COLUMN] nonsense cannot be resolved');
        return [{ failing_rows: '0' }];
      },
    });
    expect(seen).toHaveLength(2);
    expect(result.checks.map((c) => [c.check, c.passed, c.error])).toEqual([
      ['sql(select nonsense)', false, '[UNRESOLVED_COLUMN] nonsense cannot be resolved'],
      ['row_count(min 1)', true, undefined],
    ]);
  });
});
