import type { HeaderBlock, SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { buildHistoryView, mismatchTotal, type HistoryItem } from '../../../src/slack/index.ts';
import { T0, cleanOutput, differentOutput, errorOutput, finishedRuns, makeLegacyRun, makeParallel, makeTargetRun } from './parallel-fixture.ts';
import { limitProblems } from './run-fixture.ts';

const DAY = 86_400_000;
const NOW = T0 + 30 * DAY + 125_000;

/** Three parallel runs and a /pipeline diff, given out of order on purpose. */
function history(): HistoryItem[] {
  const { legacy, target } = finishedRuns();
  const shift = (days: number) => ({ createdAt: T0 + days * DAY, updatedAt: T0 + days * DAY });
  const later = (run: typeof legacy, days: number) => ({
    ...run,
    createdAt: run.createdAt + days * DAY,
    startedAt: run.startedAt === undefined ? undefined : run.startedAt + days * DAY,
    endedAt: run.endedAt === undefined ? undefined : run.endedAt + days * DAY,
  });
  return [
    {
      p: makeParallel({ ...shift(1), period: '2024-04', state: 'done', verdict: 'different', outputs: { a: differentOutput('a'), b: differentOutput('b'), c: errorOutput('c') } }),
      legacy: later(legacy, 1),
      target: later(target, 1),
    },
    {
      p: makeParallel({ ...shift(30), period: '2024-05', state: 'running' }),
      legacy: later(makeLegacyRun(), 30),
      target: later(makeTargetRun({ state: 'pending', startedAt: undefined, tasks: [] }), 30),
    },
    { p: makeParallel({ ...shift(0), period: '2024-03', state: 'done', verdict: 'clean', outputs: { a: cleanOutput('a') } }), legacy, target },
    { p: makeParallel({ ...shift(20), kind: 'diff', period: '2024-04', state: 'done', verdict: 'clean', outputs: { a: cleanOutput('a') } }) },
    {
      p: makeParallel({ ...shift(10), period: '2024-04', state: 'done', verdict: 'failed', verdictReason: 'the Databricks run failed' }),
      legacy: later(legacy, 10),
      target: later(makeTargetRun({ state: 'failed', endedAt: T0 + 300_000 }), 10),
    },
  ];
}

describe('buildHistoryView', () => {
  it('lists the parallel runs newest first with durations, speed-up, verdict, mismatches and date', () => {
    const view = buildHistoryView('incites-monthly', history(), NOW);
    expect(view).toMatchSnapshot();
    expect((view.blocks[0] as HeaderBlock).text.text).toBe('Parallel runs of incites-monthly');
    const lines = ((view.blocks[1] as SectionBlock).text?.text ?? '').split('\n');
    const date = (days: number) => `<!date^${(T0 + days * DAY) / 1000}^{date_short_pretty} {time}|${new Date(T0 + days * DAY).toISOString()}>`;
    expect(lines).toEqual([
      `:hourglass: *running* · *2024-05* · EMR 2m 0s :arrows_counterclockwise: running so far vs Databricks 2m 5s :hourglass: pending so far · ${date(30)}`,
      `:white_check_mark: *clean* · *2024-04* · diff only · 0 mismatches · ${date(20)}`,
      `:x: *failed* · *2024-04* · EMR 29m 10s vs Databricks 4m 55s :x: failed · cost pending · ${date(10)}`,
      `:large_orange_diamond: *different* · *2024-04* · EMR 29m 10s vs Databricks 12m 3s · 2.4× faster · cost pending · 36 mismatches (1 output not compared) · ${date(1)}`,
      `:white_check_mark: *clean* · *2024-03* · EMR 29m 10s vs Databricks 12m 3s · 2.4× faster · cost pending · 0 mismatches · ${date(0)}`,
    ]);
    expect(view.text).toBe('Parallel runs of incites-monthly: latest 2024-05 running, 0 mismatches');
  });

  it('sums only legacy, only target and changed over every output', () => {
    const p = makeParallel({ outputs: { a: differentOutput('a'), b: differentOutput('b'), c: errorOutput('c'), d: cleanOutput('d') } });
    expect(mismatchTotal(p)).toBe(2 * (5 + 1 + 12));
    expect(mismatchTotal(makeParallel())).toBe(0);
  });

  it('says when there is no parallel run yet', () => {
    const view = buildHistoryView('incites-monthly', [], NOW);
    expect(view.text).toBe('No parallel runs of incites-monthly yet.');
    expect((view.blocks[0] as SectionBlock).text?.text).toContain('`/pipeline parallel incites-monthly`');
  });

  it('stays within Slack limits for 1,000 runs with huge periods', () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({
      p: makeParallel({ createdAt: T0 + i, period: `${i}${'x'.repeat(10_000)}`, verdict: 'clean' as const, outputs: { a: differentOutput('a') } }),
    }));
    const view = buildHistoryView('x'.repeat(10_000), items, NOW);
    expect(limitProblems(view)).toEqual([]);
    expect(((view.blocks[1] as SectionBlock).text?.text ?? '').startsWith(':white_check_mark: *clean* · *999x')).toBe(true);
  });
});

describe('buildHistoryView: cost column', () => {
  it('shows each run pair’s cost with the change, and explains an unknown cost once', () => {
    const items = history();
    const known = (amount: number, method: 'emr-share' | 'databricks-billing') => ({ status: 'known' as const, method, amount, currency: 'USD', note: 'n', epoch: 0, at: T0 });
    const tagOff = { status: 'unknown' as const, method: 'cost-explorer' as const, reason: 'the cost-allocation tag is not activated', epoch: 0, at: T0 };
    items[0]!.legacy = { ...items[0]!.legacy!, cost: tagOff };
    items[0]!.target = { ...items[0]!.target!, cost: known(9.5, 'databricks-billing') };
    items[2]!.legacy = { ...items[2]!.legacy!, cost: known(41.2, 'emr-share') };
    items[2]!.target = { ...items[2]!.target!, cost: known(18.75, 'databricks-billing') };
    items[4]!.legacy = { ...items[4]!.legacy!, cost: tagOff };
    const view = buildHistoryView('incites-monthly', items, NOW);
    expect(view).toMatchSnapshot();
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('cost: legacy $41.20 vs Databricks $18.75 (−54 %)');
    expect(text).toContain('cost: legacy unknown vs Databricks $9.50');
    expect(text.match(/cost unknown \(Cost Explorer\): the cost-allocation tag is not activated/g)).toHaveLength(1);
  });
});
