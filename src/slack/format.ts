import type { KnownBlock } from '@slack/types';
import type { RunState } from '../engines/types.ts';
import type { RunRecord } from '../store/run-record.ts';

/** Emoji shown beside (never instead of) the state word, so people and tools can both read it. */
const STATE_EMOJI: Record<RunState, string> = {
  queued: ':hourglass_flowing_sand:',
  submitting: ':outbox_tray:',
  pending: ':hourglass:',
  running: ':arrows_counterclockwise:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
  timed_out: ':alarm_clock:',
};

const ENGINE_LABEL: Record<RunRecord['engine'], string> = {
  databricks: 'Databricks',
  emr: 'EMR',
  airflow: 'Airflow',
  redshift: 'Redshift',
  stepfunctions: 'Step Functions',
  'emr-serverless': 'EMR Serverless',
  sandbox: 'the sandbox',
};

/** The engine's product name for link labels (`Open in Databricks`). */
export function engineLabel(engine: RunRecord['engine']): string {
  return ENGINE_LABEL[engine];
}

export function stateEmoji(state: RunState): string {
  return STATE_EMOJI[state];
}

/**
 * What a run is doing in people's words: `repairing` while a repair is under way (the run went
 * back to pending/running after a failure), else its RunState. A repair is not a new run, and
 * "pending" beside the failure that started it read as if the failure were still current.
 */
export function runActivity(run: Pick<RunRecord, 'state' | 'repairs'>): RunState | 'repairing' {
  return run.repairs > 0 && (run.state === 'pending' || run.state === 'running' || run.state === 'queued' || run.state === 'submitting') ? 'repairing' : run.state;
}

/** `:wrench: *repairing* (repair #2)` or the plain state label. */
export function runStateLabel(run: Pick<RunRecord, 'state' | 'repairs'>): string {
  return runActivity(run) === 'repairing' ? `:wrench: *repairing* (repair #${run.repairs})` : stateLabel(run.state);
}

/** `:x: *failed*`: the emoji, then the exact RunState word in bold. */
export function stateLabel(state: RunState): string {
  return `${STATE_EMOJI[state]} *${state}*`;
}

/**
 * Slack mrkdwn treats `<`, `>` and `&` as control characters (links, mentions), so text from
 * engines or people must be escaped or an error such as `<lambda>` vanishes from the message.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `<url|label>`, or just the (escaped) label when there is no URL. */
export function link(url: string | undefined, label: string): string {
  if (!url) return escapeMrkdwn(label);
  return `<${url.replace(/\|/g, '%7C').replace(/>/g, '%3E')}|${escapeMrkdwn(label).replace(/\|/g, '¦')}>`;
}

export function mention(userId: string): string {
  return `<@${userId}>`;
}

/**
 * `3.4s` below a minute (a 3-second task is not "0m 0s"), then `12m 3s`, `1h 2m 3s`.
 */
export function formatDuration(ms: number): string {
  if (!(ms >= 0)) return '0.0s';
  if (ms < 59_950) return `${(Math.round(ms / 100) / 10).toFixed(1)}s`;
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}h ${m}m ${s}s` : `${m}m ${s}s`;
}

/** Coarse "how long ago" for lists: `just now`, `5m ago`, `3h ago`, `2d ago`. */
export function formatAgo(at: number, now: number): string {
  const sec = Math.max(0, Math.floor((now - at) / 1000));
  if (sec < 60) return 'just now';
  if (sec < 3600) return `${Math.floor(sec / 60)}m ago`;
  if (sec < 86_400) return `${Math.floor(sec / 3600)}h ago`;
  return `${Math.floor(sec / 86_400)}d ago`;
}

/** Slack renders `<!date^…>` in each reader's time zone; the ISO fallback is for old clients. */
export function slackDate(at: number): string {
  return `<!date^${Math.floor(at / 1000)}^{date_short_pretty} {time}|${new Date(at).toISOString()}>`;
}

/**
 * Time the run has been running: from start (or creation while queued) to end, or to `now`,
 * without the time it sat failed before a repair restarted it. This is the figure speed-ups
 * compare.
 */
export function runElapsed(run: RunRecord, now: number): number {
  return wallElapsed(run, now) - (run.idleMs ?? 0);
}

/** From start to end (or `now`), waits for repairs included. */
export function wallElapsed(run: RunRecord, now: number): number {
  return (run.endedAt ?? now) - (run.startedAt ?? run.createdAt);
}

/** `5m 3s`, or for a repaired run that waited `5m 3s run time (2h 10m 0s wall)`. */
export function formatRunTime(run: RunRecord, now: number): string {
  const ran = formatDuration(runElapsed(run, now));
  return run.idleMs ? `${ran} run time (${formatDuration(wallElapsed(run, now))} wall)` : ran;
}

/** A task's duration, or undefined when it has not started. */
export function taskDuration(task: { startedAt?: number; endedAt?: number }, now: number): number | undefined {
  if (task.startedAt === undefined) return undefined;
  return (task.endedAt ?? now) - task.startedAt;
}

/** What every message view returns: blocks plus the notification fallback text. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}
