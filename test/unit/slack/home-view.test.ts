import type { Button, SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { requestsAwaiting } from '../../../src/cutover/index.ts';
import { ACTION_IDS, buildHomeView, type HomePipeline } from '../../../src/slack/index.ts';
import { HOUR, T0, pendingRequest } from '../cutover/fixtures.ts';
import { allText, makeRun } from './run-fixture.ts';
import { samePeriodSpeedUp } from '../../../src/handlers/app-home.ts';
import type { RunRecord } from '../../../src/store/run-record.ts';

const NOW = T0 + 2 * HOUR;
const base = { name: 'incites-monthly', channel: 'C0PIPELINES' };
const emr = { engine: 'emr' as const, state: 'succeeded' as const, durationMs: 1_750_000, at: T0 - 3 * HOUR, url: 'https://console.aws.amazon.com/emr/home#/clusterDetails/j-ABC123' };
const dbx = { engine: 'databricks' as const, state: 'succeeded' as const, durationMs: 723_000, at: T0 - 3 * HOUR, url: 'https://dbc-1.cloud.databricks.com/#job/123/run/987654' };

/** One pipeline per migration stage, as the board would be fed. */
const PIPELINES: Record<HomePipeline['stage'], HomePipeline> = {
  legacy: { ...base, stage: 'legacy', lastLegacy: emr },
  parallel: {
    ...base, stage: 'parallel', lastLegacy: emr, lastTarget: dbx, speedUp: { period: '2024-05', legacyMs: 1_750_000, targetMs: 723_000 },
    lastParallel: { id: 'p-m3k9x2-9c1d', period: '2024-05', state: 'done', verdict: 'clean', at: T0 - HOUR, url: 'https://slack.example/archives/C0PIPELINES/p1' },
    dq: { passed: true, at: T0 - HOUR, period: '2024-05' },
    cutover: { done: 0, total: 3, next: { id: 'parallel-clean', state: 'ready' } },
  },
  cutover: {
    ...base, stage: 'cutover', lastLegacy: { ...emr, state: 'failed', durationMs: 60_000 }, lastTarget: dbx,
    lastParallel: { id: 'p-m3k9x2-9c1e', period: '2024-05', state: 'done', verdict: 'different', at: T0 - HOUR },
    dq: { passed: false, at: T0 - HOUR, period: '2024-05' },
    cutover: { done: 1, total: 3, next: { id: 'switch-primary', state: 'awaiting_approval' } },
  },
  live: {
    ...base, stage: 'live', lastTarget: { ...dbx, state: 'running', durationMs: undefined, at: NOW - 60_000 },
    lastParallel: { id: 'p-m3k9x2-9c1f', period: '2024-04', state: 'done', verdict: 'clean', at: T0 - 30 * 24 * HOUR },
    dq: { passed: true, at: T0 - HOUR, period: '2024-05' },
    cutover: { done: 3, total: 3 },
  },
};

describe('buildHomeView', () => {
  it.each(Object.keys(PIPELINES) as Array<HomePipeline['stage']>)('shows a pipeline in the %s stage', (stage) => {
    const view = buildHomeView([PIPELINES[stage]], [], NOW);
    expect(view.type).toBe('home');
    expect(view).toMatchSnapshot();
    expect(allText(view)).toContain(`\`${stage}\``);
  });

  it('gives the speed-up of one period both sides ran, naming it, and says why there is none otherwise', () => {
    expect(allText(buildHomeView([PIPELINES.parallel], [], NOW))).toContain(':stopwatch: 2.4× faster (2024-05)');
    expect(allText(buildHomeView([PIPELINES.cutover], [], NOW))).toContain(':stopwatch: no speed-up yet: no period succeeded on both sides');
  });

  it('compares only runs of the same period, by run time', () => {
    const run = (side: 'legacy' | 'target', period: string, ms: number, extra: Partial<RunRecord> = {}): RunRecord =>
      makeRun({ id: `r-${side}-${period}`, side, engine: side === 'legacy' ? 'emr' : 'databricks', period, state: 'succeeded', startedAt: T0, endedAt: T0 + ms, ...extra });
    // Newest first: Databricks ran 2024-06 (fast), EMR only 2024-05; the older 2024-05 pair is the one to compare.
    const runs = [run('target', '2024-06', 100_000), run('legacy', '2024-05', 1_750_000), run('target', '2024-05', 700_000, { idleMs: 7_000_000, endedAt: T0 + 7_700_000 })];
    expect(samePeriodSpeedUp(runs, NOW)).toEqual({ period: '2024-05', legacyMs: 1_750_000, targetMs: 700_000 });
    expect(samePeriodSpeedUp(runs.slice(0, 2), NOW)).toBeUndefined();
  });

  it('gives the last parallel run’s cost, legacy vs Databricks, on the pipeline’s line', () => {
    const known = (amount: number) => ({ status: 'known' as const, method: 'databricks-billing' as const, amount, currency: 'USD', note: 'n', epoch: 0, at: T0 });
    const view = buildHomeView([{ ...PIPELINES.parallel, cost: { period: '2024-05', legacy: known(41.2), target: known(18.75) } }], [], NOW);
    expect(view).toMatchSnapshot();
    expect(allText(view)).toContain(':moneybag: cost: legacy $41.20 vs Databricks $18.75 (−54 %) (2024-05)');
    expect(allText(buildHomeView([{ ...PIPELINES.parallel, cost: { period: '2024-05', legacy: 'pending', target: 'pending' } }], [], NOW))).toContain(':moneybag: cost pending (2024-05)');
  });

  it('puts the approvals waiting for the viewer first, each with an Open button carrying the request id', async () => {
    const mine = pendingRequest({ id: 'c-mine-000001', requestedBy: 'U0BOB' });
    const forBob = pendingRequest({ id: 'c-bob-000002', approvals: [{ user: 'U0CAROL', at: T0 }] });
    const approvedByBob = pendingRequest({ id: 'c-done-000003', approvals: [{ user: 'U0BOB', at: T0 }] });
    const expired = pendingRequest({ id: 'c-old-000004', expiresAt: NOW - 1 });
    const waiting = await requestsAwaiting([mine, forBob, approvedByBob, expired], 'U0BOB', () => true, NOW);
    expect(waiting.map((r) => r.id)).toEqual(['c-bob-000002']);
    expect(await requestsAwaiting([forBob], 'U0BOB', async () => false, NOW)).toEqual([]);

    const view = buildHomeView(Object.values(PIPELINES), waiting.map((request) => ({ request, url: 'https://slack.example/archives/C0PIPELINES/p2' })), NOW);
    expect(view).toMatchSnapshot();
    const first = view.blocks[1] as SectionBlock;
    expect(first.text?.text).toContain('*incites-monthly · switch-primary*: <@U0ALICE> asks to execute it');
    expect(first.text?.text).toContain('1 of 2 approvals');
    expect(first.accessory).toMatchObject({ type: 'button', action_id: ACTION_IDS.cutoverOpenRequest, value: 'c-bob-000002', url: 'https://slack.example/archives/C0PIPELINES/p2' } satisfies Partial<Button>);
  });

  it('says when nothing waits and when the catalog is empty', () => {
    const text = allText(buildHomeView([], [], NOW));
    expect(text).toContain('Nothing is waiting for you.');
    expect(text).toContain('No pipelines in the catalog yet.');
  });

  it('stays within the 100 blocks of a Home tab with many pipelines', () => {
    const many = Array.from({ length: 150 }, (_, i) => ({ ...PIPELINES.parallel, name: `pipeline-${i}` }));
    const view = buildHomeView(many, [], NOW);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    expect(allText(view)).toContain('more blocks not shown');
  });
});
