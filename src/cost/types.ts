import type { RunRecord } from '../store/run-record.ts';

/**
 * How a run's cost was measured (issue 16), shown beside the figure:
 * - `databricks-billing`: DBUs × list price from `system.billing.usage` and `system.billing.list_prices`;
 * - `cost-explorer`: AWS Cost Explorer's cost for the EMR cluster's `aws:elasticmapreduce:job-flow-id` tag;
 * - `emr-share`: a shared cluster's instance-hours while the step ran × the catalog's prices + EMR;
 * - `sandbox`: the playground's simulated figure.
 */
export type CostMethod = 'databricks-billing' | 'cost-explorer' | 'emr-share' | 'sandbox';

/** One line of a figure: a SKU's DBUs, an instance type's hours, a day of Cost Explorer. */
export interface CostItem {
  item: string;
  quantity: number;
  unit: string;
  amount: number;
}

/** A figure: what the run cost, in `currency`, and what the figure includes. */
export interface KnownCost {
  amount: number;
  currency: string;
  /** Databricks only: the DBUs behind the figure. */
  dbus?: number;
  /** What is in and out of the figure: list price (no discounts), cloud compute (EC2) included or not. */
  note: string;
  items: CostItem[];
}

/**
 * What measuring gave: a figure; `pending` (the billing data is not there yet: try again later);
 * or `unknown` (it cannot be known, e.g. no warehouse or the cost-allocation tag is not active),
 * with the reason in words people can act on.
 */
export type CostMeasurement =
  | { kind: 'known'; method: CostMethod; cost: KnownCost }
  | { kind: 'pending'; method: CostMethod; reason: string }
  | { kind: 'unknown'; method?: CostMethod; reason: string };

/** A run's cost as stored on its record (`RunRecord.cost`), and audited as `run.cost`. */
export interface RunCost {
  status: 'pending' | 'known' | 'unknown';
  method?: CostMethod;
  amount?: number;
  currency?: string;
  dbus?: number;
  note?: string;
  /** Why it is pending or unknown. */
  reason?: string;
  items?: CostItem[];
  /** The run's repair count when measured: a repaired run ran again and is measured again. */
  epoch: number;
  /** When this figure (or state) was found. */
  at: number;
}

/** Measures one ended run's cost. Throws a retryable error for an outage (the job retries). */
export type MeasureCost = (run: RunRecord, signal?: AbortSignal) => Promise<CostMeasurement>;

export function toRunCost(m: CostMeasurement, epoch: number, at: number): RunCost {
  if (m.kind === 'known') {
    const { amount, currency, dbus, note, items } = m.cost;
    return { status: 'known', method: m.method, amount, currency, ...(dbus !== undefined ? { dbus } : {}), note, items, epoch, at };
  }
  return { status: m.kind, ...(m.method ? { method: m.method } : {}), reason: m.reason, epoch, at };
}

/** True when two costs say the same thing (the time they were found aside). */
export function sameCost(a: RunCost | undefined, b: RunCost): boolean {
  if (!a) return false;
  const { at: _a, ...x } = a;
  const { at: _b, ...y } = b;
  return JSON.stringify(x) === JSON.stringify(y);
}
