import type { Button, KnownBlock } from '@slack/types';
import { isTerminal, type TaskFailure } from '../engines/types.ts';
import type { RunRecord } from '../store/run-record.ts';
import { ACTION_IDS } from './action-ids.ts';
import { engineLabel, escapeMrkdwn, link, mention, slackDate, stateLabel, type SlackMessage } from './format.ts';
import { LIMITS, capBlocks, context, section, truncateText } from './limits.ts';

/** How much of a trace the thread shows; the log link has the rest. */
export const TRACE_LINES = 15;
const FENCE = '```';

/**
 * The reply posted in the status message's thread when a run fails: what failed, why, the
 * first lines of each trace, and the buttons on-call needs without leaving Slack.
 */
export function buildFailureAlert(run: RunRecord): SlackMessage {
  const head: KnownBlock[] = [section(headline(run))];
  if (run.error) {
    const apiCode = run.error.apiCode ? ` (${escapeMrkdwn(run.error.apiCode)})` : '';
    head.push(section(`:warning: *${escapeMrkdwn(run.error.code)}*${apiCode}: ${escapeMrkdwn(run.error.message)}`));
  }
  const tail: KnownBlock[] = [];
  if (run.url) tail.push(context(`:link: ${link(run.url, `Open the run in ${engineLabel(run.engine)}`)} · run \`${escapeMrkdwn(run.id)}\``));
  const buttons = alertButtons(run);
  if (buttons.length > 0) tail.push({ type: 'actions', block_id: `alert_actions_${run.repairs}`, elements: buttons });
  if (run.acknowledgedBy) tail.push(context(ackText(run.acknowledgedBy.user, run.acknowledgedBy.at)));

  const details = run.failures.length > 0 ? run.failures.flatMap(failureBlocks) : noDetails(run);
  // Failures are unbounded; cap them so the buttons always make it into the message.
  const middle = capBlocks(details, LIMITS.blocksPerMessage - head.length - tail.length);
  const tasks = run.failures.map((f) => f.task).join(', ');
  const text = `:rotating_light: ${run.pipeline} ${run.period} ${run.state}${tasks ? `: ${tasks}` : ''}`;
  return { text: truncateText(text, LIMITS.fallbackText), blocks: [...head, ...middle, ...tail] };
}

/**
 * Which buttons an alert shows. Repair: Databricks (and playground sandbox) runs that ended
 * `failed` (the engines with in-place repair). Cancel: runs still going, and failed repairable
 * runs, where it cancels any repair in progress. Acknowledge: until someone has.
 */
export function alertButtons(run: RunRecord): Button[] {
  const value = truncateText(run.id, LIMITS.buttonValue, '');
  const repairable = (run.engine === 'databricks' || run.engine === 'sandbox') && run.state === 'failed';
  const buttons: Button[] = [];
  if (repairable) {
    buttons.push({ type: 'button', action_id: ACTION_IDS.repair, style: 'primary', value, text: plain('Repair failed tasks') });
  }
  if (!isTerminal(run.state) || repairable) {
    const what = repairable ? `any repair of ${run.pipeline} ${run.period} still in progress` : `${run.pipeline} ${run.period} on ${run.engine}`;
    buttons.push({
      type: 'button',
      action_id: ACTION_IDS.cancel,
      style: 'danger',
      value,
      text: plain('Cancel'),
      confirm: {
        title: plain('Cancel this run?'),
        text: { type: 'mrkdwn', text: truncateText(`This cancels ${escapeMrkdwn(what)}. Tasks that already finished keep their output.`, LIMITS.confirmText) },
        confirm: plain('Cancel run'),
        deny: plain('Keep it'),
        style: 'danger',
      },
    });
  }
  if (!run.acknowledgedBy) buttons.push({ type: 'button', action_id: ACTION_IDS.ack, value, text: plain('Acknowledge') });
  return buttons;
}

/** Thread reply about a repair: that it started (and who asked), or how it ended. */
export function buildRepairNote(run: RunRecord, kind: 'started' | 'finished', by?: string): SlackMessage {
  const n = `#${Math.max(1, run.repairs)}`;
  if (kind === 'started') {
    const who = by ? ` by ${mention(by)}` : '';
    const tasks = run.failures.map((f) => `\`${escapeMrkdwn(f.task)}\``).join(', ');
    const text = `:wrench: Repair ${n} started${who}: re-running the failed tasks${tasks ? ` (${tasks})` : ''} on ${run.engine}.`;
    return { text: truncateText(`Repair ${n} of ${run.pipeline} ${run.period} started`, LIMITS.fallbackText), blocks: [section(text)] };
  }
  const lines = [`${stateLabel(run.state)}: repair ${n} of ${escapeMrkdwn(run.pipeline)} ${escapeMrkdwn(run.period)} finished.`];
  if (run.stateMessage) lines.push(`> ${escapeMrkdwn(firstLine(run.stateMessage))}`);
  for (const f of run.failures) lines.push(`• \`${escapeMrkdwn(f.task)}\`: ${escapeMrkdwn(truncateText(firstLine(f.error), 300))}`);
  const fallback = `Repair ${n} of ${run.pipeline} ${run.period} finished: ${run.state}`;
  return { text: truncateText(fallback, LIMITS.fallbackText), blocks: [section(lines.join('\n'))] };
}

/** Thread reply recording who acknowledged the alert and when. */
export function buildAckNote(user: string, at: number): SlackMessage {
  return { text: `Acknowledged by ${mention(user)}`, blocks: [section(ackText(user, at))] };
}

function ackText(user: string, at: number): string {
  return `:eyes: ${mention(user)} acknowledged this alert ${slackDate(at)}.`;
}

function headline(run: RunRecord): string {
  const lines = [
    `:rotating_light: *${escapeMrkdwn(run.pipeline)} ${escapeMrkdwn(run.period)}* ${stateLabel(run.state)} on ${run.engine} (${run.env}), started by ${mention(run.requestedBy)}`,
  ];
  if (run.stateMessage) lines.push(`> ${escapeMrkdwn(run.stateMessage).replace(/\n/g, '\n> ')}`);
  return lines.join('\n');
}

function failureBlocks(failure: TaskFailure): KnownBlock[] {
  const quoted = escapeMrkdwn(failure.error).replace(/\n/g, '\n> ');
  const blocks: KnownBlock[] = [section(`:x: Task \`${escapeMrkdwn(truncateText(failure.task, 200))}\` failed:\n> ${quoted}`)];
  if (failure.trace) blocks.push(section(codeBlock(failure.trace)));
  if (failure.logUrl) blocks.push(context(`:page_facing_up: ${link(failure.logUrl, `Log of ${failure.task}`)}`));
  return blocks;
}

/** The first lines of a trace in a code block, clipped inside the fences so they stay closed. */
function codeBlock(trace: string): string {
  const lines = trace.split('\n');
  let body = lines.slice(0, TRACE_LINES).join('\n');
  if (lines.length > TRACE_LINES) body += `\n… ${lines.length - TRACE_LINES} more lines`;
  // A fence inside the trace would close ours early.
  body = escapeMrkdwn(body).replaceAll(FENCE, "'''");
  const room = LIMITS.sectionText - 2 * (FENCE.length + 1);
  return `${FENCE}\n${truncateText(body, room)}\n${FENCE}`;
}

function noDetails(run: RunRecord): KnownBlock[] {
  return [section(`The engine reported no task details for this ${run.state} run${run.url ? `; ${link(run.url, 'open the run')} for its logs` : ''}.`)];
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}

function plain(text: string): { type: 'plain_text'; text: string; emoji: true } {
  return { type: 'plain_text', text, emoji: true };
}
