import type { ActionsBlock, ContextBlock, HeaderBlock, SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { RUN_STATES } from '../../../src/engines/types.ts';
import { ACTION_IDS, buildStatusView } from '../../../src/slack/index.ts';
import { T0, allText, limitProblems, makeFailedRun, makeRun } from './run-fixture.ts';

const NOW = T0 + 125_000;

describe('buildStatusView', () => {
  it('renders a running run: header, state word beside its emoji, fields, tasks, link, run id', () => {
    const view = buildStatusView(makeRun(), NOW);
    expect(view).toMatchSnapshot();
    const [header, summary, fields] = view.blocks as [HeaderBlock, SectionBlock, SectionBlock];
    expect(header.text.text).toBe('incites-monthly · 2024-05');
    expect(summary.text?.text).toBe(':arrows_counterclockwise: *running* — RUNNING');
    const fieldTexts = fields.fields?.map((f) => f.text);
    expect(fieldTexts).toEqual([
      '*Pipeline*\nincites-monthly',
      '*Period*\n2024-05',
      '*Engine*\ndatabricks',
      '*Env*\nprod',
      '*Started by*\n<@U0ALICE>',
      '*Elapsed*\n2m 0s',
    ]);
  });

  it('lists every task with its state word and duration in m s form', () => {
    const text = allText(buildStatusView(makeRun(), NOW));
    expect(text).toContain('extract *succeeded* · 1m 0s');
    expect(text).toContain('transform *running* · 1m 0s');
    expect(text).toContain('load *queued* · not started');
  });

  it.each(RUN_STATES)('names the state %s with its exact word, in the blocks and the fallback text', (state) => {
    const view = buildStatusView(makeRun({ state }), NOW);
    expect(view.text).toContain('incites-monthly');
    expect(view.text).toContain('2024-05');
    expect(view.text).toContain(` ${state} `);
    expect((view.blocks[1] as SectionBlock).text?.text).toMatch(new RegExp(`^:[a-z_]+: \\*${state}\\*`));
  });

  it('measures elapsed time from creation while queued, and to the end once terminal', () => {
    const queued = buildStatusView(makeRun({ state: 'queued', startedAt: undefined, tasks: [] }), T0 + 42_000);
    expect(allText(queued)).toContain('*Elapsed*\\n42.0s');
    const done = buildStatusView(makeRun({ state: 'succeeded', endedAt: T0 + 5_000 + 3_723_000 }), T0 + 99_999_999);
    expect(allText(done)).toContain('*Took*\\n1h 2m 3s');
  });

  it('shows the run time of a repaired run apart from its wall time, which includes the wait before the repair', () => {
    // Failed after 5 minutes, sat failed for 2 hours, the repair ran 3 minutes.
    const repaired = makeRun({ state: 'succeeded', repairs: 1, startedAt: T0, idleMs: 7_200_000, endedAt: T0 + 300_000 + 7_200_000 + 180_000 });
    expect(allText(buildStatusView(repaired, T0 + 99_999_999))).toContain('*Took*\\n8m 0s run time (2h 8m 0s wall)');
  });

  it('links the run page with a button the handlers ack', () => {
    const actions = buildStatusView(makeRun(), NOW).blocks.find((b): b is ActionsBlock => b.type === 'actions');
    expect(actions?.elements).toEqual([
      expect.objectContaining({ type: 'button', action_id: ACTION_IDS.openRun, url: makeRun().url, value: 'r-m3k9x2-4f7a' }),
    ]);
    const noUrl = buildStatusView(makeRun({ url: undefined }), NOW);
    expect(noUrl.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('shows repairs, the acknowledgement, the engine error, and the run id in the last context line', () => {
    const run = makeFailedRun({
      repairs: 2,
      acknowledgedBy: { user: 'U0BOB', at: T0 + 200_000 },
      error: { code: 'api_error', message: 'Job 123 does not exist', apiCode: 'RESOURCE_DOES_NOT_EXIST' },
    });
    const view = buildStatusView(run, NOW);
    const text = allText(view);
    expect(text).toContain('*Repairs*\\n2');
    expect(text).toContain(':wrench: Repaired 2 times');
    expect(text).toContain('Acknowledged by <@U0BOB> <!date^1714521800^');
    expect(text).toContain('*api_error* (RESOURCE_DOES_NOT_EXIST): Job 123 does not exist');
    const footer = view.blocks.at(-1) as ContextBlock;
    expect(footer.type).toBe('context');
    expect(JSON.stringify(footer)).toContain('Run `r-m3k9x2-4f7a`');
  });

  it('escapes mrkdwn control characters coming from the engine', () => {
    const view = buildStatusView(makeRun({ stateMessage: 'failed in <lambda> & co' }), NOW);
    expect((view.blocks[1] as SectionBlock).text?.text).toContain('failed in &lt;lambda&gt; &amp; co');
  });

  it('stays within every Block Kit limit for huge inputs, keeping header and footer', () => {
    const huge = 'x'.repeat(10_000);
    const run = makeFailedRun({
      pipeline: `p${'-long'.repeat(100)}`,
      stateMessage: huge,
      params: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, huge])),
      error: { code: 'api_error', message: huge },
      tasks: Array.from({ length: 2000 }, (_, i) => ({ key: `task_${i}_${'y'.repeat(300)}`, state: 'failed' as const, startedAt: T0, endedAt: T0 + i })),
    });
    const view = buildStatusView(run, NOW);
    expect(limitProblems(view)).toEqual([]);
    expect(view.blocks.length).toBeLessThanOrEqual(50);
    expect(view.blocks[0]?.type).toBe('header');
    expect(JSON.stringify(view.blocks.at(-1))).toContain('Run `r-m3k9x2-4f7a`');
    expect(allText(view)).toContain('more blocks not shown');
  });

  it('says repairing (with the repair number) while a repair runs, not pending beside the old failure', () => {
    const view = buildStatusView(makeRun({ state: 'pending', repairs: 1, stateMessage: undefined }), T0 + 200_000);
    expect(view.text).toBe(':wrench: incites-monthly 2024-05 repairing on databricks (prod)');
    expect(JSON.stringify(view.blocks)).toContain(':wrench: *repairing* (repair #1)');
    expect(JSON.stringify(view.blocks)).not.toContain('*pending*');
    const done = buildStatusView(makeRun({ state: 'succeeded', repairs: 1, endedAt: T0 + 300_000 }), T0 + 300_000);
    expect(done.text).toBe(':white_check_mark: incites-monthly 2024-05 succeeded on databricks (prod)');
  });

  it('is pure: the same input gives the same output', () => {
    expect(buildStatusView(makeRun(), NOW)).toEqual(buildStatusView(makeRun(), NOW));
  });
});
