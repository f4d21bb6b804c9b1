import type { SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { LIMITS, TRUNCATED_NOTE, capBlocks, formatAgo, formatDuration, section, splitSections, truncateText } from '../../../src/slack/index.ts';

describe('truncateText', () => {
  it('leaves short text alone and clips long text to exactly max, ending with the note', () => {
    expect(truncateText('short', 10)).toBe('short');
    const clipped = truncateText('x'.repeat(10_000), 3000);
    expect(clipped).toHaveLength(3000);
    expect(clipped.endsWith(TRUNCATED_NOTE)).toBe(true);
    expect(truncateText('abcdef', 4, '')).toBe('abcd');
  });

  it('never splits a surrogate pair or leaves half an HTML entity', () => {
    const emoji = `${'a'.repeat(5)}😀😀😀`;
    expect(truncateText(emoji, 8, '…')).toBe('aaaaa😀…');
    const cut = truncateText(emoji, 7, '…');
    expect(cut).toBe('aaaaa…');
    expect(truncateText('abc &amp; def', 7, '…')).toBe('abc …');
  });
});

describe('splitSections', () => {
  it('splits at line boundaries with every section within the limit', () => {
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i} ${'z'.repeat(40)}`);
    const sections = splitSections(lines.join('\n'));
    expect(sections.length).toBeGreaterThan(1);
    for (const s of sections) expect(s.text!.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(sections.map((s) => s.text!.text).join('\n')).toBe(lines.join('\n'));
  });

  it('cuts a single line longer than the limit, and drops blank chunks', () => {
    const sections = splitSections(`${'y'.repeat(7000)}\n\n`, 3000);
    expect(sections.map((s) => s.text!.text.length)).toEqual([3000, 3000, 1000]);
    expect(splitSections('')).toEqual([]);
  });
});

describe('capBlocks', () => {
  const blocks: SectionBlock[] = Array.from({ length: 60 }, (_, i) => section(`b${i}`));

  it('keeps up to max blocks, the last one a note of how many were cut', () => {
    const capped = capBlocks(blocks);
    expect(capped).toHaveLength(50);
    expect(capped.at(-1)).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: ':scissors: 11 more blocks not shown (Slack allows 50 per message).' }] });
    expect(capBlocks(blocks.slice(0, 50))).toHaveLength(50);
  });
});

describe('formatting', () => {
  it('formats durations with seconds and one decimal below a minute, then in m s form', () => {
    expect(formatDuration(0)).toBe('0.0s');
    expect(formatDuration(3_040)).toBe('3.0s'); // a 3-second task is not "0m 0s"
    expect(formatDuration(42_960)).toBe('43.0s');
    expect(formatDuration(59_949)).toBe('59.9s');
    expect(formatDuration(59_950)).toBe('1m 0s');
    expect(formatDuration(723_000)).toBe('12m 3s');
    expect(formatDuration(3_723_000)).toBe('1h 2m 3s');
    expect(formatDuration(-5)).toBe('0.0s');
  });

  it('says how long ago', () => {
    expect(formatAgo(0, 30_000)).toBe('just now');
    expect(formatAgo(0, 5 * 60_000)).toBe('5m ago');
    expect(formatAgo(0, 3 * 3600_000)).toBe('3h ago');
    expect(formatAgo(0, 49 * 3600_000)).toBe('2d ago');
  });
});
