import { InvalidStateError, NotFoundError } from '../errors.ts';

/**
 * The optimistic-concurrency loop shared by the stores: read, apply `mutate`, and write only
 * if nobody changed the record meanwhile (`write` returns 1 on success, 0 on a conflict,
 * -1 when the record is gone), retrying with a little jitter so writers don't collide again.
 * `mutate` returns undefined to leave the record as it is; a written record gets the next
 * version and `updatedAt = now()`.
 */
export async function updateVersioned<T extends { version: number; updatedAt: number }>(
  what: string,
  read: () => Promise<T | undefined>,
  mutate: (current: T) => T | undefined,
  write: (current: T, next: T) => Promise<number>,
  now: () => number,
): Promise<T> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * Math.min(attempt, 20)));
    const current = await read();
    if (!current) throw new NotFoundError(`no ${what}`);
    const next = mutate(structuredClone(current));
    if (!next) return current;
    const stored = { ...next, version: current.version + 1, updatedAt: now() };
    const ok = await write(current, stored);
    if (ok === 1) return stored;
    if (ok === -1) throw new NotFoundError(`no ${what}`);
  }
  throw new InvalidStateError(`${what} is changing too fast to update`);
}
