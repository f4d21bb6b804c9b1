import { describe, expect, it } from 'vitest';
import { catalogVersionOf, evaluatePlan } from '../../../src/cutover/index.ts';
import type { RunCost } from '../../../src/cost/types.ts';
import { parallel, pipeline, planInput, T0 } from './fixtures.ts';

/** A plan whose first step needs the Databricks cost ≤ 1.0 × legacy over the last 3 clean parallel runs. */
const config = pipeline({ approvers: { users: ['U0BOB', 'U0CAROL'], min: 2 }, steps: [{ id: 'cost-ok', gate: { costRatioAtMost: 1.0, overLastRuns: 3 } }] });
const version = catalogVersionOf(config);
const runs = ['2024-05', '2024-04', '2024-03'].map((period, i) => parallel('clean', { id: `p-cost${i}`, period, catalogVersion: version }));
const known = (amount: number): RunCost => ({ status: 'known', method: 'databricks-billing', amount, currency: 'USD', note: 'n', epoch: 0, at: T0 });
const costGate = (costs: Record<string, { legacy?: RunCost; target?: RunCost }>) => {
  const plan = evaluatePlan(planInput({ config, parallels: runs, runCosts: costs }));
  return plan.steps[0]!.gates.find((g) => g.gate === 'costRatio')!;
};

describe('cost gate: costRatioAtMost over the last clean parallel runs', () => {
  it('is met when Databricks cost at most the ratio of legacy in each of the last 3 clean runs', () => {
    const gate = costGate({ 'p-cost0': { legacy: known(40), target: known(18) }, 'p-cost1': { legacy: known(41), target: known(41) }, 'p-cost2': { legacy: known(39), target: known(20) } });
    expect(gate.met).toBe(true);
    expect(gate.reason).toContain('2024-05, 2024-04, 2024-03');
  });

  it('is not met when one run cost more on Databricks than the ratio allows', () => {
    const gate = costGate({ 'p-cost0': { legacy: known(40), target: known(18) }, 'p-cost1': { legacy: known(41), target: known(41.5) }, 'p-cost2': { legacy: known(39), target: known(20) } });
    expect(gate.met).toBe(false);
    expect(gate.reason).toContain('2024-04 Databricks 41.5 > 1 × legacy 41');
  });

  it('is not met while a cost is unknown or pending: an unknown cost never counts as met', () => {
    const unknown: RunCost = { status: 'unknown', method: 'cost-explorer', reason: 'tag not active', epoch: 0, at: T0 };
    const pending: RunCost = { status: 'pending', method: 'databricks-billing', reason: 'no rows yet', epoch: 0, at: T0 };
    const gate = costGate({ 'p-cost0': { legacy: unknown, target: known(18) }, 'p-cost1': { legacy: known(41), target: pending }, 'p-cost2': { legacy: known(39), target: known(20) } });
    expect(gate.met).toBe(false);
    expect(gate.reason).toContain('2024-05 legacy cost unknown');
    expect(gate.reason).toContain('2024-04 Databricks cost pending');
    const plan = evaluatePlan(planInput({ config, parallels: runs }));
    expect(plan.steps[0]!.state).toBe('blocked');
  });
});
