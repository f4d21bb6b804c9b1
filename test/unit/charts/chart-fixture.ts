import type { HistoryPoint } from '../../../src/charts/index.ts';
import type { RunCost } from '../../../src/cost/types.ts';
import { makeLegacyRun, makeParallel, makeTargetRun, T0 } from '../slack/parallel-fixture.ts';

export const DAY = 86_400_000;
const cost = (amount: number): RunCost => ({ status: 'known', method: 'databricks-billing', amount, currency: 'USD', note: 'n', epoch: 0, at: T0 });

/** Six monthly parallel runs: legacy ~45 min and ~$40, Databricks getting faster and cheaper; one different, one failed. */
export function sixMonths(): HistoryPoint[] {
  const months = ['2025-10', '2025-11', '2025-12', '2026-01', '2026-02', '2026-03'];
  const verdicts = ['different', 'clean', 'failed', 'clean', 'clean', 'clean'] as const;
  return months.map((period, i) => {
    const at = T0 + i * 30 * DAY;
    const p = makeParallel({ id: `p-m${i}-000000`, period, state: 'done', verdict: verdicts[i], createdAt: at });
    const legacy = makeLegacyRun({ state: 'succeeded', startedAt: at, endedAt: at + (44 + (i % 3)) * 60_000, cost: cost(38 + i) });
    const failed = verdicts[i] === 'failed';
    const target = makeTargetRun({ state: failed ? 'failed' : 'succeeded', startedAt: at, endedAt: at + (30 - i * 3) * 60_000, cost: cost(24 - i * 2) });
    return { p, legacy, target };
  });
}

