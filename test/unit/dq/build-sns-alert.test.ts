import { describe, expect, it } from 'vitest';
import { buildSnsAlert, subjectLine, SUBJECT_MAX } from '../../../src/alerts/build-sns-alert.ts';

describe('buildSnsAlert', () => {
  it('carries pipeline, severity and event as attributes and a JSON body', () => {
    const a = buildSnsAlert({ event: 'dq.failed', pipeline: 'incites-monthly', period: '2026-09', runId: 'r-1-abcdef', summary: 'DQ failing', failingChecks: [{ output: 'o', check: 'c', failingRows: 3 }], permalink: 'https://x.slack.com/archives/C/p1' });
    expect(a.attributes).toEqual({ pipeline: 'incites-monthly', severity: 'warning', event: 'dq.failed' });
    expect(JSON.parse(a.message)).toMatchObject({ event: 'dq.failed', pipeline: 'incites-monthly', period: '2026-09', run: 'r-1-abcdef', failingChecks: [{ output: 'o', check: 'c', failingRows: 3 }], slack: 'https://x.slack.com/archives/C/p1' });
    expect(a.subject).toBe('[Cutover] incites-monthly 2026-09: DQ failing');
  });

  it('run failures are critical, recoveries informational', () => {
    expect(buildSnsAlert({ event: 'run.failed', pipeline: 'p', summary: 's' }).attributes.severity).toBe('critical');
    expect(buildSnsAlert({ event: 'dq.recovered', pipeline: 'p', summary: 's' }).attributes.severity).toBe('info');
  });

  it('keeps the subject under 100 printable ASCII characters on one line', () => {
    const s = subjectLine(`Ärger\nin ${'x'.repeat(300)}`);
    expect(s.length).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(s).toMatch(/^[\x20-\x7e]+$/);
    expect(s.endsWith('...')).toBe(true);
  });
});
