import type { Button, KnownBlock } from '@slack/types';
import { isTerminal, type RunState } from '../engines/types.ts';
import { RETRYABLE, type BackfillPeriod, type BackfillRecord } from '../store/backfill-record.ts';
import type { RunRecord } from '../store/run-record.ts';
import { ACTION_IDS } from './action-ids.ts';
import { engineLabel, escapeMrkdwn, formatDuration, link, mention, runActivity, runElapsed, slackDate, stateEmoji, stateLabel, type SlackMessage } from './format.ts';
import { LIMITS, capBlocks, context, section, splitSections, truncateText } from './limits.ts';

/** What a period shows when it has no run of its current attempt. */
const NO_RUN: Record<'waiting' | 'skipped' | 'cancelled' | 'started', string> = {
  waiting: ':hourglass_flowing_sand: *{p}* waiting',
  skipped: ':fast_forward: *{p}* skipped: not started',
  cancelled: ':no_entry_sign: *{p}* cancelled: not started',
  started: ':hourglass_flowing_sand: *{p}* queued',
};
const TALLY_ORDER = ['succeeded', 'failed', 'timed_out', 'cancelled', 'running', 'waiting', 'skipped'] as const;

/**
 * The one message of a backfill, edited in place: its state and a tally, then one line per
 * period (state word, duration, link, run id), and the Cancel remaining / Retry failed periods
 * buttons while they can do something. Failure alerts of period runs are replies to it.
 * Pure: the same records and `now` give the same blocks.
 */
export function buildBackfillView(b: BackfillRecord, runs: ReadonlyMap<string, RunRecord>, now: number): SlackMessage {
  const title = truncateText(`${b.pipeline} · backfill ${b.from} → ${b.to}`, LIMITS.headerText);
  const head: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: title, emoji: true } }, section(summary(b))];
  const tail: KnownBlock[] = [];
  const buttons = backfillButtons(b);
  if (buttons.length > 0) tail.push({ type: 'actions', block_id: `backfill_actions_${b.retries}`, elements: buttons });
  tail.push(context(`Backfill \`${escapeMrkdwn(b.id)}\` · started by ${mention(b.requestedBy)} · updated ${slackDate(b.updatedAt)}`));
  const lines = b.periods.map((p) => periodLine(p, p.runId ? runs.get(p.runId) : undefined, now));
  const periods = capBlocks(splitSections(lines.join('\n')), LIMITS.blocksPerMessage - head.length - tail.length);
  return { text: fallback(b), blocks: [...head, ...periods, ...tail] };
}

/** Counts per shown word: started periods count as `running` whatever their run's engine state. */
export function tally(b: BackfillRecord): string {
  const counts = new Map<string, number>();
  for (const p of b.periods) {
    const word = p.status === 'started' ? 'running' : p.status;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  const parts = TALLY_ORDER.filter((w) => counts.has(w)).map((w) => `${counts.get(w)} ${w}`);
  return `${parts.join(', ')} of ${b.periods.length} period${b.periods.length === 1 ? '' : 's'}`;
}

function summary(b: BackfillRecord): string {
  const lines = [`${stateLabel(b.state)} · ${tally(b)}`];
  const failures = b.continueOnFailure ? 'goes on past failures' : 'stops at the first failure';
  const took = b.endedAt !== undefined ? ` · took ${formatDuration(b.endedAt - b.createdAt)}` : '';
  lines.push(`${engineLabel(b.engine)} (${b.env}) · at most ${b.concurrency} at a time · ${failures}${took}`);
  const skipped = b.periods.filter((p) => p.status === 'skipped').length;
  if (b.stoppedReason && skipped > 0) {
    lines.push(`:octagonal_sign: Stopped after ${escapeMrkdwn(b.stoppedReason)}: ${skipped} period${skipped === 1 ? '' : 's'} not started. *Retry failed periods* runs the failed ones again and resumes the rest.`);
  }
  if (b.cancelledBy) lines.push(`:no_entry_sign: Remaining periods cancelled by ${mention(b.cancelledBy.user)} ${slackDate(b.cancelledBy.at)}.`);
  return truncateText(lines.join('\n'), LIMITS.sectionText);
}

function periodLine(p: BackfillPeriod, run: RunRecord | undefined, now: number): string {
  const attempt = p.earlierRunIds.length + (p.runId ? 1 : 0);
  const again = attempt > 1 ? ` · attempt ${attempt}` : '';
  if (!run || !p.runId) {
    const key = p.status === 'waiting' || p.status === 'skipped' || p.status === 'cancelled' ? p.status : 'started';
    return `${NO_RUN[key].replace('{p}', p.period)}${again}`;
  }
  const ended = isTerminal(run.state);
  const parts = [`${runActivity(run) === 'repairing' ? ':wrench:' : stateEmoji(run.state)} *${p.period}* ${runActivity(run)}`];
  const elapsed = runElapsed(run, now);
  if (ended || run.startedAt !== undefined) parts.push(ended ? formatDuration(elapsed) : `${formatDuration(elapsed)} so far`);
  if (run.url && run.url.length <= 500) parts.push(link(run.url, `Open in ${engineLabel(run.engine)}`));
  parts.push(`\`${escapeMrkdwn(run.id)}\`${again}`);
  if (run.state === 'failed' || run.state === 'timed_out') parts.push('details in the thread');
  return parts.join(' · ');
}

/** Cancel remaining while periods wait or run; Retry failed periods while any period can be retried. */
export function backfillButtons(b: BackfillRecord): Button[] {
  const value = truncateText(b.id, LIMITS.buttonValue, '');
  const buttons: Button[] = [];
  const retryable = b.periods.filter((p) => RETRYABLE.has(p.status)).length;
  if (retryable > 0) {
    buttons.push({ type: 'button', action_id: ACTION_IDS.backfillRetry, style: 'primary', value, text: plain('Retry failed periods') });
  }
  const left = b.periods.filter((p) => p.status === 'waiting' || p.status === 'started').length;
  if (left > 0) {
    buttons.push({
      type: 'button',
      action_id: ACTION_IDS.backfillCancel,
      style: 'danger',
      value,
      text: plain('Cancel remaining'),
      confirm: {
        title: plain('Cancel the rest of this backfill?'),
        text: { type: 'mrkdwn', text: truncateText(`Waiting periods of ${escapeMrkdwn(b.pipeline)} will not start and running ones are cancelled (${left} in all). Finished periods keep their output.`, LIMITS.confirmText) },
        confirm: plain('Cancel remaining'),
        deny: plain('Keep going'),
        style: 'danger',
      },
    });
  }
  return buttons;
}

function fallback(b: BackfillRecord): string {
  const emoji = b.state === 'running' ? ':hourglass:' : stateEmoji(b.state as RunState);
  return truncateText(`${emoji} ${b.pipeline} backfill ${b.from} → ${b.to}: ${b.state} (${tally(b)})`, LIMITS.fallbackText);
}

function plain(text: string): { type: 'plain_text'; text: string; emoji: true } {
  return { type: 'plain_text', text, emoji: true };
}
