import { createHash } from 'node:crypto';
import { UnrecoverableError, type Job } from 'bullmq';
import { buildFailureAlert, buildStatusView } from '../slack/index.ts';
import { isTerminal } from '../engines/types.ts';
import type { MessageRef, RunRecord } from '../store/run-record.ts';
import { BOT, type JobDeps } from './job-deps.ts';
import { renderInSlot } from './message-slot.ts';
import { postOnce } from './post-once.ts';
import { toSlackJobError } from './slack-errors.ts';

/**
 * Renders a run's status message: posts it the first time, then edits it in place (see
 * renderInSlot for the coalescing). A run that belongs to a parallel run has no message of
 * its own: the parallel run's message shows it, so the request is passed on.
 */
export async function notifyStatus(deps: JobDeps, job: Job<{ runId: string }>, token: string | undefined): Promise<void> {
  const { runs, queues } = deps;
  const runId = job.data.runId;
  const first = await runs.get(runId);
  if (!first) return;
  if (first.parallelId) {
    await queues.parallelStatus(first.parallelId);
    return;
  }
  // Likewise a backfill's period runs: the backfill's message lists them (src/jobs/notify-backfill.ts).
  if (first.backfillId) {
    await queues.backfillStatus(first.backfillId);
    return;
  }
  await renderInSlot(deps, job, token, runId, {
    posted: async () => Boolean((await runs.get(runId))?.statusMessage),
    render: async () => {
      const run = await runs.get(runId);
      return run ? (await render(deps, run)).version : undefined;
    },
    latestVersion: async () => (await runs.get(runId))?.version,
    again: () => queues.status(runId),
    // Progress edits yield to first posts, final states and alerts when Slack's budget is short.
    urgent: async () => {
      const run = await runs.get(runId);
      return !run?.statusMessage || isTerminal(run.state);
    },
  });
}

/** Posts or updates the message (and the alert thread); returns the run as it was rendered. */
async function render(deps: JobDeps, run: RunRecord): Promise<RunRecord> {
  const { slack, runs } = deps;
  const view = buildStatusView(run, deps.now());
  let current = run;
  try {
    if (!run.statusMessage) {
      current = await postOnce(deps, run.id, { channel: run.channel, text: view.text, blocks: view.blocks }, (ref) =>
        runs.update(run.id, (r) => ({ ...r, statusMessage: ref }), { ...BOT, action: 'run.message' }),
      );
    } else {
      await slack.chat.update({ channel: run.statusMessage.channel, ts: run.statusMessage.ts, text: view.text, blocks: view.blocks });
    }
  } catch (err) {
    throw toSlackJobError(err);
  }
  return postAlertIfNeeded(deps, current);
}

/**
 * A failed run's alert thread: one reply on its status message, broadcast to the channel,
 * with the failing tasks and the Repair / Cancel / Acknowledge buttons. Posted once, then
 * edited whenever what it shows changes (a repair starts or ends, someone acknowledges, the
 * run is cancelled), so its buttons never outlive the state they act on. The caller holds the
 * message slot of whatever message the alert hangs on, so edits never race each other; the
 * fingerprint of the last edit is kept in Redis, so an unchanged alert costs no Slack call.
 */
export async function postAlertIfNeeded(deps: JobDeps, run: RunRecord): Promise<RunRecord> {
  if (run.alertThread) {
    await editAlert(deps, run, run.alertThread);
    return run;
  }
  if (run.state !== 'failed' || !run.statusMessage) return run;
  const alert = buildFailureAlert(run);
  try {
    const where = { channel: run.statusMessage.channel, thread_ts: run.statusMessage.ts, reply_broadcast: true };
    return await postOnce(deps, `alert-${run.id}`, { ...where, text: alert.text, blocks: alert.blocks }, async (ref) => {
      await deps.redis.set(deps.keys.notifyShown(`alert-${run.id}`), fingerprint(alert), 'PX', SHOWN_TTL_MS);
      return deps.runs.update(run.id, (r) => ({ ...r, alertThread: ref }), { ...BOT, action: 'run.alert' });
    });
  } catch (err) {
    throw toSlackJobError(err);
  }
}

/** How long an alert's last fingerprint is kept; past it, the next change simply edits once more. */
const SHOWN_TTL_MS = 14 * 24 * 3600_000;

async function editAlert(deps: JobDeps, run: RunRecord, ref: MessageRef): Promise<void> {
  const alert = buildFailureAlert(run);
  const key = deps.keys.notifyShown(`alert-${run.id}`);
  const shown = fingerprint(alert);
  if ((await deps.redis.get(key)) === shown) return;
  try {
    await deps.slack.chat.update({ channel: ref.channel, ts: ref.ts, text: alert.text, blocks: alert.blocks });
  } catch (err) {
    const coded = toSlackJobError(err);
    // Someone deleted the alert (message_not_found) or it can no longer be edited: the status
    // message, already edited, still tells the truth, so this must not fail its job every time.
    if (!(coded instanceof UnrecoverableError)) throw coded;
    deps.logger.warn({ runId: run.id, reason: coded.message }, 'could not edit the failure alert; leaving it as it is');
  }
  await deps.redis.set(key, shown, 'PX', SHOWN_TTL_MS);
}

/** A short digest of what a message shows, to skip edits that would change nothing. */
export function fingerprint(message: { text: string; blocks?: unknown }): string {
  return createHash('sha256').update(JSON.stringify([message.text, message.blocks ?? null])).digest('base64url').slice(0, 22);
}
