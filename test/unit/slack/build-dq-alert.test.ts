import { describe, expect, it } from 'vitest';
import { emptyDqAlert, applyDqResult } from '../../../src/dq/apply-dq-result.ts';
import { buildDqMissingReply, buildDqNote, buildDqReply, buildDqSummary, dqButtons, parseDqButtonValue } from '../../../src/slack/build-dq-alert.ts';

const failing = applyDqResult(emptyDqAlert('incites-monthly', '2026-09', 'C0X', 0), {
  passed: false,
  total: 3,
  source: 'run',
  runId: 'r-abc-123456',
  now: Date.UTC(2026, 9, 1),
  failing: [
    { output: 'customers', check: 'not_null(customer_id)', failingRows: 1, samples: [{ customer_id: null, email: '•••' }] },
    { output: 'customers', check: 'range(revenue >= 0)', failingRows: 1200, samples: [{ customer_id: 3, revenue: -2.5 }] },
  ],
}).next;

describe('buildDqSummary', () => {
  it('lists every failing check with its count and samples, and the three buttons', () => {
    const view = buildDqSummary(failing);
    const json = JSON.stringify(view.blocks);
    expect(view.text).toContain('DQ failing: incites-monthly 2026-09');
    expect(json).toContain('2 of 3 checks failing');
    expect(json).toContain('1,200 failing rows');
    expect(json).toContain('customer_id=NULL, email=•••');
    expect(dqButtons(failing).map((b) => b.action_id)).toEqual(['dq_rerun', 'dq_ack', 'dq_mute']);
    expect(view.blocks).toMatchSnapshot();
  });

  it('says a row_count failure in words, without its count as a sample row', () => {
    const counted = { ...failing, failing: [{ output: 'customers', check: 'row_count(min 100)', failingRows: 1, summary: '7 rows, at least 100 expected', samples: [{ row_count: 7 }] }] };
    const json = JSON.stringify(buildDqSummary(counted).blocks);
    expect(json).toContain('`row_count(min 100)`: 7 rows, at least 100 expected');
    expect(json).not.toContain('failing row');
    expect(json).not.toContain('row_count=7');
  });

  it('drops Acknowledge and Mute once done, and shows who did them', () => {
    const acked = { ...failing, acknowledgedBy: { user: 'U0BOB', at: 1 }, mutedBy: { user: 'U0CAROL', at: 2 } };
    expect(dqButtons(acked).map((b) => b.action_id)).toEqual(['dq_rerun']);
    const json = JSON.stringify(buildDqSummary(acked).blocks);
    expect(json).toContain('Acknowledged by <@U0BOB>');
    expect(json).toContain('Muted for 2026-09 by <@U0CAROL>');
  });

  it('a resolved alert says so and offers only a re-run', () => {
    const resolved = applyDqResult(failing, { passed: true, total: 3, failing: [], source: 'command', now: Date.UTC(2026, 9, 2) }).next;
    const view = buildDqSummary(resolved);
    expect(view.text).toBe('DQ resolved: incites-monthly 2026-09');
    expect(JSON.stringify(view.blocks)).toContain('all 3 checks pass');
    expect(dqButtons(resolved).map((b) => b.action_id)).toEqual(['dq_rerun']);
  });

  it('escapes text from checks so it cannot form links or mentions', () => {
    const evil = { ...failing, failing: [{ output: 'o', check: 'sql(<!channel>)', failingRows: 1 }] };
    expect(JSON.stringify(buildDqSummary(evil).blocks)).not.toContain('<!channel>');
  });
});

describe('buildDqNote', () => {
  it('names what changed', () => {
    const note = buildDqNote(failing, { kind: 'changed', at: 1, seq: 2, added: ['customers: unique(id)'], removed: ['customers: range(revenue >= 0)'] });
    expect(note.text).toContain('Now also failing: `customers: unique(id)`');
    expect(note.text).toContain('Now passing: `customers: range(revenue &gt;= 0)`');
    expect(note.text).not.toContain('again');
  });
});

describe('button values', () => {
  it('round-trip and refuse anything else', () => {
    expect(parseDqButtonValue('incites-monthly|2026-09')).toEqual({ pipeline: 'incites-monthly', period: '2026-09' });
    expect(parseDqButtonValue('x|y')).toBeUndefined();
    expect(parseDqButtonValue(undefined)).toBeUndefined();
  });
});

describe('the /pipeline dq answer when data is missing (issue 15 item 6)', () => {
  it('says there was nothing to check, where it looked, and that no alert was opened', () => {
    const reply = buildDqMissingReply('sales', '2025-01', ['no target data for 2025-01 at s3://out/2025-01/']);
    expect(reply.text).toBe(
      ':file_folder: Nothing to check for *sales* 2025-01:\n• no target data for 2025-01 at s3://out/2025-01/\nNo DQ alert was opened. Run the pipeline for 2025-01 first, or pick a period with data (`--period YYYY-MM`).',
    );
  });

  it('adds the outputs without data to a normal answer', () => {
    const alert = { ...emptyDqAlert('sales', '2025-01', 'C0', 0), total: 2 };
    expect(buildDqReply(alert, undefined, ['no target data for 2025-01 at s3://b/']).text).toBe(
      ':white_check_mark: All 2 DQ checks of *sales* 2025-01 that could run pass.\n• no target data for 2025-01 at s3://b/\nTheir checks did not run.',
    );
    expect(buildDqReply(alert).text).toBe(':white_check_mark: All 2 DQ checks of *sales* 2025-01 pass.');
  });
});
