import type { KnownBlock } from '@slack/types';
import type { StoredAuditEvent } from '../store/audit-log.ts';
import { escapeMrkdwn, mention, slackDate, type SlackMessage } from './format.ts';
import { LIMITS, capBlocks, context, section, truncateText } from './limits.ts';

/** One line per event: when, who, what, about what, and the change in a few words. */
export function auditLine(e: StoredAuditEvent): string {
  const who = /^[UW][A-Z0-9]{2,}$/.test(e.actor) ? mention(e.actor) : `\`${escapeMrkdwn(e.actor)}\``;
  const change = describeChange(e.before, e.after);
  return `${slackDate(e.at)} ${who} *${escapeMrkdwn(e.action)}* \`${escapeMrkdwn(e.subject)}\`${change ? ` ${change}` : ''}`;
}

/** Fields every change bumps: they would crowd out the ones that say what happened. */
const BOOKKEEPING = new Set(['version', 'updatedAt']);

/** `state: running → succeeded`: the scalar fields that changed, at most three; times as dates, not epoch numbers. */
function describeChange(before: unknown, after: unknown): string {
  if (!isObject(after)) return '';
  const b = isObject(before) ? before : {};
  const parts = Object.entries(after)
    .filter(([k, v]) => isScalar(v) && b[k] !== v && !BOOKKEEPING.has(k))
    .slice(0, 3)
    .map(([k, v]) => `${escapeMrkdwn(k)}: ${isScalar(b[k]) && b[k] !== undefined ? `${showValue(k, b[k])} → ` : ''}${showValue(k, v)}`);
  return parts.join(', ');
}

/** `endedAt: 1714521670000` is a time: shown as one, in the reader's time zone. */
function showValue(key: string, value: unknown): string {
  if (/At$/.test(key) && typeof value === 'number' && value > 0) return slackDate(value);
  return escapeMrkdwn(String(value));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown) => v === undefined || v === null || ['string', 'number', 'boolean'].includes(typeof v);

/**
 * `/pipeline audit`: the latest events, newest first (the whole trail follows as a JSON Lines
 * file). Pure: the events are read by the caller.
 */
export function buildAuditView(pipeline: string, events: StoredAuditEvent[]): SlackMessage {
  if (events.length === 0) return { text: `No audit events for ${pipeline} yet.`, blocks: [section(`No audit events for *${escapeMrkdwn(pipeline)}* yet.`)] };
  const head: KnownBlock[] = [section(`:scroll: *Audit trail of ${escapeMrkdwn(pipeline)}*: the latest ${events.length} event${events.length === 1 ? '' : 's'}, newest first.`)];
  const tail: KnownBlock[] = [context('The full trail is attached as a JSON Lines file in this channel shortly.')];
  const lines = events.map((e) => section(truncateText(auditLine(e), LIMITS.sectionText)));
  return { text: truncateText(`Audit trail of ${pipeline}: ${events.length} latest events`, LIMITS.fallbackText), blocks: [...head, ...capBlocks(lines, LIMITS.blocksPerMessage - 2), ...tail] };
}
