import { describe, expect, it } from 'vitest';
import { auditLine } from '../../../src/slack/build-audit-view.ts';
import type { StoredAuditEvent } from '../../../src/store/audit-log.ts';

const AT = Date.UTC(2024, 4, 1, 9, 30);
const event = (before: unknown, after: unknown): StoredAuditEvent => ({ id: '1-0', at: AT, actor: 'cutover', pipeline: 'incites-monthly', action: 'run.state', subject: 'r-1-abcdef', before, after });

describe('audit lines', () => {
  it('show times as dates, never as epoch numbers, and leave out the bookkeeping fields', () => {
    const line = auditLine(event({ state: 'running', version: 3, updatedAt: AT - 1000 }, { state: 'succeeded', version: 4, updatedAt: AT, endedAt: AT }));
    expect(line).toBe(
      `<!date^${AT / 1000}^{date_short_pretty} {time}|2024-05-01T09:30:00.000Z> \`cutover\` *run.state* \`r-1-abcdef\` state: running → succeeded, endedAt: <!date^${AT / 1000}^{date_short_pretty} {time}|2024-05-01T09:30:00.000Z>`,
    );
    expect(line).not.toMatch(/\b1714\d{9}\b/);
  });

  it('names a person by mention and escapes what they typed', () => {
    const line = auditLine({ ...event(undefined, { reason: '<b>now</b>' }), actor: 'U0BOB', action: 'cutover.reject' });
    expect(line).toContain('<@U0BOB> *cutover.reject*');
    expect(line).toContain('reason: &lt;b&gt;now&lt;/b&gt;');
  });
});
