import type { KnownBlock } from '@slack/types';
import type { RunRecord } from '../store/run-record.ts';
import { escapeMrkdwn, formatAgo, formatDuration, link, runElapsed, stateEmoji, type SlackMessage } from './format.ts';
import { LIMITS, capBlocks, context, splitSections, truncateText } from './limits.ts';

/**
 * `/pipeline status <pipeline>`: the latest runs, newest first as given, one line each with
 * the state word, period, engine, duration and a link. A single run id uses buildStatusView.
 */
export function buildRunListView(runs: RunRecord[], now: number): SlackMessage {
  const pipeline = runs[0]?.pipeline;
  if (!pipeline) return { text: 'No runs yet.', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'No runs yet.' } }] };
  const title = truncateText(`Latest runs of ${pipeline}`, LIMITS.headerText);
  const header: KnownBlock = { type: 'header', text: { type: 'plain_text', text: title, emoji: true } };
  const lines = runs.map((run) => runLine(run, now));
  const footer = context(`${runs.length} run${runs.length === 1 ? '' : 's'} · \`/pipeline status <run-id>\` for one run`);
  const rows = capBlocks(splitSections(lines.join('\n')), LIMITS.blocksPerMessage - 2);
  const latest = runs[0];
  const text = latest ? `${title}: latest ${latest.period} ${latest.state}` : title;
  return { text: truncateText(text, LIMITS.fallbackText), blocks: [header, ...rows, footer] };
}

function runLine(run: RunRecord, now: number): string {
  const when = formatAgo(run.startedAt ?? run.createdAt, now);
  const repairs = run.repairs > 0 ? ` · repaired ${run.repairs}×` : '';
  const parts = [
    `${stateEmoji(run.state)} *${run.state}*`,
    escapeMrkdwn(run.period),
    `${run.engine} (${run.env})`,
    formatDuration(runElapsed(run, now)),
    when,
    link(run.url, run.id),
  ];
  return `${parts.join(' · ')}${repairs}`;
}
