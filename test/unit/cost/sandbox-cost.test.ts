import { describe, expect, it } from 'vitest';
import { SANDBOX_COST_DELAY_MS, sandboxCost } from '../../../src/cost/sandbox-cost.ts';

const run = (id: string, side: 'legacy' | 'target', seconds: number) => ({ id, side, startedAt: 1_000_000, endedAt: 1_000_000 + seconds * 1000 });

describe('the playground sandbox’s costs', () => {
  it('are pending right after a run, then a figure proportional to its duration, within ±10 %', () => {
    const r = run('r-1-000001', 'legacy', 100);
    expect(sandboxCost(r, 4, r.endedAt + 10)).toMatchObject({ kind: 'pending', method: 'sandbox' });
    const known = sandboxCost(r, 4, r.endedAt + SANDBOX_COST_DELAY_MS);
    expect(known.kind).toBe('known');
    const amount = known.kind === 'known' ? known.cost.amount : NaN;
    expect(amount).toBeGreaterThanOrEqual(360);
    expect(amount).toBeLessThanOrEqual(440);
    // Deterministic: the same run always costs the same, so a chart does not change on a re-render.
    expect(sandboxCost(r, 4, r.endedAt + 60_000)).toEqual(known);
    expect(known.kind === 'known' && known.cost.note).toMatch(/not a real bill/);
  });

  it('gives the new side DBUs, and a faster new side costs less, as a migration would show', () => {
    const legacy = sandboxCost(run('r-1-000002', 'legacy', 120), 4, 10_000_000);
    const target = sandboxCost(run('r-1-000003', 'target', 40), 4, 10_000_000);
    if (legacy.kind !== 'known' || target.kind !== 'known') throw new Error('expected figures');
    expect(target.cost.dbus).toBeGreaterThan(0);
    expect(legacy.cost.dbus).toBeUndefined();
    expect(target.cost.amount).toBeLessThan(legacy.cost.amount);
  });

  it('is unknown, saying why, for a run that never started', () => {
    expect(sandboxCost({ id: 'r-1-000004', side: 'target' }, 4, 10_000_000)).toMatchObject({ kind: 'unknown', reason: expect.stringMatching(/never started/) });
  });
});
