import type { ActionsBlock, Button, HeaderBlock, SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { buildBackfillView } from '../../../src/slack/index.ts';
import { periodsBetween, type BackfillPeriod, type BackfillRecord } from '../../../src/store/backfill-record.ts';
import type { RunRecord } from '../../../src/store/run-record.ts';
import { T0, allText, limitProblems, makeFailedRun, makeRun } from './run-fixture.ts';

const NOW = T0 + 300_000;

function makeBackfill(periods: BackfillPeriod[], over: Partial<BackfillRecord> = {}): BackfillRecord {
  return {
    v: 1, id: 'b-m3k9x2-aa11bb', pipeline: 'incites-monthly', from: periods[0]!.period, to: periods.at(-1)!.period, side: 'target', engine: 'databricks',
    env: 'dev', concurrency: 2, continueOnFailure: false, requestedBy: 'U0ALICE', channel: 'C0PIPELINES', periods, state: 'running', retries: 0,
    createdAt: T0, updatedAt: T0 + 200_000, version: 7, ...over,
  };
}
const p = (period: string, status: BackfillPeriod['status'], runId?: string, earlierRunIds: string[] = []): BackfillPeriod => ({ period, status, ...(runId ? { runId } : {}), earlierRunIds });
const done = (id: string, period: string, ms: number): RunRecord => makeRun({ id, period, state: 'succeeded', startedAt: T0, endedAt: T0 + ms, url: `https://dbc-1.cloud.databricks.com/#job/123/run/${id}` });
const sections = (view: { blocks: unknown[] }) => view.blocks.filter((b) => (b as SectionBlock).type === 'section').map((b) => (b as SectionBlock).text?.text ?? '');
const buttons = (view: { blocks: unknown[] }) => view.blocks.flatMap((b) => ((b as ActionsBlock).type === 'actions' ? ((b as ActionsBlock).elements as Button[]) : []));

describe('buildBackfillView', () => {
  it('lists every period with its state word and duration, and offers Cancel remaining while periods are left', () => {
    const runs = new Map<string, RunRecord>([
      ['r-1-000001', done('r-1-000001', '2026-01', 42_000)],
      ['r-1-000002', makeRun({ id: 'r-1-000002', period: '2026-02', state: 'running', startedAt: T0 + 60_000 })],
      ['r-1-000003', makeRun({ id: 'r-1-000003', period: '2026-03', state: 'submitting', startedAt: undefined, url: undefined })],
    ]);
    const b = makeBackfill([p('2026-01', 'succeeded', 'r-1-000001'), p('2026-02', 'started', 'r-1-000002'), p('2026-03', 'started', 'r-1-000003'), p('2026-04', 'waiting')]);
    const view = buildBackfillView(b, runs, NOW);
    expect(view).toMatchSnapshot();
    expect((view.blocks[0] as HeaderBlock).text.text).toBe('incites-monthly · backfill 2026-01 → 2026-04');
    const [summary, periods] = sections(view);
    expect(summary).toContain(':arrows_counterclockwise: *running* · 1 succeeded, 2 running, 1 waiting of 4 periods');
    expect(summary).toContain('Databricks (dev) · at most 2 at a time · stops at the first failure');
    expect(periods!.split('\n')).toEqual([
      ':white_check_mark: *2026-01* succeeded · 42.0s · <https://dbc-1.cloud.databricks.com/#job/123/run/r-1-000001|Open in Databricks> · `r-1-000001`',
      ':arrows_counterclockwise: *2026-02* running · 4m 0s so far · <https://dbc-1.cloud.databricks.com/#job/123/run/987654|Open in Databricks> · `r-1-000002`',
      ':outbox_tray: *2026-03* submitting · `r-1-000003`',
      ':hourglass_flowing_sand: *2026-04* waiting',
    ]);
    expect(buttons(view).map((x) => x.action_id)).toEqual(['backfill_cancel']);
    expect(buttons(view)[0]).toMatchObject({ value: 'b-m3k9x2-aa11bb', confirm: expect.any(Object) });
    expect(view.text).toBe(':hourglass: incites-monthly backfill 2026-01 → 2026-04: running (1 succeeded, 2 running, 1 waiting of 4 periods)');
    expect(limitProblems(view)).toEqual([]);
  });

  it('says why it stopped, marks skipped periods and the failed one, and offers Retry failed periods once nothing runs', () => {
    const runs = new Map<string, RunRecord>([
      ['r-1-000001', done('r-1-000001', '2026-01', 60_000)],
      ['r-1-000002', makeFailedRun({ id: 'r-1-000002', period: '2026-02', startedAt: T0 })],
    ]);
    const b = makeBackfill([p('2026-01', 'succeeded', 'r-1-000001'), p('2026-02', 'failed', 'r-1-000002'), p('2026-03', 'skipped')], {
      state: 'failed', stoppedReason: '2026-02 failed', endedAt: T0 + 130_000,
    });
    const view = buildBackfillView(b, runs, NOW);
    const [summary, periods] = sections(view);
    expect(summary).toMatch(/^:x: \*failed\* · 1 succeeded, 1 failed, 1 skipped of 3 periods/);
    expect(summary).toContain('took 2m 10s');
    expect(summary).toContain(':octagonal_sign: Stopped after 2026-02 failed: 1 period not started.');
    expect(periods).toContain(':x: *2026-02* failed · 2m 5s');
    expect(periods).toContain('details in the thread');
    expect(periods).toContain(':fast_forward: *2026-03* skipped: not started');
    expect(buttons(view).map((x) => x.action_id)).toEqual(['backfill_retry']);
    expect(view.text).toMatch(/^:x: incites-monthly backfill 2026-01 → 2026-03: failed/);
  });

  it('numbers retried attempts and shows who cancelled the rest', () => {
    const runs = new Map<string, RunRecord>([['r-1-000009', done('r-1-000009', '2026-01', 1000)]]);
    const b = makeBackfill([p('2026-01', 'succeeded', 'r-1-000009', ['r-1-000001']), p('2026-02', 'cancelled')], {
      state: 'cancelled', cancelledBy: { user: 'U0BOB', at: T0 + 100_000 }, endedAt: T0 + 100_000,
    });
    const view = buildBackfillView(b, runs, NOW);
    expect(allText(view)).toContain('`r-1-000009` · attempt 2');
    expect(allText(view)).toContain(':no_entry_sign: *2026-02* cancelled: not started');
    expect(allText(view)).toContain('Remaining periods cancelled by <@U0BOB>');
    expect(buttons(view).map((x) => x.action_id)).toEqual(['backfill_retry']);
  });

  it('shows a finished clean backfill without buttons', () => {
    const b = makeBackfill([p('2026-01', 'succeeded', 'r-1-000001')], { state: 'succeeded', endedAt: T0 + 50_000 });
    const view = buildBackfillView(b, new Map([['r-1-000001', done('r-1-000001', '2026-01', 45_000)]]), NOW);
    expect(buttons(view)).toEqual([]);
    expect(sections(view)[0]).toMatch(/^:white_check_mark: \*succeeded\* · 1 succeeded of 1 period/);
  });

  it('stays within Slack limits with 120 periods and long URLs', () => {
    const periods = periodsBetween('2016-11', '2026-10');
    expect(periods).toHaveLength(120);
    const runs = new Map<string, RunRecord>();
    const records = periods.map((period, i) => {
      const id = `r-1-${String(i).padStart(6, '0')}`;
      runs.set(id, makeFailedRun({ id, period, url: `https://dbc-1.cloud.databricks.com/#job/123/run/${'9'.repeat(400)}` }));
      return p(period, 'failed', id);
    });
    const view = buildBackfillView(makeBackfill(records, { continueOnFailure: true, state: 'failed' }), runs, NOW);
    expect(limitProblems(view)).toEqual([]);
    expect(allText(view)).toContain('2016-11');
    expect(allText(view)).toContain('2026-10');
  });
});

describe('periodsBetween', () => {
  it('counts months across years, both ends included', () => {
    expect(periodsBetween('2025-11', '2026-02')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(periodsBetween('2026-05', '2026-05')).toEqual(['2026-05']);
  });
});
