import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks, type CheckResult } from '../../../src/checks/index.ts';
import type { Check } from '../../../src/config/catalog-schema.ts';
import { CUSTOMERS_BAD, CUSTOMERS_OK, NOW, ORDERS_BAD, ORDERS_OK, pipelineOf, tempDir, writeFiles, type OutputSpec } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  await mkdir(file('period=2024-05'));
  await writeFiles({
    [file('customers-ok.parquet')]: CUSTOMERS_OK,
    [file('customers-bad.parquet')]: CUSTOMERS_BAD,
    [file('orders-ok.parquet')]: ORDERS_OK,
    [file('orders-bad.parquet')]: ORDERS_BAD,
    [file('period=2024-05/customers.parquet')]: CUSTOMERS_OK,
  });
});
afterAll(() => cleanup());

/** Runs one check on the `customers` output (plus any other outputs it needs) and returns its result. */
async function runOne(check: Check, target: string, ...others: OutputSpec[]): Promise<CheckResult> {
  const result = await runChecks({
    pipeline: pipelineOf({ name: 'customers', target: file(target), checks: [check] }, ...others),
    pipelineName: 'sales',
    period: '2024-05',
    now: NOW,
  });
  expect(result.checks).toHaveLength(1);
  const only = result.checks[0] as CheckResult;
  expect(result.passed).toBe(only.passed);
  expect(only.error).toBeUndefined();
  expect(only.engine).toBe('duckdb');
  expect(only.durationMs).toBeGreaterThanOrEqual(0);
  return only;
}

const customer = (id: number | null, name: string | null, segment: string, revenue: number, email: string | null, updated: string) => ({
  id,
  name,
  segment,
  revenue,
  email,
  updated_at: `2024-05-${updated} 00:00:00`,
});
const BOB_NULL_NAME = customer(2, null, 'corporate', -5, 'not-an-email', '19');
const BO_RETAIL = customer(2, 'bo', 'retail', 20, null, '18');
const CY_NULL_NAME = customer(3, null, 'government', 2000, 'cy@example.com', '17');

interface Case {
  name: string;
  check: Check;
  label: string;
  failingRows: number;
  samples: Record<string, unknown>[];
  /** Defaults: the customers files. */
  ok?: string;
  bad?: string;
}

const cases: Case[] = [
  { name: 'not_null', check: { not_null: ['name'] }, label: 'not_null(name)', failingRows: 2, samples: [BOB_NULL_NAME, CY_NULL_NAME] },
  { name: 'unique', check: { unique: ['id'] }, label: 'unique(id)', failingRows: 1, samples: [{ id: 2, duplicate_count: '2' }] },
  { name: 'row_count', check: { row_count: { min: 1, max: 4 } }, label: 'row_count(min 1, max 4)', failingRows: 1, samples: [{ row_count: '5' }] },
  {
    name: 'accepted_values',
    check: { accepted_values: { column: 'segment', values: ['academic', 'corporate', 'government'] } },
    label: 'accepted_values(segment)',
    failingRows: 1,
    samples: [BO_RETAIL],
  },
  {
    name: 'range',
    check: { range: { column: 'revenue', min: 0, max: 1000 } },
    label: 'range(revenue, min 0, max 1000)',
    failingRows: 2,
    samples: [BOB_NULL_NAME, CY_NULL_NAME],
  },
  {
    name: 'regex',
    check: { regex: { column: 'email', pattern: '^[^@]+@example\\.com$' } },
    label: 'regex(email)',
    failingRows: 1,
    samples: [BOB_NULL_NAME],
  },
  {
    name: 'freshness',
    check: { freshness: { column: 'updated_at', maxAgeHours: 24 } },
    label: 'freshness(updated_at, 24h)',
    failingRows: 1,
    samples: [{ latest: '2024-05-20T00:00:00Z', cutoff: '2024-05-31T00:00:00.000Z' }],
  },
  {
    name: 'sql',
    check: { sql: 'select id, revenue from {{output}} where revenue < 0;' },
    label: 'sql(select id, revenue from {{output}} where revenue < 0;)',
    failingRows: 1,
    samples: [{ id: 2, revenue: -5 }],
  },
];

describe('each check against real Parquet files', () => {
  it.each(cases)('$name passes on good data and fails on bad data with exact counts and samples', async (c) => {
    const pass = await runOne(c.check, c.ok ?? 'customers-ok.parquet');
    expect(pass).toMatchObject({ output: 'customers', check: c.label, kind: c.name, passed: true, failingRows: 0, samples: [] });

    const fail = await runOne(c.check, c.bad ?? 'customers-bad.parquet');
    expect(fail).toMatchObject({ output: 'customers', check: c.label, passed: false, failingRows: c.failingRows });
    expect(fail.samples).toEqual(c.samples);
    expect(fail.sql).toBe(pass.sql);
  });

  it('relationships: every non-null key must exist in the other output', async () => {
    const check: Check = { relationships: { column: 'customer_id', to: { output: 'customers', column: 'id' } } };
    const run = (orders: string) =>
      runChecks({
        pipeline: pipelineOf({ name: 'orders', target: file(orders), checks: [check] }, { name: 'customers', target: file('customers-ok.parquet') }),
        pipelineName: 'sales',
        period: '2024-05',
      });
    const ok = await run('orders-ok.parquet');
    expect(ok.checks).toEqual([expect.objectContaining({ output: 'orders', check: 'relationships(customer_id -> customers.id)', passed: true, failingRows: 0 })]);

    const bad = await run('orders-bad.parquet');
    expect(bad.passed).toBe(false);
    expect(bad.checks[0]).toMatchObject({
      failingRows: 2,
      samples: [
        { order_id: 11, customer_id: 99 },
        { order_id: 12, customer_id: 42 },
      ],
      sql: 'SELECT child.* FROM "orders" AS child WHERE child."customer_id" IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "customers" AS parent WHERE parent."id" = child."customer_id")',
    });
  });

  it('says a row_count failure in words: how many rows there are and how many were expected', async () => {
    expect((await runOne({ row_count: { min: 100 } }, 'customers-bad.parquet')).summary).toBe('5 rows, at least 100 expected');
    expect((await runOne({ row_count: { max: 4 } }, 'customers-bad.parquet')).summary).toBe('5 rows, at most 4 expected');
    expect((await runOne({ row_count: { min: 1 } }, 'customers-bad.parquet')).summary).toBeUndefined();
    expect((await runOne({ not_null: ['name'] }, 'customers-bad.parquet')).summary).toBeUndefined();
  });

  it('accepted_values with numbers compares numerically', async () => {
    const r = await runOne({ accepted_values: { column: 'id', values: [1, 2] } }, 'customers-ok.parquet');
    expect(r).toMatchObject({ passed: false, failingRows: 1, samples: [customer(3, 'cy', 'government', 0, null, '29')] });
    expect(r.sql).toBe('SELECT * FROM "customers" WHERE "id" IS NOT NULL AND "id" NOT IN (1, 2)');
  });

  it('renders {{period}} in paths and {{output}} in SQL, and reports the SQL that ran', async () => {
    const result = await runChecks({
      pipeline: pipelineOf({ name: 'customers', target: join(dir, 'period={{period}}', 'customers.parquet'), checks: [{ sql: "select * from {{output}} where {{period}} <> '2024-05'" }, { row_count: { min: 3 } }] }),
      pipelineName: 'sales',
      period: '2024-05',
    });
    expect(result.passed).toBe(true);
    expect(result.checks.map((c) => c.sql)).toEqual([
      `select * from "customers" where $period <> '2024-05'`,
      'SELECT row_count FROM (SELECT count(*) AS row_count FROM "customers") AS counted WHERE row_count < 3',
    ]);
  });

  it('passes with no checks at all, without opening anything', async () => {
    expect(await runChecks({ pipeline: pipelineOf({ name: 'customers', target: '/nowhere' }), pipelineName: 'sales', period: '2024-05' })).toEqual({ passed: true, checks: [] });
  });

  it('checks the legacy side when asked', async () => {
    const pipeline = pipelineOf({ name: 'customers', target: file('customers-ok.parquet'), checks: [{ not_null: ['name'] }] });
    const result = await runChecks({ pipeline, pipelineName: 'sales', period: '2024-05', side: 'legacy' });
    expect(result.checks[0]?.error).toBe('no legacy data for 2024-05 at /nonexistent/legacy/customers');
  });
});
