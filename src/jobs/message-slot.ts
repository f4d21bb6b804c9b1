import { DelayedError, type Job } from 'bullmq';
import type { JobDeps } from './job-deps.ts';
import { STATUS_UPDATE_INTERVAL_MS } from './queues.ts';

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
      rendered = await step.render();
      await redis.set(keys.notifyLast(slot), String(deps.now()), 'PX', 10 * 60_000);
    }
  });
  if (!locked) return later(deps.now() + 300);
  if (wait !== undefined) return later(wait);
  if (rendered === undefined) return;
  const latest = await step.latestVersion();
  if (latest !== undefined && latest > rendered) await step.again();
}
