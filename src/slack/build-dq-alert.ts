import type { Button, KnownBlock } from '@slack/types';
import type { SampleRow } from '../checks/types.ts';
import type { DqAlertRecord, FailingCheck, NumberedDqEvent } from '../store/dq-alert-record.ts';
import { ACTION_IDS } from './action-ids.ts';
import { escapeMrkdwn, mention, slackDate, type SlackMessage } from './format.ts';
import { LIMITS, capBlocks, context, section, truncateText } from './limits.ts';

/** Sample rows shown per failing check in the summary (the check keeps up to 5). */
export const DQ_SUMMARY_SAMPLES = 3;

const SOURCE_WORDS: Record<DqAlertRecord['lastSource'], string> = {
  run: 'after a run',
  parallel: 'in a parallel run',
  command: 'on request',
  rerun: 'on re-run',
  sns: 'by a notebook (SNS)',
};

/** The value of the DQ buttons: which alert they act on. */
export const dqButtonValue = (pipeline: string, period: string): string => `${pipeline}|${period}`;

export function parseDqButtonValue(value: string | undefined): { pipeline: string; period: string } | undefined {
  const m = /^([a-z][a-z0-9-]*)\|(\d{4}-\d{2})$/.exec(value ?? '');
  return m ? { pipeline: m[1]!, period: m[2]! } : undefined;
}

/**
 * The DQ thread's first message: the single summary of the current state, edited in place on
 * every evaluation (issue 4). Failing checks with their failing-row counts and a few samples,
 * who acknowledged or muted it, and the buttons while it matters.
 */
export function buildDqSummary(a: DqAlertRecord): SlackMessage {
  const failing = a.state === 'failing';
  const headline = failing
    ? `:rotating_light: *DQ failing* for *${escapeMrkdwn(a.pipeline)}* ${a.period}: ${a.failing.length} of ${a.total} check${a.total === 1 ? '' : 's'} failing`
    : `:white_check_mark: *DQ resolved* for *${escapeMrkdwn(a.pipeline)}* ${a.period}: all ${a.total} check${a.total === 1 ? '' : 's'} pass`;
  const head: KnownBlock[] = [section(headline)];
  const tail: KnownBlock[] = [context(...facts(a))];
  const buttons = dqButtons(a);
  if (buttons.length > 0) tail.push({ type: 'actions', block_id: 'dq_actions', elements: buttons });
  const middle = failing ? capBlocks(a.failing.map(failingBlock), LIMITS.blocksPerMessage - head.length - tail.length) : [];
  const text = failing ? `DQ failing: ${a.pipeline} ${a.period}: ${a.failing.map((f) => `${f.output} ${f.check}`).join(', ')}` : `DQ resolved: ${a.pipeline} ${a.period}`;
  return { text: truncateText(text, LIMITS.fallbackText), blocks: [...head, ...middle, ...tail] };
}

function facts(a: DqAlertRecord): string[] {
  const lines = [`Last checked ${slackDate(a.lastCheckedAt)} ${SOURCE_WORDS[a.lastSource]}${a.lastRunId ? ` (run \`${escapeMrkdwn(a.lastRunId)}\`)` : ''} · ${a.evaluations} evaluation${a.evaluations === 1 ? '' : 's'}`];
  if (a.state === 'failing' && a.failingSince) lines.push(`Failing since ${slackDate(a.failingSince)}`);
  if (a.state === 'resolved' && a.resolvedAt) lines.push(`Resolved ${slackDate(a.resolvedAt)}`);
  if (a.acknowledgedBy) lines.push(`:eyes: Acknowledged by ${mention(a.acknowledgedBy.user)} ${slackDate(a.acknowledgedBy.at)}`);
  if (a.mutedBy) lines.push(`:mute: Muted for ${a.period} by ${mention(a.mutedBy.user)}`);
  return lines;
}

/** Re-run always; Acknowledge and Mute only while failing and not done yet. */
export function dqButtons(a: DqAlertRecord): Button[] {
  const value = dqButtonValue(a.pipeline, a.period);
  const buttons: Button[] = [{ type: 'button', action_id: ACTION_IDS.dqRerun, value, text: { type: 'plain_text', text: 'Re-run checks' } }];
  if (a.state === 'failing' && !a.acknowledgedBy) buttons.push({ type: 'button', action_id: ACTION_IDS.dqAck, value, style: 'primary', text: { type: 'plain_text', text: 'Acknowledge' } });
  if (a.state === 'failing' && !a.mutedBy) buttons.push({ type: 'button', action_id: ACTION_IDS.dqMute, value, text: { type: 'plain_text', text: 'Mute for this period' } });
  return buttons;
}

function failingBlock(f: FailingCheck): KnownBlock {
  const what = f.error ? `could not run: ${escapeMrkdwn(f.error)}` : f.summary ? escapeMrkdwn(f.summary) : `${f.failingRows.toLocaleString('en-US')} failing row${f.failingRows === 1 ? '' : 's'}`;
  // A counting check's one "row" is its count, already said in words.
  const samples = f.summary ? [] : (f.samples ?? []).slice(0, DQ_SUMMARY_SAMPLES).map(sampleLine);
  const body = samples.length > 0 ? `\n\`\`\`${samples.join('\n')}\`\`\`` : '';
  return section(truncateText(`:x: *${escapeMrkdwn(f.output)}* \`${escapeMrkdwn(f.check)}\`: ${what}${body}`, LIMITS.sectionText));
}

/** `col=value, col=value` with NULL spelt out; values were PII-protected before they got here. */
export function sampleLine(row: SampleRow): string {
  return escapeMrkdwn(
    Object.entries(row)
      .map(([k, v]) => `${k}=${v === null ? 'NULL' : String(v)}`)
      .join(', '),
  );
}

/** The thread reply for an event (the opening needs none: the summary is the news). */
export function buildDqNote(a: DqAlertRecord, e: NumberedDqEvent): SlackMessage {
  const text = noteText(a, e);
  return { text: truncateText(text, LIMITS.fallbackText), blocks: [section(truncateText(text, LIMITS.sectionText))] };
}

function noteText(a: DqAlertRecord, e: NumberedDqEvent): string {
  switch (e.kind) {
    case 'opened':
      return `:rotating_light: DQ failing for ${a.pipeline} ${a.period}.`;
    case 'reopened':
      return `:rotating_light: *Failing again*: ${list(a.failing.map((f) => `${f.output}: ${f.check}`))}.`;
    case 'changed':
      return [
        ':warning: *The failures changed.*',
        e.added.length > 0 ? `Now also failing: ${list(e.added)}.` : '',
        // Not "again": a check that failed since the period was first checked may never have passed.
        e.removed.length > 0 ? `Now passing: ${list(e.removed)}.` : '',
      ]
        .filter(Boolean)
        .join(' ');
    case 'resolved':
      return `:white_check_mark: *Resolved*: all ${a.total} checks pass ${SOURCE_WORDS[a.lastSource]}${a.lastRunId ? ` (run \`${escapeMrkdwn(a.lastRunId)}\`)` : ''}.`;
    case 'acknowledged':
      return `:eyes: ${mention(e.by)} acknowledged the DQ failures ${slackDate(e.at)}; no more reminders.`;
    case 'muted':
      return `:mute: ${mention(e.by)} muted DQ alerts for ${a.period}: new failures will only update the summary above.`;
    case 'reminder':
      return `:bell: Reminder: ${a.failing.length} DQ check${a.failing.length === 1 ? '' : 's'} still failing for ${a.pipeline} ${a.period}, unacknowledged.`;
  }
}

const list = (items: string[]) => items.map((i) => `\`${escapeMrkdwn(i)}\``).join(', ');

/** The ephemeral answer to `/pipeline dq` once the checks have run. */
export function buildDqReply(a: DqAlertRecord, permalink?: string, missing: readonly string[] = []): { text: string } {
  const notRun = missing.length > 0 ? `\n${missingLines(missing)}\nTheir checks did not run.` : '';
  if (a.state === 'failing') {
    const where = permalink ? ` <${permalink}|See the DQ thread.>` : ' See the DQ thread in the pipeline channel.';
    return { text: `:x: ${a.failing.length} of ${a.total} DQ checks of *${escapeMrkdwn(a.pipeline)}* ${a.period} failing.${where}${notRun}` };
  }
  const could = missing.length > 0 ? ' that could run' : '';
  return { text: `:white_check_mark: All ${a.total} DQ checks of *${escapeMrkdwn(a.pipeline)}* ${a.period}${could} pass.${notRun}` };
}

/**
 * The answer when none of the checks could run because the data is not there: its own outcome
 * (issue 15 item 6), not a DQ failure, and nothing was posted in the channel.
 */
export function buildDqMissingReply(pipeline: string, period: string, missing: readonly string[]): { text: string } {
  return { text: `:file_folder: Nothing to check for *${escapeMrkdwn(pipeline)}* ${period}:\n${missingLines(missing)}\nNo DQ alert was opened. Run the pipeline for ${period} first, or pick a period with data (\`--period YYYY-MM\`).` };
}

function missingLines(missing: readonly string[]): string {
  return missing.map((m) => `• ${escapeMrkdwn(truncateText(m, 500))}`).join('\n');
}
