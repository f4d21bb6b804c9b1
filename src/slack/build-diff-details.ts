import type { KnownBlock, SectionBlock } from '@slack/types';
import type { DiffCounts, DiffReport, KeyValues } from '../diff/types.ts';
import { fitLines, formatCount, verdictLabel } from './build-parallel-view.ts';
import { escapeMrkdwn, formatDuration, type SlackMessage } from './format.ts';
import { LIMITS, context, section, truncateText } from './limits.ts';

/** Samples shown per key list and per column; the report files have every row. */
export const DETAIL_SAMPLES = 10;
export const FULL_REPORT_NOTE = 'the full report is in the attached files';
const FENCE = '```';

/** Whether anything was left out; `more` says so at the end of a cut list. */
interface Clip {
  cut: boolean;
  more: (omitted: number) => string;
}

const KEY_LISTS: Array<{ kind: keyof DiffReport['keySamples']; title: string; count: (c: DiffCounts) => number }> = [
  { kind: 'onlyLegacy', title: 'Only in legacy', count: (c) => c.onlyLegacy },
  { kind: 'onlyTarget', title: 'Only in target', count: (c) => c.onlyTarget },
  { kind: 'duplicateLegacy', title: 'Duplicated keys in legacy', count: (c) => c.duplicateKeys.legacy },
  { kind: 'duplicateTarget', title: 'Duplicated keys in target', count: (c) => c.duplicateKeys.target },
];

/**
 * The thread reply with one output's details: schema, counts, sample keys and, per column,
 * its mismatch count and samples `key → legacy vs target`. Whatever does not fit Slack's
 * limits (3000 characters a section, 50 blocks) is cut with a note pointing at the files.
 */
export function buildDiffDetails(output: string, report: DiffReport): SlackMessage {
  const clip: Clip = {
    cut: false,
    more: (n) => {
      clip.cut = true;
      return `… ${formatCount(n)} more`;
    },
  };
  const more = clip.more;
  const blocks: KnownBlock[] = [section(headline(output, report)), section(schemaText(report.schema, clip))];
  blocks.push(codeSection('*Counts*', countsTable(report.counts), more));
  for (const list of KEY_LISTS) {
    const total = list.count(report.counts);
    if (total === 0) continue;
    const keys = report.keySamples[list.kind].slice(0, DETAIL_SAMPLES).map((k) => truncateText(formatKey(k), 300));
    blocks.push(codeSection(`*${list.title}*: ${countOf(total, keys.length, 'key', 'keys')}`, keys, more));
  }
  const columns = Object.entries(report.columns)
    .filter(([, c]) => c.mismatches > 0)
    .sort(([, a], [, b]) => b.mismatches - a.mismatches);
  for (const [name, col] of columns) {
    const lines = col.samples
      .slice(0, DETAIL_SAMPLES)
      .map((s) => `${truncateText(formatKey(s.key), 200)} → ${formatValue(s.legacy)} vs ${formatValue(s.target)}`);
    blocks.push(codeSection(`\`${escapeMrkdwn(truncateText(name, 200))}\`: ${countOf(col.mismatches, lines.length, 'mismatch', 'mismatches')}`, lines, more));
  }
  // One block is kept for the note, so cutting never needs a second pass.
  const room = LIMITS.blocksPerMessage - 1;
  const omitted = Math.max(0, blocks.length - room);
  const kept = blocks.slice(0, room);
  if (omitted > 0 || clip.cut) {
    const cut = omitted > 0 ? `${formatCount(omitted)} more section${omitted === 1 ? '' : 's'} not shown; ` : 'Some lists were cut to fit Slack; ';
    kept.push(context(`:paperclip: ${cut}${FULL_REPORT_NOTE}.`));
  }
  const c = report.counts;
  const text = `Diff of ${output}: ${report.verdict} (only legacy ${c.onlyLegacy}, only target ${c.onlyTarget}, changed ${c.changed})`;
  return { text: truncateText(text, LIMITS.fallbackText), blocks: kept };
}

function headline(output: string, r: DiffReport): string {
  const key = r.key.map((k) => `\`${escapeMrkdwn(truncateText(k, 100))}\``).join(', ');
  const buckets = r.buckets ? `, ${formatCount(r.buckets.differing)} of ${formatCount(r.buckets.total)} buckets differ` : '';
  return `${verdictLabel(r.verdict)} · *${escapeMrkdwn(truncateText(output, 200))}* · key ${key} · ${r.engine} (${escapeMrkdwn(r.strategy)}${buckets}) · ${formatDuration(r.durationMs)}`;
}

function schemaText(schema: DiffReport['schema'], clip: Clip): string {
  const names = (cols: string[]) => cols.map((c) => `\`${escapeMrkdwn(truncateText(c, 100))}\``);
  const lines: string[] = [];
  if (schema.missing.length > 0) lines.push(`• Missing in target: ${names(schema.missing).join(', ')}`);
  if (schema.extra.length > 0) lines.push(`• Extra in target: ${names(schema.extra).join(', ')}`);
  for (const t of schema.typeChanges) {
    const types = `${escapeMrkdwn(truncateText(t.legacy, 100))} → ${escapeMrkdwn(truncateText(t.target, 100))}`;
    lines.push(`• \`${escapeMrkdwn(truncateText(t.column, 100))}\` ${types} (${t.tolerated ? 'tolerated' : 'not tolerated'})`);
  }
  if (lines.length === 0) return '*Schema*: same columns and types';
  // A list of 500 missing columns is one line; clip it rather than lose the type changes.
  const short = lines.map((l) => {
    if (l.length <= 1000) return l;
    clip.cut = true;
    return truncateText(l, 1000, '… (more)');
  });
  return `*Schema*\n${fitLines(short, LIMITS.sectionText - 20, clip.more)}`;
}

function countsTable(c: DiffCounts): string[] {
  const row = (label: string, l: number, t: number) => `${label.padEnd(16)}${formatCount(l).padStart(12)}${formatCount(t).padStart(12)}`;
  return [
    `${''.padEnd(16)}${'legacy'.padStart(12)}${'target'.padStart(12)}`,
    row('rows', c.legacy, c.target),
    row('only this side', c.onlyLegacy, c.onlyTarget),
    row('duplicate keys', c.duplicateKeys.legacy, c.duplicateKeys.target),
    row('null keys', c.nullKeys.legacy, c.nullKeys.target),
    `changed keys (on both sides, values differ): ${formatCount(c.changed)}`,
  ];
}

/** A titled code block within the section limit; lines are escaped and cannot close the fence. */
function codeSection(title: string, lines: string[], more: (n: number) => string): SectionBlock {
  const safe = lines.map((l) => escapeMrkdwn(l).replace(/`(?=`)/g, '`\u200b'));
  const budget = LIMITS.sectionText - title.length - 2 * FENCE.length - 3;
  return section(`${title}\n${FENCE}\n${fitLines(safe, budget, more)}\n${FENCE}`);
}

const countOf = (total: number, shown: number, one: string, many: string) =>
  `${formatCount(total)} ${total === 1 ? one : many}${shown < total ? `, first ${shown}` : ''}`;

/** `id=1, region=EU`; NULL spelled out. */
export function formatKey(key: KeyValues): string {
  return Object.entries(key)
    .map(([k, v]) => `${k}=${v ?? 'NULL'}`)
    .join(', ');
}

/** NULL, `""` for the empty string, else the value (clipped: the CSV file has it whole). */
function formatValue(value: string | null): string {
  if (value === null) return 'NULL';
  if (value === '') return '""';
  return truncateText(value.replace(/\r?\n/g, '⏎'), 120);
}
