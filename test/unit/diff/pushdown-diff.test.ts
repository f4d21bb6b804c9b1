import { afterEach, describe, expect, it } from 'vitest';
import { diffOutput, pushdownDiff, SqlStatementClient, tableRef, tableRelation, warehouseRelation } from '../../../src/diff/index.ts';
import { UnsupportedError, UsageError } from '../../../src/errors.ts';
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
  if (sql.startsWith('DESCRIBE QUERY')) return { columns: cols('col_name', 'data_type'), rows: [['id', 'bigint'], ['name', 'string'], ['amount', 'decimal(18,2)']] };
  if (sql.startsWith('DESCRIBE HISTORY')) {
    // Newest first, as Databricks answers: v5 by another writer after the run, v4 by job run 77.
    return {
      columns: cols('version', 'timestamp', 'job'),
      rows: [
        ['5', '2026-05-01T12:00:00Z', null],
        ['4', '2026-05-01T10:30:00Z', JSON.stringify({ jobId: '9', jobRunId: '77' })],
        ['3', '2026-04-01T10:00:00Z', JSON.stringify({ jobId: '9', jobRunId: '70' })],
      ],
    };
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
      legacy: tableRelation('main.sales.orders'),
      target: tableRelation('main.`sales`.orders_new'),
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

describe('engine: warehouse', () => {
  const compare = { ignore: [], numeric: {}, timestamps: 'us' as const, trim: false, ignoreCase: false };
  const run = { jobRunId: '77', startedAt: Date.parse('2026-05-01T10:00:00Z'), endedAt: Date.parse('2026-05-01T11:00:00Z') };

  it('reads a path: side with read_files and the table at the version its job run committed, all in the warehouse', async () => {
    fake = await startFakeSqlWarehouse({ token: 't', answer: warehouse });
    const client = new SqlStatementClient({ host: fake.url, getToken: async () => 't', warehouseId: 'wh', pollIntervalMs: 5 });
    const report = await diffOutput(
      { key: ['id'], compare, engine: 'warehouse', legacy: { path: 's3://emr-out/orders/period=2026-04/', format: 'parquet' }, target: { table: 'main.sales.orders_new', version: 'run' } },
      { warehouse: (sql, opts) => client.query(sql, opts), run },
    );
    expect(report).toMatchObject({ engine: 'databricks', verdict: 'different', counts: { changed: 1 } });
    expect(report.sources).toEqual({ legacy: { format: 'parquet' }, target: { format: 'delta', from: 'table main.sales.orders_new', version: 4 } });
    const statements = fake.executed.map((e) => e.statement ?? '');
    expect(statements).toContain("DESCRIBE QUERY SELECT * FROM read_files('s3://emr-out/orders/period=2026-04/', format => 'parquet')");
    expect(statements).toContain('DESCRIBE HISTORY `main`.`sales`.`orders_new`');
    // Every data statement reads both sides where they are: nothing is downloaded to the worker.
    for (const s of statements.filter((x) => x.includes('diff_dl AS'))) {
      expect(s).toContain("FROM read_files('s3://emr-out/orders/period=2026-04/', format => 'parquet')");
      expect(s).toContain('FROM `main`.`sales`.`orders_new` VERSION AS OF 4');
    }
  });

  it('passes CSV options and Delta versions as read_files options and time travel', async () => {
    const query = async () => [];
    const csv = await warehouseRelation({ path: 's3://b/out/', format: 'csv', csv: { header: false, delimiter: ';', null: 'NA' } }, query);
    expect(csv.sql).toBe("read_files('s3://b/out/', format => 'csv', header => false, sep => ';', nullValue => 'NA')");
    const delta = await warehouseRelation({ path: 's3://b/delta/', format: 'delta', version: 12 }, query);
    expect(delta.sql).toBe('delta.`s3://b/delta/` VERSION AS OF 12');
    expect(delta.source).toEqual({ format: 'delta', version: 12 });
  });

  it('refuses what the warehouse cannot read the way its engine wrote it, by name', async () => {
    const query = async () => [];
    await expect(warehouseRelation({ path: 's3://b/unload/', format: 'unload' }, query)).rejects.toThrow(UnsupportedError);
    await expect(warehouseRelation({ path: '/data/local/', format: 'parquet' }, query)).rejects.toThrow(/cannot see the worker's disk/);
    await expect(warehouseRelation({ path: "s3://b/x') UNION SELECT 1 --/", format: 'parquet' }, query)).rejects.toThrow(UsageError);
    await expect(diffOutput({ key: ['id'], compare, engine: 'warehouse', legacy: { path: 's3://b/a/', format: 'parquet' }, target: { table: 'main.s.t' } })).rejects.toThrow(
      /engine: warehouse: set DATABRICKS_WAREHOUSE_ID/,
    );
  });
});
