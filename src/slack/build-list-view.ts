import type { KnownBlock } from '@slack/types';
import type { Stage } from '../config/catalog-schema.ts';
import type { RunRecord } from '../store/run-record.ts';
import { escapeMrkdwn, formatAgo, formatDuration, link, runElapsed, stateLabel, type SlackMessage } from './format.ts';
import { LIMITS, capBlocks, context, section, truncateText } from './limits.ts';

/** One catalog pipeline as `/pipeline list` shows it. */
export interface PipelineListItem {
  name: string;
  description: string;
  stage: Stage;
  channel: string;
  lastRun?: RunRecord;
}

const STAGE_EMOJI: Record<Stage, string> = {
  legacy: ':old_key:',
  parallel: ':twisted_rightwards_arrows:',
  cutover: ':construction:',
  live: ':rocket:',
};

/** `/pipeline list`: each pipeline with its migration stage, channel and last run. */
export function buildListView(items: PipelineListItem[], now: number): SlackMessage {
  const text = `${items.length} pipeline${items.length === 1 ? '' : 's'} in the catalog`;
  if (items.length === 0) return { text, blocks: [section('No pipelines in the catalog yet.')] };
  const header: KnownBlock = { type: 'header', text: { type: 'plain_text', text: 'Pipelines', emoji: true } };
  const rows = items.map((item) => section(itemText(item, now)));
  const footer = context(`${items.length} pipeline${items.length === 1 ? '' : 's'} · \`/pipeline status <pipeline>\` for its runs`);
  return { text, blocks: [header, ...capBlocks(rows, LIMITS.blocksPerMessage - 2), footer] };
}

function itemText(item: PipelineListItem, now: number): string {
  const lines = [
    `*${escapeMrkdwn(item.name)}* · ${STAGE_EMOJI[item.stage]} \`${item.stage}\` · <#${item.channel}>`,
  ];
  if (item.description) lines.push(escapeMrkdwn(truncateText(item.description, 500)));
  lines.push(item.lastRun ? `Last run: ${lastRunText(item.lastRun, now)}` : 'Last run: none yet');
  return lines.join('\n');
}

/** `:x: *failed* 2024-05 on databricks, 12m 3s, 2h ago (r-…)`, linked to the run page. */
export function lastRunText(run: RunRecord, now: number): string {
  const when = formatAgo(run.endedAt ?? run.startedAt ?? run.createdAt, now);
  const id = link(run.url, run.id);
  return `${stateLabel(run.state)} ${escapeMrkdwn(run.period)} on ${run.engine}, ${formatDuration(runElapsed(run, now))}, ${when} (${id})`;
}
