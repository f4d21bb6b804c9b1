import type { ActionsBlock, KnownBlock, SectionBlock } from '@slack/types';
import { isTerminal } from '../engines/types.ts';
import type { RunRecord } from '../store/run-record.ts';
import { ACTION_IDS } from './action-ids.ts';
import {
  engineLabel,
  escapeMrkdwn,
  formatDuration,
  link,
  mention,
  formatRunTime,
  runActivity,
  runStateLabel,
  slackDate,
  stateEmoji,
  taskDuration,
  type SlackMessage,
} from './format.ts';
import { LIMITS, capBlocks, context, section, splitSections, truncateText } from './limits.ts';

/**
 * The one status message of a run, edited in place as the run moves. Pure: the same run and
 * `now` always give the same blocks, so the notifier can skip identical updates.
 */
export function buildStatusView(run: RunRecord, now: number): SlackMessage {
  const head: KnownBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: truncateText(`${run.pipeline} · ${run.period}`, LIMITS.headerText), emoji: true },
    },
    section(summaryText(run)),
    { type: 'section', fields: runFields(run, now) },
  ];
  const tail: KnownBlock[] = [...errorBlocks(run), ...noteBlocks(run), ...linkBlocks(run), footer(run)];
  // Tasks are the only unbounded part; cap them so the header and footer always survive.
  const tasks = capBlocks(taskBlocks(run, now), LIMITS.blocksPerMessage - head.length - tail.length);
  return { text: fallbackText(run), blocks: [...head, ...tasks, ...tail] };
}

/** Notification text: pipeline, period and the state word, for clients that cannot show blocks. */
export function fallbackText(run: RunRecord): string {
  const word = runActivity(run);
  const emoji = word === 'repairing' ? ':wrench:' : stateEmoji(run.state);
  const text = `${emoji} ${run.pipeline} ${run.period} ${word} on ${run.engine} (${run.env})`;
  return truncateText(text, LIMITS.fallbackText);
}

function summaryText(run: RunRecord): string {
  const message = run.stateMessage ? ` — ${escapeMrkdwn(run.stateMessage)}` : '';
  return `${runStateLabel(run)}${message}`;
}

function runFields(run: RunRecord, now: number): SectionBlock['fields'] {
  const elapsedLabel = isTerminal(run.state) ? 'Took' : 'Elapsed';
  const fields = [
    `*Pipeline*\n${escapeMrkdwn(run.pipeline)}`,
    `*Period*\n${escapeMrkdwn(run.period)}`,
    `*Engine*\n${run.engine}`,
    `*Env*\n${run.env}`,
    `*Started by*\n${mention(run.requestedBy)}`,
    `*${elapsedLabel}*\n${formatRunTime(run, now)}`,
  ];
  if (run.repairs > 0) fields.push(`*Repairs*\n${run.repairs}`);
  const params = Object.entries(run.params);
  if (params.length > 0) {
    fields.push(`*Params*\n${params.map(([k, v]) => `\`${escapeMrkdwn(k)}=${escapeMrkdwn(v)}\``).join(' ')}`);
  }
  return fields
    .slice(0, LIMITS.sectionFields)
    .map((text) => ({ type: 'mrkdwn' as const, text: truncateText(text, LIMITS.fieldText) }));
}

function taskBlocks(run: RunRecord, now: number): KnownBlock[] {
  if (run.tasks.length === 0) return [];
  const lines = run.tasks.map((task) => {
    const duration = taskDuration(task, now);
    const name = link(task.url, truncateText(task.key, 200));
    const took = duration === undefined ? 'not started' : formatDuration(duration);
    return `${stateEmoji(task.state)} ${name} *${task.state}* · ${took}`;
  });
  return splitSections(`*Tasks*\n${lines.join('\n')}`);
}

function errorBlocks(run: RunRecord): KnownBlock[] {
  if (!run.error) return [];
  const apiCode = run.error.apiCode ? ` (${escapeMrkdwn(run.error.apiCode)})` : '';
  return [section(`:warning: *${escapeMrkdwn(run.error.code)}*${apiCode}: ${escapeMrkdwn(run.error.message)}`)];
}

function noteBlocks(run: RunRecord): KnownBlock[] {
  const notes: string[] = [];
  if (run.repairs > 0) notes.push(`:wrench: Repaired ${run.repairs} time${run.repairs === 1 ? '' : 's'}`);
  if (run.acknowledgedBy) {
    notes.push(`:eyes: Acknowledged by ${mention(run.acknowledgedBy.user)} ${slackDate(run.acknowledgedBy.at)}`);
  }
  return notes.length > 0 ? [context(...notes)] : [];
}

function linkBlocks(run: RunRecord): KnownBlock[] {
  if (!run.url || run.url.length > LIMITS.buttonUrl) return [];
  const actions: ActionsBlock = {
    type: 'actions',
    elements: [
      {
        type: 'button',
        action_id: ACTION_IDS.openRun,
        text: { type: 'plain_text', text: `Open in ${engineLabel(run.engine)}`, emoji: true },
        url: run.url,
        value: truncateText(run.id, LIMITS.buttonValue, ''),
      },
    ],
  };
  return [actions];
}

function footer(run: RunRecord): KnownBlock {
  const parts = [`Run \`${escapeMrkdwn(run.id)}\``];
  if (run.externalId) parts.push(`${run.engine} run ${escapeMrkdwn(run.externalId)}`);
  if (run.parallelId) parts.push(`parallel \`${escapeMrkdwn(run.parallelId)}\``);
  parts.push(`updated ${slackDate(run.updatedAt)}`);
  return context(parts.join(' · '));
}
