import { afterEach, describe, expect, it } from 'vitest';
import { pushdownDiff, SqlStatementClient, tableRef } from '../../../src/diff/index.ts';
import { startFakeSqlWarehouse, type ExecuteRequest, type FakeAnswer, type FakeSqlWarehouse } from '../../fakes/databricks-sql-server.ts';

/**
 * The pushdown against the fake Statement Execution API. The fake cannot run Spark SQL, so it
 * answers each kind of statement the way a warehouse would for a known pair of tables:
 * legacy and target differ in bucket 7 (one changed row, key 42) and share a duplicated key.
 */
let fake: FakeSqlWarehouse | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const cols = (...names: string[]) => names.map((name) => ({ name }));

function warehouse(req: ExecuteRequest): FakeAnswer {
  const sql = req.statement ?? '';
  if (sql.includes('information_schema.columns')) {
    const table = req.parameters?.find((p) => p.name === 'table')?.value;
    const amount = table === 'orders_new' ? 'decimal(18,4)' : 'decimal(18,2)';
    return { columns: cols('column_name', 'full_data_type'), rows: [['id', 'bigint'], ['name', 'string'], ['amount', amount]] };
  }
  if (sql.includes("SELECT 'legacy' AS side")) {
    return {
      columns: cols('side', 'b', 'n', 's'),
      rows: [
        ['legacy', '3', '10', '111'], ['target', '3', '10', '111'],
        ['legacy', '7', '5', '222'], ['target', '7', '5', '999'],
        ['legacy', null, '2', '0'],
      ],
    };
  }
  if (sql.includes('AS only_legacy')) return { columns: cols('only_legacy', 'only_target', 'dup_legacy', 'dup_target'), rows: [['0', '0', '1', '1']] };
  if (sql.includes('count(*) AS changed')) return { columns: cols('changed', 'm0', 'm1'), rows: [['1', '1', '0']] };
  if (sql.includes('legacy_value')) return { columns: cols('col', 'rn', 'k0', 'legacy_value', 'target_value'), rows: [['0', '1', '42', 'a', 'b']] };
  if (sql.includes("'onlyLegacy' AS kind")) return { columns: cols('kind', 'rn', 'k0'), rows: [['duplicateTarget', '1', '5'], ['duplicateLegacy', '1', '5']] };
  return { error: { error_code: 'BAD_REQUEST', message: `unexpected statement: ${sql.slice(0, 80)}` } };
}

describe('pushdownDiff', () => {
  it('runs the levels as Databricks SQL and assembles the same report', async () => {
    fake = await startFakeSqlWarehouse({ token: 't', answer: warehouse });
    const client = new SqlStatementClient({ host: fake.url, getToken: async () => 't', warehouseId: 'wh', pollIntervalMs: 5 });
    const report = await pushdownDiff({
      query: (sql, opts) => client.query(sql, opts),
      legacyTable: 'main.sales.orders',
      targetTable: 'main.`sales`.orders_new',
      key: ['id'],
      buckets: 16,
    });
    expect(report).toMatchObject({
      verdict: 'different',
      engine: 'databricks',
      strategy: 'pushdown-checksum',
      buckets: { total: 16, differing: 1 },
      schema: { missing: [], extra: [], typeChanges: [{ column: 'amount', legacy: 'decimal(18,2)', target: 'decimal(18,4)', tolerated: true }] },
      counts: { legacy: 17, target: 15, onlyLegacy: 0, onlyTarget: 0, changed: 1, duplicateKeys: { legacy: 1, target: 1 }, nullKeys: { legacy: 2, target: 0 } },
      columns: { name: { mismatches: 1, samples: [{ key: { id: '42' }, legacy: 'a', target: 'b' }] }, amount: { mismatches: 0, samples: [] } },
      keySamples: { duplicateLegacy: [{ id: '5' }], duplicateTarget: [{ id: '5' }] },
    });
    const statements = fake.executed.map((e) => e.statement ?? '');
    expect(statements[0]).toContain('`main`.information_schema.columns');
    expect(fake.executed[1]?.parameters).toEqual([{ name: 'schema', value: 'sales' }, { name: 'table', value: 'orders_new' }]);
    // The detail joins only rows of the differing bucket, as CTEs in each standalone statement.
    const detail = statements.slice(3);
    expect(detail).toHaveLength(4);
    for (const s of detail) {
      expect(s).toMatch(/^WITH diff_dl AS \(/);
      expect(s).toContain('pmod(xxhash64(`id`), 16) IN (7)');
      expect(s).toContain('FROM `main`.`sales`.`orders_new`');
    }
  });

  it('names tables safely', () => {
    expect(tableRef('main.`my schema`.t').sql).toBe('`main`.`my schema`.`t`');
    expect(() => tableRef('just_a_table')).toThrow(/catalog\.schema\.table/);
  });
});
