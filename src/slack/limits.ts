import type { ContextBlock, KnownBlock, SectionBlock } from '@slack/types';

/**
 * Block Kit limits (apis.md 5.7). Slack rejects a whole message with `invalid_blocks` when
 * one field is too long, so every view clips its text through the helpers below instead of
 * trusting that engine errors, traces or descriptions stay short.
 */
export const LIMITS = {
  blocksPerMessage: 50,
  blocksPerView: 100,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  /** Not in the reference; Slack documents 2000 for context text, as for fields. */
  contextText: 2000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** The top-level `text` is only the notification fallback when blocks are sent; keep it short. */
  fallbackText: 3000,
} as const;

export const TRUNCATED_NOTE = '… (truncated)';

/**
 * Clips `text` to at most `max` characters, ending with `note` when it cuts. Never splits a
 * surrogate pair, and drops a dangling `&amp`-style fragment left by cutting escaped mrkdwn.
 */
export function truncateText(text: string, max: number, note: string = TRUNCATED_NOTE): string {
  if (text.length <= max) return text;
  if (max <= note.length) return note.slice(0, max);
  let head = text.slice(0, max - note.length);
  const last = head.charCodeAt(head.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) head = head.slice(0, -1);
  head = head.replace(/&[a-z]{0,4}$/, '');
  return head + note;
}

/**
 * Splits mrkdwn into as many sections as needed, breaking at line boundaries so that list
 * items stay whole; a single line longer than `max` is cut into pieces.
 */
export function splitSections(text: string, max: number = LIMITS.sectionText): SectionBlock[] {
  const chunks: string[] = [];
  let current = '';
  const flush = () => {
    if (current.trim().length > 0) chunks.push(current);
    current = '';
  };
  for (const line of text.split('\n')) {
    if (line.length > max) {
      flush();
      for (let i = 0; i < line.length; i += max) chunks.push(line.slice(i, i + max));
      continue;
    }
    const joined = current === '' ? line : `${current}\n${line}`;
    if (joined.length > max) {
      flush();
      current = line;
    } else {
      current = joined;
    }
  }
  flush();
  return chunks.map((chunk) => section(chunk));
}

/** Keeps at most `max` blocks; when it cuts, the last one says how many were left out. */
export function capBlocks<B extends KnownBlock>(blocks: B[], max: number = LIMITS.blocksPerMessage): Array<B | ContextBlock> {
  if (blocks.length <= max) return blocks;
  const kept = blocks.slice(0, max - 1);
  const omitted = blocks.length - kept.length;
  return [...kept, context(`:scissors: ${omitted} more block${omitted === 1 ? '' : 's'} not shown (Slack allows ${max} per message).`)];
}

/** A mrkdwn section, clipped to the section limit. */
export function section(text: string): SectionBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncateText(text, LIMITS.sectionText) } };
}

/** A context block of mrkdwn elements, each clipped, at most 10 of them. */
export function context(...texts: string[]): ContextBlock {
  return {
    type: 'context',
    elements: texts
      .slice(0, LIMITS.contextElements)
      .map((text) => ({ type: 'mrkdwn' as const, text: truncateText(text, LIMITS.contextText) })),
  };
}
