import { createHash } from 'node:crypto';
import { round } from './databricks-billing.ts';
import type { CostMeasurement } from './types.ts';

/** The playground's cost appears this long after a run ends, so "cost pending" shows first, as it would for real. */
export const SANDBOX_COST_DELAY_MS = 3000;
/** A made-up list price per DBU, to show DBUs beside the simulated Databricks figure. */
const SANDBOX_DBU_PRICE = 0.15;

/**
 * A plausible figure for a sandbox run: its duration × `costPerSecond` (the catalog's, default 4 USD),
 * ±10 % from a hash of the run id so a chart of several runs is not a flat line. Deterministic.
 */
export function sandboxCost(run: { id: string; side: 'legacy' | 'target'; startedAt?: number; endedAt?: number }, costPerSecond: number, now: number): CostMeasurement {
  const method = 'sandbox' as const;
  if (run.startedAt === undefined || run.endedAt === undefined) return { kind: 'unknown', method, reason: 'the sandbox run never started' };
  if (now - run.endedAt < SANDBOX_COST_DELAY_MS) return { kind: 'pending', method, reason: 'the sandbox hands out its figure a few seconds after a run, as billing data arrives late for real' };
  const jitter = 0.9 + (createHash('sha256').update(run.id).digest()[0]! / 255) * 0.2;
  const amount = round(Math.round(((run.endedAt - run.startedAt) / 1000) * costPerSecond * jitter * 100) / 100);
  const note = 'simulated by the playground sandbox (not a real bill)';
  if (run.side === 'legacy') return { kind: 'known', method, cost: { amount, currency: 'USD', note, items: [{ item: 'sandbox cluster', quantity: 1, unit: 'run', amount }] } };
  const dbus = round(amount / SANDBOX_DBU_PRICE);
  return { kind: 'known', method, cost: { amount, currency: 'USD', dbus, note, items: [{ item: 'SANDBOX_JOBS_COMPUTE', quantity: dbus, unit: 'DBU', amount }] } };
}
