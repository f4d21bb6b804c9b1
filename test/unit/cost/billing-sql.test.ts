import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BILLING_SQL, billingFigure, billingParameters } from '../../../src/cost/databricks-billing.ts';
import { answerBilling, type FakeBillingTables } from '../../fakes/databricks-sql-server.ts';

/**
 * Issue 16 item 1: the billing statement itself, not only the fake warehouse's reading of it. The
 * fake answers the statement from its tables by its own logic; here Cutover's SQL runs in DuckDB
 * over the same rows, laid out as `system.billing.usage` and `system.billing.list_prices` are
 * (`usage_metadata` and `pricing` structs, DECIMAL quantities and prices, a `usage_date`), and both
 * must give the hand-computed figure. Only the schema prefix and the parameter sigil (`:x` → `$x`)
 * differ from what the warehouse is sent.
 */
const H = 3600_000;
const T0 = Date.UTC(2026, 5, 1, 8);
const iso = (ms: number) => new Date(ms).toISOString();
const usage = (sku: string, start: number, dbus: number, runId = '987654', jobId = '123', cloud = 'AWS') => ({ sku_name: sku, cloud, usage_unit: 'DBU', usage_quantity: dbus, usage_start_time: iso(start), usage_end_time: iso(start + H), job_id: jobId, job_run_id: runId });
const tables: FakeBillingTables = {
  prices: [
    // The jobs price changed at T0 + 1 h: a record that started before is priced at 0.15, after at 0.20.
    { sku_name: 'PREMIUM_JOBS_COMPUTE', cloud: 'AWS', usage_unit: 'DBU', currency_code: 'USD', price_start_time: iso(T0 - 400 * 24 * H), price_end_time: iso(T0 + H), default: 0.15 },
    { sku_name: 'PREMIUM_JOBS_COMPUTE', cloud: 'AWS', usage_unit: 'DBU', currency_code: 'USD', price_start_time: iso(T0 + H), price_end_time: null, default: 0.2 },
    { sku_name: 'PREMIUM_JOBS_COMPUTE', cloud: 'AZURE', usage_unit: 'DBU', currency_code: 'USD', price_start_time: iso(T0 - 400 * 24 * H), price_end_time: null, default: 9 },
    { sku_name: 'PREMIUM_JOBS_SERVERLESS_COMPUTE_US_EAST', cloud: 'AWS', usage_unit: 'DBU', currency_code: 'USD', price_start_time: iso(T0 - 400 * 24 * H), price_end_time: null, default: 0.39, effective_list: 0.35 },
  ],
  usage: [
    usage('PREMIUM_JOBS_COMPUTE', T0, 12.5),
    usage('PREMIUM_JOBS_COMPUTE', T0 + H - 1, 2.5), // a millisecond before the change: the old price
    usage('PREMIUM_JOBS_COMPUTE', T0 + H, 10), // at the change: the new price
    usage('PREMIUM_JOBS_SERVERLESS_COMPUTE_US_EAST', T0 + H, 4),
    usage('PREMIUM_ALL_PURPOSE_COMPUTE', T0 + H, 3), // no list price: counted as unpriced, $0
    usage('PREMIUM_JOBS_COMPUTE', T0, 1000, '111111'), // another run
    usage('PREMIUM_JOBS_COMPUTE', T0, 1000, '987654', '77'), // the same run id in another job
    usage('PREMIUM_JOBS_COMPUTE', T0 - 3 * 24 * H, 1000), // before the day the statement looks from
  ],
};

let db: DuckDBInstance;
let c: DuckDBConnection;

beforeAll(async () => {
  db = await DuckDBInstance.create(':memory:');
  c = await db.connect();
  // Databricks SQL's UNIX_MILLIS(timestamp); DuckDB calls it epoch_ms.
  await c.run('CREATE MACRO unix_millis(t) AS epoch_ms(t)');
  await c.run(`CREATE TABLE usage (sku_name VARCHAR, cloud VARCHAR, usage_unit VARCHAR, usage_quantity DECIMAL(38, 18), usage_start_time TIMESTAMPTZ, usage_end_time TIMESTAMPTZ,
    usage_date DATE, usage_metadata STRUCT(job_id VARCHAR, job_run_id VARCHAR))`);
  await c.run(`CREATE TABLE list_prices (sku_name VARCHAR, cloud VARCHAR, usage_unit VARCHAR, currency_code VARCHAR, price_start_time TIMESTAMPTZ, price_end_time TIMESTAMPTZ,
    pricing STRUCT("default" DECIMAL(30, 18), effective_list STRUCT("default" DECIMAL(30, 18))))`);
  for (const u of tables.usage) {
    await c.run('INSERT INTO usage SELECT $1, $2, $3, CAST($4 AS DECIMAL(38, 18)), CAST($5 AS TIMESTAMPTZ), CAST($6 AS TIMESTAMPTZ), CAST($7 AS DATE), struct_pack(job_id := $8, job_run_id := $9)', [
      u.sku_name, u.cloud, u.usage_unit, String(u.usage_quantity), u.usage_start_time, u.usage_end_time, u.usage_start_time.slice(0, 10), u.job_id, u.job_run_id,
    ]);
  }
  for (const p of tables.prices) {
    const effective = p.effective_list === undefined ? 'NULL' : `struct_pack("default" := CAST($8 AS DECIMAL(30, 18)))`;
    await c.run(`INSERT INTO list_prices SELECT $1, $2, $3, $4, CAST($5 AS TIMESTAMPTZ), CAST($6 AS TIMESTAMPTZ), struct_pack("default" := CAST($7 AS DECIMAL(30, 18)), effective_list := ${effective})`, [
      p.sku_name, p.cloud, p.usage_unit, p.currency_code, p.price_start_time, p.price_end_time, String(p.default), ...(p.effective_list === undefined ? [] : [String(p.effective_list)]),
    ]);
  }
});
afterAll(() => {
  c?.closeSync();
  db?.closeSync();
});

/** BILLING_SQL run in DuckDB with the parameters Cutover binds, rows as the warehouse returns them (strings). */
async function runBillingSql(params: ReturnType<typeof billingParameters>): Promise<Record<string, string | null>[]> {
  const sql = BILLING_SQL.replaceAll('system.billing.', '').replace(/:(\w+)\b/g, '$$$1');
  const values = Object.fromEntries(params.map((p) => [p.name, p.value]));
  const reader = await c.runAndReadAll(sql.replace('$since', 'CAST($since AS DATE)'), values);
  return reader.getRowObjectsJS().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : String(v)])));
}

describe('the billing statement', () => {
  const params = billingParameters('987654', 123, T0);

  it('prices each record at the list price valid when it started, per SKU, as computed by hand', async () => {
    const rows = await runBillingSql(params);
    expect(rows.map((r) => [r.sku_name, Number(r.quantity), Number(r.unpriced_records)])).toEqual([
      ['PREMIUM_ALL_PURPOSE_COMPUTE', 3, 1],
      ['PREMIUM_JOBS_COMPUTE', 25, 0],
      ['PREMIUM_JOBS_SERVERLESS_COMPUTE_US_EAST', 4, 0],
    ]);
    const figure = billingFigure(rows);
    // By hand: (12.5 + 2.5) × 0.15 + 10 × 0.20 + 4 × 0.35 (effective list) + 3 × unpriced = 2.25 + 2 + 1.4 = 5.65 USD, 32 DBUs.
    expect(figure.amount).toBeCloseTo(5.65, 9);
    expect(figure.dbus).toBeCloseTo(32, 9);
    expect(figure.note).toContain('1 usage record had no list price');
  });

  it('gives what the fake warehouse answers from the same tables, so the end-to-end figures stand for the real query', async () => {
    const fake = answerBilling(tables, { statement: BILLING_SQL, warehouse_id: 'wh', parameters: params });
    const { rows, columns } = fake;
    if (!rows || !columns) throw new Error(JSON.stringify(fake));
    const asRows = rows.map((r) => Object.fromEntries(columns.map((col, i) => [col.name, r[i] ?? null])));
    const fromSql = await runBillingSql(params);
    expect(fromSql.map((r) => r.sku_name)).toEqual(asRows.map((r) => r.sku_name));
    fromSql.forEach((r, i) => {
      for (const col of ['quantity', 'list_cost', 'unpriced_records', 'last_usage_end_ms']) expect(Number(r[col])).toBeCloseTo(Number(asRows[i]![col]), 9);
      expect(r.currency_code).toBe(asRows[i]!.currency_code);
    });
  });
});
