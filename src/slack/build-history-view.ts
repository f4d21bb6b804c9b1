import type { KnownBlock } from '@slack/types';
import { isTerminal } from '../engines/types.ts';
import type { ParallelRecord } from '../store/parallel-record.ts';
import type { RunRecord } from '../store/run-record.ts';
import { formatCount, speedUpRatio, verdictLabel } from './build-parallel-view.ts';
import { engineLabel, escapeMrkdwn, formatDuration, runElapsed, slackDate, stateEmoji, type SlackMessage } from './format.ts';
import { LIMITS, capBlocks, context, splitSections, truncateText } from './limits.ts';
import { costLine, effectiveCost, unknownCostNotes } from './cost-format.ts';

export interface HistoryItem {
  p: ParallelRecord;
  legacy?: RunRecord;
  target?: RunRecord;
}

/** Rows that differ across every output: only in legacy + only in target + changed. */
export function mismatchTotal(p: ParallelRecord): number {
  return Object.values(p.outputs).reduce((sum, o) => sum + (o.counts ? o.counts.onlyLegacy + o.counts.onlyTarget + o.counts.changed : 0), 0);
}

/**
 * `/pipeline history <pipeline>`: the last parallel runs (and `/pipeline diff`s), newest
 * first, one line each: verdict, period, legacy vs Databricks duration, speed-up, mismatches.
 */
export function buildHistoryView(pipeline: string, items: HistoryItem[], now: number, { chart = false } = {}): SlackMessage {
  const title = truncateText(`Parallel runs of ${pipeline}`, LIMITS.headerText);
  if (items.length === 0) {
    const text = `No parallel runs of ${escapeMrkdwn(pipeline)} yet: \`/pipeline parallel ${escapeMrkdwn(pipeline)}\` starts one.`;
    return { text: truncateText(`No parallel runs of ${pipeline} yet.`, LIMITS.fallbackText), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: truncateText(text, LIMITS.sectionText) } }] };
  }
  const sorted = [...items].sort((a, b) => b.p.createdAt - a.p.createdAt);
  const header: KnownBlock = { type: 'header', text: { type: 'plain_text', text: title, emoji: true } };
  const rows = capBlocks(splitSections(sorted.map((item) => historyLine(item, now)).join('\n')), LIMITS.blocksPerMessage - 2);
  // A cost that cannot be known is explained once below the list, not on every line.
  const unknown = [...new Set(sorted.flatMap((i) => unknownCostNotes([['Legacy', effectiveCost(i.legacy)], ['Databricks', effectiveCost(i.target)]])))];
  const footer = context([`${formatCount(items.length)} run${items.length === 1 ? '' : 's'}, newest first · mismatches = rows only in legacy + only in target + changed, over every output · cost at list price`, ...unknown, ...(chart ? [':chart_with_upwards_trend: The chart of duration and cost per period is on its way to your DM with Cutover.'] : [])].join('\n'));
  const latest = sorted[0]?.p;
  const text = latest ? `${title}: latest ${latest.period} ${latest.verdict ?? latest.state}, ${formatCount(mismatchTotal(latest))} mismatches` : title;
  return { text: truncateText(text, LIMITS.fallbackText), blocks: [header, ...rows, footer] };
}

function historyLine({ p, legacy, target }: HistoryItem, now: number): string {
  const status = p.verdict ? verdictLabel(p.verdict) : `:hourglass: *${p.state}*`;
  const parts = [status, `*${escapeMrkdwn(truncateText(p.period, 40))}*`];
  if (p.kind === 'diff') parts.push('diff only');
  else {
    parts.push(`${duration(legacy, 'legacy', now)} vs ${duration(target, 'Databricks', now)}`);
    const both = legacy?.state === 'succeeded' && target?.state === 'succeeded';
    const ratio = both ? speedUpRatio(runElapsed(legacy, now), runElapsed(target, now)) : undefined;
    if (ratio) parts.push(ratio);
    const [l, t] = [effectiveCost(legacy), effectiveCost(target)];
    if (l !== undefined || t !== undefined) parts.push(costLine(l, t));
  }
  const errors = Object.values(p.outputs).filter((o) => o.verdict === 'error').length;
  if (Object.keys(p.outputs).length > 0) {
    const total = mismatchTotal(p);
    parts.push(`${formatCount(total)} mismatch${total === 1 ? '' : 'es'}${errors > 0 ? ` (${formatCount(errors)} output${errors === 1 ? '' : 's'} not compared)` : ''}`);
  }
  parts.push(slackDate(p.createdAt));
  return parts.join(' · ');
}

/** `EMR 29m 10s`, with the state word when the run did not succeed (or has not ended). */
function duration(run: RunRecord | undefined, fallback: string, now: number): string {
  if (!run) return `${fallback} not started`;
  const took = formatDuration(runElapsed(run, now));
  const state = run.state === 'succeeded' ? '' : ` ${stateEmoji(run.state)} ${run.state}${isTerminal(run.state) ? '' : ' so far'}`;
  return `${engineLabel(run.engine)} ${took}${state}`;
}
