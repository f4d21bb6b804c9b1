import type { Job } from 'bullmq';
import { postsNote, withEvent } from '../dq/apply-dq-result.ts';
import { buildDqNote, buildDqMissingReply, buildDqReply, buildDqSummary } from '../slack/build-dq-alert.ts';
import { threadTsOf, type DqAlertRecord } from '../store/dq-alert-record.ts';
import { BOT, type JobDeps } from './job-deps.ts';
import { renderInSlot } from './message-slot.ts';
import { postOnce } from './post-once.ts';
import { toSlackJobError } from './slack-errors.ts';

type AlertJob = { pipeline: string; period: string };

/**
 * Renders a DQ alert: posts its summary the first time (as a broadcast reply on the run's
 * status message when it has one, else as a new message that is its own thread), edits it
 * in place after that, and posts one thread reply per event not yet posted. The message slot
 * lock means the summary is never posted twice; `notedSeq` that no note is.
 */
export async function notifyDqThread(deps: JobDeps, job: Job<AlertJob>, token: string | undefined): Promise<void> {
  const { pipeline, period } = job.data;
  const get = () => deps.dqAlerts.get(pipeline, period);
  await renderInSlot(deps, job, token, `dq-${pipeline}-${period}`, {
    posted: async () => Boolean((await get())?.summary),
    render: async () => {
      const alert = await get();
      return alert ? (await render(deps, alert)).version : undefined;
    },
    latestVersion: async () => (await get())?.version,
    again: async () => deps.queues.dqThread(pipeline, period, ((await get())?.version ?? 0) + 1),
  });
}

async function render(deps: JobDeps, alert: DqAlertRecord): Promise<DqAlertRecord> {
  const view = buildDqSummary(alert);
  let current = alert;
  try {
    if (!alert.summary) {
      const where = alert.anchor ? { channel: alert.anchor.channel, thread_ts: alert.anchor.ts, reply_broadcast: true } : { channel: alert.channel };
      // The opening event is the summary itself: mark it (and anything before it) as noted.
      current = await postOnce(deps, `dq-${alert.pipeline}-${alert.period}`, { ...where, text: view.text, blocks: view.blocks }, (summary) =>
        deps.dqAlerts.update(alert, (a) => ({ next: { ...a, summary, notedSeq: Math.max(a.notedSeq, openingSeq(a)) } }), { ...BOT, action: 'dq.message' }),
      );
    } else {
      await deps.slack.chat.update({ channel: alert.summary.channel, ts: alert.summary.ts, text: view.text, blocks: view.blocks });
    }
    for (const event of current.events.filter((e) => e.seq > current.notedSeq)) {
      const at = current;
      const mark = () => deps.dqAlerts.update(at, (a) => (a.notedSeq >= event.seq ? undefined : { next: { ...a, notedSeq: event.seq } }), { ...BOT, action: 'dq.message' });
      if (postsNote(at, event)) {
        const note = buildDqNote(at, event);
        const where = { channel: at.summary!.channel, thread_ts: threadTsOf(at) };
        current = await postOnce(deps, `dq-${at.pipeline}-${at.period}-note-${event.seq}`, { ...where, text: note.text, blocks: note.blocks }, mark);
      } else {
        current = await mark();
      }
    }
  } catch (err) {
    throw toSlackJobError(err);
  }
  return current;
}

/** The seq of the last `opened` event: the summary posted now announces it. */
function openingSeq(a: DqAlertRecord): number {
  return a.events.filter((e) => e.kind === 'opened').at(-1)?.seq ?? 0;
}

/** The ephemeral answer to whoever ran `/pipeline dq` or pressed Re-run checks. */
export async function replyDq(deps: JobDeps, job: Job<AlertJob & { to: { user: string; channel: string }; missing?: string[]; checked?: boolean }>): Promise<void> {
  const { pipeline, period, to, missing = [] } = job.data;
  // Nothing could be checked (no data at all): the alert was not touched, so it says nothing about this.
  const alert = job.data.checked === false ? undefined : await deps.dqAlerts.get(pipeline, period);
  if (!alert && missing.length === 0) return;
  const permalink = alert?.summary ? await permalinkOf(deps, alert.summary.channel, alert.summary.ts) : undefined;
  const reply = alert ? buildDqReply(alert, permalink, missing) : buildDqMissingReply(pipeline, period, missing);
  try {
    await deps.slack.chat.postEphemeral({ channel: to.channel, user: to.user, text: reply.text });
  } catch (err) {
    const coded = toSlackJobError(err);
    // The asker may have typed it in a DM or a channel the bot is not in: nothing to retry.
    if (coded.name === 'UnrecoverableError') return void deps.logger.info({ err: coded, pipeline, period }, 'could not answer /pipeline dq ephemerally');
    throw coded;
  }
}

/** A link to a message, or undefined if Slack will not give one (never worth failing for). */
export async function permalinkOf(deps: JobDeps, channel: string, ts: string): Promise<string | undefined> {
  try {
    return (await deps.slack.chat.getPermalink({ channel, message_ts: ts })).permalink;
  } catch {
    return undefined;
  }
}

/**
 * A reminder for a failure nobody acknowledged (catalog `alerts.remindAfterHours`). It lapses
 * once the alert is acknowledged, muted, resolved or reopened (a reopening schedules its own).
 */
export async function remindDq(deps: JobDeps, job: Job<AlertJob & { openedSeq: number; count: number }>): Promise<void> {
  const { pipeline, period, openedSeq, count } = job.data;
  const hours = deps.catalog.pipelines[pipeline]?.alerts?.remindAfterHours;
  const alert = await deps.dqAlerts.get(pipeline, period);
  if (!alert || !hours || !stillDue(alert, openedSeq)) return;
  const updated = await deps.dqAlerts.update(alert, (a) => (stillDue(a, openedSeq) ? { next: withEvent(a, { kind: 'reminder', at: deps.now(), count }).next } : undefined), { ...BOT, action: 'dq.reminder' });
  // A reminder never changes whether one is due: not due now means none was added.
  if (!stillDue(updated, openedSeq)) return;
  await deps.queues.dqThread(pipeline, period, updated.version);
  await deps.queues.dqRemind(pipeline, period, openedSeq, count + 1, hours * 3600_000);
}

function stillDue(a: DqAlertRecord, openedSeq: number): boolean {
  const lastOpening = a.events.filter((e) => e.kind === 'opened' || e.kind === 'reopened').at(-1)?.seq ?? 0;
  return a.state === 'failing' && !a.acknowledgedBy && !a.mutedBy && lastOpening <= openedSeq;
}
