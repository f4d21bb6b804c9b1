import type { Redis } from 'ioredis';

/** One poll group's active runs as one listing call saw them, keyed by the engine's run id. */
export interface Listed<T> {
  items: Record<string, T>;
  /** More pages existed than were read: a run missing from `items` may still be active. */
  truncated: boolean;
}

interface Stored<T> extends Listed<T> {
  at: number;
}

export interface PollListingOptions<T> {
  redis: Redis;
  prefix: string;
  /** Names the Redis key (`<prefix>:pollbatch:<engine>:<group>`), so engines never share listings. */
  engine: string;
  /** A listing younger than this is used as it is; the first poll after that lists again. */
  freshMs: number;
  /** The clock listings are dated by. Default `Date.now`; tests step it from tick to tick. */
  now?: () => number;
  /**
   * Reads one group's active runs from the engine (through the engine's rate-limited client).
   * What it returns is stored in Redis before any pipeline's PII policy has seen it (issue 14
   * finding 8), so it must keep no free text: only states, ids, keys and times.
   */
  list: (group: string, signal?: AbortSignal) => Promise<Listed<T>>;
}

/**
 * Batched polling (issue 17), the part every engine shares: the active runs of one poll group
 * (a Databricks job, an EMR cluster, an Airflow DAG) are listed once per `freshMs` for all
 * workers. The first poll of a round lists under a short Redis lock and stores the result; the
 * others, in any worker, read it. A run that is not in the listing has ended (or began after
 * it): the caller reads it on its own, which is also where its final state and failure come from.
 */
export class PollListing<T> {
  constructor(private readonly opts: PollListingOptions<T>) {}

  /** The run as its group's latest listing shows it, or undefined when it is not active there. */
  async active(group: string, id: string, signal?: AbortSignal): Promise<T | undefined> {
    const listing = await this.#listing(group, signal);
    return listing.items[id];
  }

  async #listing(group: string, signal?: AbortSignal): Promise<Listed<T>> {
    const { redis, prefix, engine, freshMs, list, now = Date.now } = this.opts;
    const key = `${prefix}:pollbatch:${engine}:${group}`;
    const lock = `${key}:lock`;
    const deadline = Date.now() + 5000;
    for (;;) {
      const cached = await readListing<T>(redis, key);
      if (cached && now() - cached.at < freshMs) return cached;
      if (await redis.set(lock, '1', 'PX', 10_000, 'NX')) {
        try {
          // Another worker may have stored its listing and let go of the lock between our read
          // above and taking it: use that one rather than listing a second time in the round.
          const fresh = await readListing<T>(redis, key);
          if (fresh && now() - fresh.at < freshMs) return fresh;
          const listing: Stored<T> = { ...(await list(group, signal)), at: now() };
          await redis.set(key, JSON.stringify(listing), 'PX', Math.max(freshMs * 4, 60_000));
          return listing;
        } finally {
          await redis.del(lock);
        }
      }
      // Another worker is listing this group right now: use its answer.
      if (Date.now() > deadline) return list(group, signal);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function readListing<T>(redis: Redis, key: string): Promise<Stored<T> | undefined> {
  const json = await redis.get(key);
  return json ? (JSON.parse(json) as Stored<T>) : undefined;
}
