import { DelayedError, type Job } from 'bullmq';
import { buildFailureAlert, buildStatusView } from '../slack/index.ts';
import type { RunRecord } from '../store/run-record.ts';
import { BOT, type JobDeps } from './job-deps.ts';
import { STATUS_UPDATE_INTERVAL_MS } from './queues.ts';
import { toSlackJobError } from './slack-errors.ts';

const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * Renders a run's status message: posts it the first time, then edits it in place, at most
 * once per STATUS_UPDATE_INTERVAL_MS. A failed run also gets its alert thread (a reply on the
 * status message, broadcast to the channel). One job per run at a time holds a lock, so two
 * workers can never post the same status message twice.
 */
export async function notifyStatus(deps: JobDeps, job: Job<{ runId: string }>, token: string | undefined): Promise<void> {
  const { redis, keys, runs, queues } = deps;
  const runId = job.data.runId;
  const lockValue = `${job.id}:${token ?? ''}`;
  const later = async (at: number) => {
    if (!token) return; // no lock token: let the re-enqueue below catch up instead
    await job.moveToDelayed(at, token);
    throw new DelayedError();
  };

  if (!(await redis.set(keys.notifyLock(runId), lockValue, 'PX', 30_000, 'NX'))) return later(deps.now() + 300);
  let rendered: RunRecord | undefined;
  let wait: number | undefined;
  try {
    const run = await runs.get(runId);
    if (!run) return;
    const last = Number((await redis.get(keys.notifyLast(runId))) ?? 0);
    if (run.statusMessage && deps.now() - last < STATUS_UPDATE_INTERVAL_MS) {
      wait = last + STATUS_UPDATE_INTERVAL_MS;
    } else {
      rendered = await render(deps, run);
    }
  } finally {
    await redis.eval(RELEASE_LOCK, 1, keys.notifyLock(runId), lockValue);
  }
  if (wait !== undefined) return later(wait);
  if (!rendered) return;
  const latest = await runs.get(runId);
  if (latest && latest.version > rendered.version) await queues.status(runId);
}

/** Posts or updates the message (and the alert thread); returns the run as it was rendered. */
async function render(deps: JobDeps, run: RunRecord): Promise<RunRecord> {
  const { slack, runs, redis, keys } = deps;
  const view = buildStatusView(run, deps.now());
  let current = run;
  try {
    if (!run.statusMessage) {
      const res = await slack.chat.postMessage({ channel: run.channel, text: view.text, blocks: view.blocks, unfurl_links: false });
      const ref = { channel: res.channel ?? run.channel, ts: res.ts! };
      current = await runs.update(run.id, (r) => ({ ...r, statusMessage: ref }), { ...BOT, action: 'run.message' });
    } else {
      await slack.chat.update({ channel: run.statusMessage.channel, ts: run.statusMessage.ts, text: view.text, blocks: view.blocks });
    }
    await redis.set(keys.notifyLast(run.id), String(deps.now()), 'PX', 10 * 60_000);
    if (current.state === 'failed' && !current.alertThread && current.statusMessage) {
      const alert = buildFailureAlert(current);
      const res = await slack.chat.postMessage({
        channel: current.statusMessage.channel,
        thread_ts: current.statusMessage.ts,
        reply_broadcast: true,
        text: alert.text,
        blocks: alert.blocks,
        unfurl_links: false,
      });
      const ref = { channel: res.channel ?? current.statusMessage.channel, ts: res.ts! };
      current = await runs.update(run.id, (r) => ({ ...r, alertThread: ref }), { ...BOT, action: 'run.alert' });
    }
  } catch (err) {
    throw toSlackJobError(err);
  }
  return current;
}
