import type { StatementParameter } from '../diff/databricks/sql-statement-client.ts';
import type { RunRecord } from '../store/run-record.ts';
import type { CostItem, CostMeasurement } from './types.ts';

/**
 * A Databricks job run's DBUs and list cost from the billing system tables, per SKU. Prices are
 * joined on SKU, cloud and unit, within the price's validity window; the run is picked by
 * `usage_metadata.job_run_id` (and the job id, since the usage table is account-wide). Every value
 * is a bound parameter, never pasted. `usage_date` prunes the table's partitions. A repair runs
 * inside the same job run, so its usage has the same `job_run_id` and is summed with the first
 * attempt's; `last_usage_end_ms` tells whether the repair's rows are in yet.
 */
export const BILLING_SQL = `SELECT u.sku_name,
  u.usage_unit,
  CAST(SUM(u.usage_quantity) AS STRING) AS quantity,
  CAST(SUM(u.usage_quantity * CAST(COALESCE(p.pricing.effective_list.default, p.pricing.default) AS DECIMAL(38, 18))) AS STRING) AS list_cost,
  MAX(p.currency_code) AS currency_code,
  CAST(COUNT_IF(p.sku_name IS NULL) AS STRING) AS unpriced_records,
  CAST(UNIX_MILLIS(MAX(u.usage_end_time)) AS STRING) AS last_usage_end_ms
FROM system.billing.usage AS u
LEFT JOIN system.billing.list_prices AS p
  ON p.sku_name = u.sku_name
  AND p.cloud = u.cloud
  AND p.usage_unit = u.usage_unit
  AND u.usage_start_time >= p.price_start_time
  AND (p.price_end_time IS NULL OR u.usage_start_time < p.price_end_time)
WHERE u.usage_metadata.job_run_id = :job_run_id
  AND u.usage_metadata.job_id = :job_id
  AND u.usage_date >= :since
GROUP BY u.sku_name, u.usage_unit
ORDER BY u.sku_name`;

/** Runs one statement with bound parameters and returns rows keyed by column name. */
export type BillingQuery = (sql: string, opts: { parameters: StatementParameter[]; signal?: AbortSignal }) => Promise<Record<string, string | null>[]>;

/** The statement's parameters for a run: its Databricks run id, job id, and the day before it started (UTC). */
export function billingParameters(jobRunId: string, jobId: number, startedAt: number): StatementParameter[] {
  const since = new Date(startedAt - 24 * 3600_000).toISOString().slice(0, 10);
  return [
    { name: 'job_run_id', value: jobRunId, type: 'STRING' },
    { name: 'job_id', value: String(jobId), type: 'STRING' },
    { name: 'since', value: since, type: 'DATE' },
  ];
}

/** Measures a Databricks run from the billing tables; no rows yet means `pending` (they arrive hours later). */
export async function measureDatabricksRun(query: BillingQuery, run: RunRecord, jobId: number, signal?: AbortSignal): Promise<CostMeasurement> {
  const method = 'databricks-billing' as const;
  if (!run.externalId) return { kind: 'unknown', method, reason: 'the run never got a Databricks run id' };
  const rows = await query(BILLING_SQL, { parameters: billingParameters(run.externalId, jobId, run.startedAt ?? run.createdAt), signal });
  if (rows.length === 0) return { kind: 'pending', method, reason: 'no billing records for the run yet (system.billing.usage is filled in hours after a run)' };
  // A repair bills to the same run id, hours later: rows that all ended before it are the earlier attempts' only.
  const lastEnd = Math.max(...rows.map((r) => Number(r.last_usage_end_ms ?? NaN)).filter(Number.isFinite));
  if (run.repairs > 0 && run.repairedAt !== undefined && !(lastEnd > run.repairedAt)) {
    return { kind: 'pending', method, reason: `no billing records for repair #${run.repairs} yet, only for the attempts before it (system.billing.usage is filled in hours after a run)` };
  }
  return { kind: 'known', method, cost: billingFigure(rows) };
}

/** Sums the per-SKU rows into one figure, saying what it includes. */
export function billingFigure(rows: Record<string, string | null>[]): { amount: number; currency: string; dbus: number; note: string; items: CostItem[] } {
  const items: CostItem[] = rows.map((r) => ({ item: r.sku_name ?? 'unknown SKU', quantity: Number(r.quantity ?? 0), unit: r.usage_unit ?? 'DBU', amount: Number(r.list_cost ?? 0) }));
  const unpriced = rows.reduce((n, r) => n + Number(r.unpriced_records ?? 0), 0);
  const dbus = items.filter((i) => i.unit === 'DBU').reduce((s, i) => s + i.quantity, 0);
  const serverless = items.filter((i) => /SERVERLESS/i.test(i.item));
  const classic = items.filter((i) => !/SERVERLESS/i.test(i.item));
  const notes = ['Databricks list price (discounts are not in the billing tables)'];
  if (serverless.length > 0 && classic.length === 0) notes.push('serverless: cloud compute included');
  else if (classic.length > 0 && serverless.length === 0) notes.push('classic compute: DBUs only, the EC2 instances are billed by AWS and not included');
  else notes.push('serverless SKUs include cloud compute; for the classic ones the EC2 instances are billed by AWS and not included');
  if (unpriced > 0) notes.push(`${unpriced} usage record${unpriced === 1 ? '' : 's'} had no list price and count as $0`);
  const currency = rows.map((r) => r.currency_code).find((c): c is string => Boolean(c)) ?? 'USD';
  return { amount: round(items.reduce((s, i) => s + i.amount, 0)), currency, dbus: round(dbus), note: notes.join('; '), items };
}

/** Cents are what people read; 6 places keep sums of small figures exact enough for tests and gates. */
export const round = (n: number): number => Math.round(n * 1e6) / 1e6;
