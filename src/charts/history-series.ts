import type { ParallelRecord } from '../store/parallel-record.ts';
import type { RunRecord } from '../store/run-record.ts';

/** One parallel run with its two runs, as the stores give them. */
export interface HistoryPoint {
  p: ParallelRecord;
  legacy?: RunRecord;
  target?: RunRecord;
}

/** One side of one period, as the chart draws it. */
export interface ChartRow {
  period: string;
  side: 'Legacy' | 'Databricks';
  /** Minutes the run took; absent when it did not succeed (a failed run's duration says nothing). */
  minutes?: number;
  /** USD at list price; absent while pending or unknown. */
  cost?: number;
}

export interface ChartVerdict {
  period: string;
  verdict: 'clean' | 'different' | 'failed';
}

/**
 * Per period, the latest finished parallel run (not `/pipeline diff`s): its two runs' durations and
 * costs, and its verdict. Oldest period first. Pure, so the chart's data is unit-tested on its own.
 */
export function historySeries(points: readonly HistoryPoint[]): { rows: ChartRow[]; verdicts: ChartVerdict[] } {
  const latest = new Map<string, HistoryPoint>();
  for (const pt of points) {
    // A run without data on a side compared nothing: no point on the chart.
    if (pt.p.kind !== 'parallel' || pt.p.state !== 'done' || !pt.p.verdict || pt.p.verdict === 'missing') continue;
    const seen = latest.get(pt.p.period);
    if (!seen || seen.p.createdAt < pt.p.createdAt) latest.set(pt.p.period, pt);
  }
  const periods = [...latest.keys()].sort();
  const rows: ChartRow[] = [];
  const verdicts: ChartVerdict[] = [];
  for (const period of periods) {
    const { p, legacy, target } = latest.get(period)!;
    verdicts.push({ period, verdict: p.verdict as ChartVerdict['verdict'] });
    for (const [side, run] of [['Legacy', legacy], ['Databricks', target]] as const) {
      if (!run) continue;
      const minutes = run.state === 'succeeded' && run.startedAt !== undefined && run.endedAt !== undefined ? (run.endedAt - run.startedAt) / 60_000 : undefined;
      const cost = run.cost?.status === 'known' && run.cost.currency === 'USD' ? run.cost.amount : undefined;
      rows.push({ period, side, ...(minutes !== undefined ? { minutes: Math.round(minutes * 100) / 100 } : {}), ...(cost !== undefined ? { cost } : {}) });
    }
  }
  return { rows, verdicts };
}
