import { DelayedError, type Job } from 'bullmq';
import { budgetShortOf, withSlackCall } from '../slack/client.ts';
import type { JobDeps } from './job-deps.ts';
import { STATUS_UPDATE_INTERVAL_MS } from './queues.ts';

/**
 * How long a render waits in the worker for Slack budget before it gives its slot back and
 * comes back later as a delayed job (so a short budget never fills every worker slot with
 * sleeping jobs and blocks messages to other channels), and the longest it stays away.
 */
const BUDGET_WAIT_MS = 1500;
const BUDGET_RETRY_CAP_MS = 10_000;

const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * Runs `fn` while holding the lock of a message slot, so only one job at a time posts or edits
 * that message. Returns false, without running `fn`, when another job holds it.
 */
export async function withSlotLock(deps: Pick<JobDeps, 'redis' | 'keys'>, slot: string, owner: string, fn: () => Promise<void>): Promise<boolean> {
  const key = deps.keys.notifyLock(slot);
  if (!(await deps.redis.set(key, owner, 'PX', 30_000, 'NX'))) return false;
  try {
    await fn();
  } finally {
    await deps.redis.eval(RELEASE_LOCK, 1, key, owner);
  }
  return true;
}

/**
 * One message that is edited in place (a run's status, a parallel run's report): a lock so
 * only one job renders it at a time (no message is ever posted twice), and at most one edit
 * per STATUS_UPDATE_INTERVAL_MS. `render` returns the version it rendered; when the subject
 * has moved on meanwhile, `again` schedules another render, so the last state always lands.
 */
export async function renderInSlot(
  deps: JobDeps,
  job: Job,
  token: string | undefined,
  slot: string,
  step: {
    /** False when the message is not posted yet (posting is never delayed). */
    posted: () => Promise<boolean>;
    render: () => Promise<number | undefined>;
    latestVersion: () => Promise<number | undefined>;
    again: () => Promise<unknown>;
    /**
     * True when this render matters more than a progress edit (a first post, a final state, an
     * alert): it gets Slack's last tokens when the budget is short. Default true.
     */
    urgent?: () => Promise<boolean>;
  },
): Promise<void> {
  const { redis, keys } = deps;
  const lockValue = `${job.id}:${token ?? ''}`;
  const later = async (at: number) => {
    if (!token) return; // without a lock token the re-enqueue below catches up instead
    await job.moveToDelayed(at, token);
    throw new DelayedError();
  };
  let rendered: number | undefined;
  let wait: number | undefined;
  const locked = await withSlotLock(deps, slot, lockValue, async () => {
    const last = Number((await redis.get(keys.notifyLast(slot))) ?? 0);
    if ((await step.posted()) && deps.now() - last < STATUS_UPDATE_INTERVAL_MS) {
      wait = last + STATUS_UPDATE_INTERVAL_MS;
    } else {
      const urgent = step.urgent ? await step.urgent() : true;
      try {
        rendered = await withSlackCall({ priority: urgent ? 'high' : 'low', maxWaitMs: BUDGET_WAIT_MS }, step.render);
      } catch (err) {
        const short = budgetShortOf(err);
        if (!short) throw err;
        wait = deps.now() + Math.min(short.waitMs, BUDGET_RETRY_CAP_MS);
        return;
      }
      await redis.set(keys.notifyLast(slot), String(deps.now()), 'PX', 10 * 60_000);
    }
  });
  if (!locked) return later(deps.now() + 300);
  if (wait !== undefined) return later(wait);
  if (rendered === undefined) return;
  const latest = await step.latestVersion();
  if (latest !== undefined && latest > rendered) await step.again();
}
