import type { HeaderBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { buildListView, buildRunListView, type PipelineListItem } from '../../../src/slack/index.ts';
import { T0, allText, limitProblems, makeFailedRun, makeRun } from './run-fixture.ts';

const NOW = T0 + 3 * 3600_000;

describe('buildListView', () => {
  const items: PipelineListItem[] = [
    { name: 'incites-monthly', description: 'Monthly InCites insights', stage: 'parallel', channel: 'C0PIPELINES', lastRun: makeFailedRun() },
    { name: 'billing-rollup', description: '', stage: 'legacy', channel: 'C0BILLING' },
  ];

  it('shows each pipeline with its stage, channel and last run (state word, duration, link)', () => {
    const view = buildListView(items, NOW);
    expect(view).toMatchSnapshot();
    expect(view.text).toBe('2 pipelines in the catalog');
    const text = allText(view);
    expect(text).toContain('*incites-monthly* · :twisted_rightwards_arrows: `parallel` · <#C0PIPELINES>');
    expect(text).toContain('Monthly InCites insights');
    expect(text).toContain('Last run: :x: *failed* 2024-05 on databricks, 2m 0s, 2h ago (<https://dbc-1.cloud.databricks.com/#job/123/run/987654|r-m3k9x2-4f7a>)');
    expect(text).toContain('*billing-rollup* · :old_key: `legacy` · <#C0BILLING>\\nLast run: none yet');
  });

  it('says when the catalog is empty', () => {
    expect(buildListView([], NOW)).toEqual({
      text: '0 pipelines in the catalog',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'No pipelines in the catalog yet.' } }],
    });
  });

  it('caps a huge catalog at 50 blocks with a note, every text within limits', () => {
    const many = Array.from({ length: 120 }, (_, i) => ({ ...items[0]!, name: `p-${i}`, description: 'd'.repeat(10_000) }));
    const view = buildListView(many, NOW);
    expect(limitProblems(view)).toEqual([]);
    expect(view.blocks).toHaveLength(50);
    expect(allText(view)).toContain('more blocks not shown');
  });
});

describe('buildRunListView', () => {
  it('lists the latest runs newest first with state word, duration and link', () => {
    const runs = [
      makeRun({ id: 'r-3', period: '2024-06', state: 'running', startedAt: T0 + 3600_000 }),
      makeFailedRun({ id: 'r-2', repairs: 1 }),
      makeRun({ id: 'r-1', period: '2024-04', state: 'succeeded', engine: 'emr', side: 'legacy', url: undefined, endedAt: T0 + 5_000 + 754_000 }),
    ];
    const view = buildRunListView(runs, NOW);
    expect(view).toMatchSnapshot();
    expect((view.blocks[0] as HeaderBlock).text.text).toBe('Latest runs of incites-monthly');
    expect(view.text).toBe('Latest runs of incites-monthly: latest 2024-06 running');
    const text = allText(view);
    expect(text).toContain(':arrows_counterclockwise: *running* · 2024-06 · databricks (prod) · 2h 0m 0s · 2h ago · <https://dbc-1.cloud.databricks.com/#job/123/run/987654|r-3>');
    expect(text).toContain(':x: *failed* · 2024-05 · databricks (prod) · 2m 0s · 2h ago · <https://dbc-1.cloud.databricks.com/#job/123/run/987654|r-2> · repaired 1×');
    expect(text).toContain(':white_check_mark: *succeeded* · 2024-04 · emr (prod) · 12m 34s · 2h ago · r-1');
  });

  it('says when there are no runs', () => {
    expect(buildRunListView([], NOW).text).toBe('No runs yet.');
  });

  it('stays within limits for hundreds of runs', () => {
    const runs = Array.from({ length: 5000 }, (_, i) => makeRun({ id: `r-${i}`, period: 'x'.repeat(100) }));
    expect(limitProblems(buildRunListView(runs, NOW))).toEqual([]);
  });
});
