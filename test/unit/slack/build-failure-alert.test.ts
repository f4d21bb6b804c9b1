import type { ActionsBlock, Button, SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { ACTION_IDS, TRACE_LINES, buildAckNote, buildFailureAlert, buildRepairNote } from '../../../src/slack/index.ts';
import { T0, allText, limitProblems, makeFailedRun, makeRun } from './run-fixture.ts';

function buttons(message: { blocks: unknown[] }): Button[] {
  const actions = (message.blocks as ActionsBlock[]).find((b) => b.type === 'actions');
  return (actions?.elements ?? []) as Button[];
}

describe('buildFailureAlert', () => {
  it('shows the failing task, its error, trace head and log link, and the three buttons', () => {
    const alert = buildFailureAlert(makeFailedRun());
    expect(alert).toMatchSnapshot();
    const text = allText(alert);
    expect(alert.text).toBe(':rotating_light: incites-monthly 2024-05 failed: transform');
    expect(text).toContain('*failed*');
    expect(text).toContain('TERMINATED/FAILED: Task transform failed');
    expect(text).toContain('Task `transform` failed:\\n> org.apache.spark.SparkException: Job aborted due to stage failure: &lt;lambda&gt; &amp; friends');
    expect(text).toContain('<https://dbc-1.cloud.databricks.com/#job/123/run/987655/log|Log of transform>');

    const trace = (alert.blocks as SectionBlock[]).find((b) => b.text?.text.startsWith('```'))?.text?.text ?? '';
    expect(trace).toMatch(/^```\n {2}at com\.example\.Transform\.step0/);
    expect(trace).toContain(`step${TRACE_LINES - 1}(`);
    expect(trace).not.toContain(`step${TRACE_LINES}(`);
    expect(trace).toMatch(/… 25 more lines\n```$/);

    expect(buttons(alert).map((b) => [b.action_id, b.text.text, b.style, b.value])).toEqual([
      [ACTION_IDS.repair, 'Repair failed tasks', 'primary', 'r-m3k9x2-4f7a'],
      [ACTION_IDS.cancel, 'Cancel', 'danger', 'r-m3k9x2-4f7a'],
      [ACTION_IDS.ack, 'Acknowledge', undefined, 'r-m3k9x2-4f7a'],
    ]);
    expect(['run_repair', 'run_cancel', 'run_ack']).toEqual([ACTION_IDS.repair, ACTION_IDS.cancel, ACTION_IDS.ack]);
  });

  it('asks for confirmation before cancelling', () => {
    const cancel = buttons(buildFailureAlert(makeFailedRun())).find((b) => b.action_id === ACTION_IDS.cancel);
    expect(cancel?.confirm).toMatchObject({
      title: { text: 'Cancel this run?' },
      confirm: { text: 'Cancel run' },
      deny: { text: 'Keep it' },
    });
    expect(cancel?.confirm?.text.text).toContain('repair');
  });

  it('offers no repair or cancel where the engine cannot, only acknowledge', () => {
    const emr = buildFailureAlert(makeFailedRun({ engine: 'emr', side: 'legacy' }));
    expect(buttons(emr).map((b) => b.action_id)).toEqual([ACTION_IDS.ack]);
    const timedOut = buildFailureAlert(makeFailedRun({ state: 'timed_out' }));
    expect(buttons(timedOut).map((b) => b.action_id)).toEqual([ACTION_IDS.ack]);
  });

  it('offers cancel (not repair) while the run is still going', () => {
    expect(buttons(buildFailureAlert(makeRun())).map((b) => b.action_id)).toEqual([ACTION_IDS.cancel, ACTION_IDS.ack]);
  });

  it('drops the acknowledge button once acknowledged and says who did', () => {
    const alert = buildFailureAlert(makeFailedRun({ acknowledgedBy: { user: 'U0BOB', at: T0 } }));
    expect(buttons(alert).map((b) => b.action_id)).toEqual([ACTION_IDS.repair, ACTION_IDS.cancel]);
    expect(allText(alert)).toContain(':eyes: <@U0BOB> acknowledged this alert <!date^1714521600^');
  });

  it('says so when the engine gave no task details, and links the run', () => {
    const alert = buildFailureAlert(makeFailedRun({ failures: [] }));
    expect(allText(alert)).toContain('The engine reported no task details for this failed run; <https://dbc-1.cloud.databricks.com/#job/123/run/987654|open the run>');
    expect(alert.text).toBe(':rotating_light: incites-monthly 2024-05 failed');
  });

  it('stays within every limit for a 10,000-character error and trace, and keeps the buttons', () => {
    const huge = 'E'.repeat(10_000);
    const failures = Array.from({ length: 60 }, (_, i) => ({
      task: `task_${i}_${'t'.repeat(400)}`,
      error: `${huge}\n${huge}`,
      trace: Array.from({ length: 5 }, () => huge).join('\n'),
      logUrl: `https://logs.example.com/${i}`,
    }));
    const alert = buildFailureAlert(makeFailedRun({ stateMessage: huge, failures, error: { code: 'api_error', message: huge } }));
    expect(limitProblems(alert)).toEqual([]);
    expect(alert.blocks.length).toBeLessThanOrEqual(50);
    expect(buttons(alert)).toHaveLength(3);
    const trace = (alert.blocks as SectionBlock[]).find((b) => b.text?.text.startsWith('```'))?.text?.text ?? '';
    expect(trace.endsWith('… (truncated)\n```')).toBe(true);
  });
});

describe('buildFailureAlert once the run moves on (issue 15 item 4)', () => {
  const repairing = () => makeRun({ state: 'running', repairs: 1, stateMessage: undefined, repairedTasks: ['transform'] });

  it('says a repair is in progress, naming the re-run tasks, and keeps only Cancel and Acknowledge', () => {
    const alert = buildFailureAlert(repairing());
    expect(alert.text).toBe(':wrench: incites-monthly 2024-05 repairing (repair #1)');
    expect(allText(alert)).toContain('*repair #1 in progress*');
    expect(allText(alert)).toContain('Re-running: `transform`');
    expect(buttons(alert).map((b) => b.action_id)).toEqual([ACTION_IDS.cancel, ACTION_IDS.ack]);
    expect(limitProblems(alert)).toEqual([]);
  });

  it('says a repaired run succeeded and offers no buttons', () => {
    const alert = buildFailureAlert(makeRun({ state: 'succeeded', repairs: 1, endedAt: T0 + 300_000, stateMessage: 'TERMINATED/SUCCESS', repairedTasks: ['transform'] }));
    expect(alert.text).toBe(':white_check_mark: incites-monthly 2024-05 alert closed: repaired and succeeded');
    expect(allText(alert)).toContain(':white_check_mark: *Resolved*: repaired and succeeded (repair #1) <!date^1714521900^');
    expect(allText(alert)).toContain('Re-ran: `transform`');
    expect(allText(alert)).not.toContain('TERMINATED/SUCCESS');
    expect(alert.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('says a repair was cancelled or timed out, with the engine words, and offers no buttons', () => {
    const cancelled = buildFailureAlert(makeRun({ state: 'cancelled', repairs: 2, endedAt: T0 + 300_000, stateMessage: 'TERMINATED/CANCELED: cancelled on request' }));
    expect(allText(cancelled)).toContain(':no_entry_sign: *Closed*: cancelled during repair #2');
    expect(allText(cancelled)).toContain('TERMINATED/CANCELED: cancelled on request');
    expect(cancelled.blocks.some((b) => b.type === 'actions')).toBe(false);
    const timedOut = buildFailureAlert(makeRun({ state: 'timed_out', repairs: 1, endedAt: T0 + 300_000 }));
    expect(allText(timedOut)).toContain(':alarm_clock: *Closed*: timed out during repair #1');
    expect(timedOut.blocks.some((b) => b.type === 'actions')).toBe(false);
  });

  it('reopens with the new failures and all three buttons when a repair fails again', () => {
    const alert = buildFailureAlert(makeFailedRun({ repairs: 1, repairedTasks: ['transform'] }));
    expect(alert.text).toBe(':rotating_light: incites-monthly 2024-05 failed: transform');
    expect(buttons(alert).map((b) => b.action_id)).toEqual([ACTION_IDS.repair, ACTION_IDS.cancel, ACTION_IDS.ack]);
    expect(alert.blocks.find((b) => b.type === 'actions')?.block_id).toBe('alert_actions_1');
  });

  it('closes an acknowledged alert that has nothing left to click, saying so', () => {
    const alert = buildFailureAlert(makeFailedRun({ engine: 'emr', side: 'legacy', acknowledgedBy: { user: 'U0BOB', at: T0 } }));
    expect(alert.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(allText(alert)).toContain(':lock: *Closed*: acknowledged; emr cannot repair a run in place');
  });

  it('names the re-run tasks in the repair note even though the repair cleared the failures', () => {
    const note = buildRepairNote(repairing(), 'started', 'U0BOB');
    expect(allText(note)).toContain('re-running the failed tasks (`transform`)');
  });
});

describe('thread notes', () => {
  it('announces a repair with who asked and which tasks re-run', () => {
    const note = buildRepairNote(makeFailedRun({ repairs: 1 }), 'started', 'U0BOB');
    expect(allText(note)).toContain(':wrench: Repair #1 started by <@U0BOB>: re-running the failed tasks (`transform`) on databricks.');
    expect(limitProblems(note)).toEqual([]);
  });

  it('reports how a repair ended, with the state word', () => {
    const ok = buildRepairNote(makeRun({ state: 'succeeded', repairs: 1, failures: [] }), 'finished');
    expect(ok.text).toBe('Repair #1 of incites-monthly 2024-05 finished: succeeded');
    expect(allText(ok)).toContain(':white_check_mark: *succeeded*: repair #1');
    const bad = buildRepairNote(makeFailedRun({ repairs: 2, failures: [{ task: 'load', error: 'E'.repeat(10_000) }] }), 'finished');
    expect(allText(bad)).toContain(':x: *failed*: repair #2');
    expect(allText(bad)).toContain('• `load`: EEE');
    expect(limitProblems(bad)).toEqual([]);
  });

  it('records an acknowledgement', () => {
    const note = buildAckNote('U0BOB', T0);
    expect(note.text).toBe('Acknowledged by <@U0BOB>');
    expect(allText(note)).toContain('<@U0BOB> acknowledged this alert <!date^1714521600^{date_short_pretty} {time}|2024-05-01T00:00:00.000Z>');
  });
});
