import type { Button, KnownBlock } from '@slack/types';
import { isTerminal, type TaskFailure } from '../engines/types.ts';
import type { RunRecord } from '../store/run-record.ts';
import { ACTION_IDS } from './action-ids.ts';
import { engineLabel, escapeMrkdwn, link, mention, runActivity, slackDate, stateLabel, type SlackMessage } from './format.ts';
import { LIMITS, capBlocks, context, section, truncateText } from './limits.ts';

/** How much of a trace the thread shows; the log link has the rest. */
export const TRACE_LINES = 15;
const FENCE = '```';

/**
 * The reply posted in the status message's thread when a run fails: what failed, why, the
 * first lines of each trace, and the buttons on-call needs without leaving Slack. It is edited
 * whenever the run moves on (src/jobs/notify-status.ts), so it never outlives the truth: while a
 * repair runs it says so (Cancel stays, Repair goes), and once the run ends another way (repaired
 * and succeeded, cancelled, timed out) or nobody can do more (acknowledged, nothing to repair) it
 * says how it ended and has no buttons.
 */
export function buildFailureAlert(run: RunRecord): SlackMessage {
  const phase = alertPhase(run);
  if (phase !== 'open') return closedOrRepairing(run, phase);
  const head: KnownBlock[] = [section(headline(run))];
  if (run.error) {
    const apiCode = run.error.apiCode ? ` (${escapeMrkdwn(run.error.apiCode)})` : '';
    head.push(section(`:warning: *${escapeMrkdwn(run.error.code)}*${apiCode}: ${escapeMrkdwn(run.error.message)}`));
  }
  const tail: KnownBlock[] = [];
  if (run.url) tail.push(context(runLink(run)));
  const buttons = alertButtons(run);
  if (buttons.length > 0) tail.push({ type: 'actions', block_id: `alert_actions_${run.repairs}`, elements: buttons });
  if (run.acknowledgedBy) tail.push(context(ackText(run.acknowledgedBy.user, run.acknowledgedBy.at)));
  // Acknowledged and nothing left to click (an engine without repair): that is how it ended here.
  if (buttons.length === 0 && run.acknowledgedBy) tail.push(section(`:lock: *Closed*: acknowledged; ${escapeMrkdwn(run.engine)} cannot repair a run in place, so start a new run to retry.`));

  const details = run.failures.length > 0 ? run.failures.flatMap(failureBlocks) : noDetails(run);
  // Failures are unbounded; cap them so the buttons always make it into the message.
  const middle = capBlocks(details, LIMITS.blocksPerMessage - head.length - tail.length);
  const tasks = run.failures.map((f) => f.task).join(', ');
  const text = `:rotating_light: ${run.pipeline} ${run.period} ${run.state}${tasks ? `: ${tasks}` : ''}`;
  return { text: truncateText(text, LIMITS.fallbackText), blocks: [...head, ...middle, ...tail] };
}

/**
 * Where an alert stands, from its run alone: `open` while the run is failed (or, for runs that
 * were never repaired, still going), `repairing` while a repair re-runs the failed tasks, and
 * `closed` once the run ended some other way after failing.
 */
export function alertPhase(run: Pick<RunRecord, 'state' | 'repairs'>): 'open' | 'repairing' | 'closed' {
  if (run.state === 'failed') return 'open';
  if (runActivity(run) === 'repairing') return 'repairing';
  return isTerminal(run.state) && run.repairs > 0 ? 'closed' : 'open';
}

/** How a closed alert ended, in one line: the first thing people read when they come back to it. */
export function alertEnding(run: RunRecord): string {
  const n = `repair #${run.repairs}`;
  const when = run.endedAt ? ` ${slackDate(run.endedAt)}` : '';
  switch (run.state) {
    case 'succeeded':
      return `:white_check_mark: *Resolved*: repaired and succeeded (${n})${when}.`;
    case 'cancelled':
      return `:no_entry_sign: *Closed*: cancelled during ${n}${when}.`;
    case 'timed_out':
      return `:alarm_clock: *Closed*: timed out during ${n}${when}; Cutover stopped tracking the run.`;
    default:
      return `${stateLabel(run.state)}`;
  }
}

function closedOrRepairing(run: RunRecord, phase: 'repairing' | 'closed'): SlackMessage {
  const who = `on ${run.engine} (${run.env}), started by ${mention(run.requestedBy)}`;
  const title = `*${escapeMrkdwn(run.pipeline)} ${escapeMrkdwn(run.period)}*`;
  const rerun = run.repairedTasks && run.repairedTasks.length > 0 ? `\nRe-running: ${run.repairedTasks.map((t) => `\`${escapeMrkdwn(truncateText(t, 200))}\``).join(', ')}` : '';
  const blocks: KnownBlock[] =
    phase === 'repairing'
      ? [section(`:wrench: ${title} failed ${who}; *repair #${run.repairs} in progress*.${rerun}\nProgress and the result appear in this thread.`)]
      : [section(`${alertEnding(run)}\n${title} had failed ${who}.${rerun.replace('Re-running', 'Re-ran')}`)];
  if (run.stateMessage && phase === 'closed' && run.state !== 'succeeded') blocks.push(section(`> ${escapeMrkdwn(truncateText(firstLine(run.stateMessage), 500))}`));
  if (run.url) blocks.push(context(runLink(run)));
  // While repairing, Cancel (and Acknowledge, until someone has) still apply; a closed alert has no buttons.
  const buttons = phase === 'repairing' ? alertButtons(run) : [];
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: `alert_actions_${run.repairs}`, elements: buttons });
  if (run.acknowledgedBy) blocks.push(context(ackText(run.acknowledgedBy.user, run.acknowledgedBy.at)));
  const text =
    phase === 'repairing'
      ? `:wrench: ${run.pipeline} ${run.period} repairing (repair #${run.repairs})`
      : `${run.state === 'succeeded' ? ':white_check_mark:' : ':lock:'} ${run.pipeline} ${run.period} alert closed: ${run.state === 'succeeded' ? 'repaired and succeeded' : run.state}`;
  return { text: truncateText(text, LIMITS.fallbackText), blocks };
}

function runLink(run: RunRecord): string {
  return `:link: ${link(run.url, `Open the run in ${engineLabel(run.engine)}`)} · run \`${escapeMrkdwn(run.id)}\``;
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
    const tasks = (run.repairedTasks ?? run.failures.map((f) => f.task)).map((t) => `\`${escapeMrkdwn(t)}\``).join(', ');
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
