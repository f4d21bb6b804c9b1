import type { Redis } from 'ioredis';

/**
 * Row counts of earlier runs, for `row_count_change`. Counts are kept per pipeline and output,
 * keyed by period, so re-checking a period overwrites its own count instead of adding one.
 */
export interface RowCountHistory {
  /**
   * The count of the latest recorded period, or undefined when there is none. With `before`,
   * only periods strictly earlier than it count: re-checking May must not compare May with
   * itself, and a backfill of March compares with February, not with May.
   */
  previousRowCount(pipeline: string, output: string, before?: string): Promise<number | undefined>;
  recordRowCount(pipeline: string, output: string, period: string, count: number): Promise<void>;
}

/** Picks the count of the latest period (before `before`, if given) from a period -> count map. */
export function latestBefore(counts: Iterable<[string, number]>, before?: string): number | undefined {
  let best: [string, number] | undefined;
  for (const entry of counts) {
    // YYYY-MM periods sort correctly as strings.
    if (before !== undefined && entry[0] >= before) continue;
    if (!best || entry[0] > best[0]) best = entry;
  }
  return best?.[1];
}

/** For tests and the playground: the same semantics without Redis. */
export class InMemoryRowCountHistory implements RowCountHistory {
  readonly #counts = new Map<string, Map<string, number>>();

  async previousRowCount(pipeline: string, output: string, before?: string): Promise<number | undefined> {
    return latestBefore(this.#counts.get(`${pipeline}/${output}`) ?? [], before);
  }

  async recordRowCount(pipeline: string, output: string, period: string, count: number): Promise<void> {
    const key = `${pipeline}/${output}`;
    const counts = this.#counts.get(key) ?? new Map<string, number>();
    counts.set(period, count);
    this.#counts.set(key, counts);
  }
}

export interface RedisRowCountHistoryOptions {
  redis: Redis;
  /** Prefix of the deployment's keys (`CUTOVER_REDIS_PREFIX`, default `cutover`). */
  prefix: string;
  /** How long a pipeline's history is kept after its last count (`retention.recordsMs`); default: kept. */
  retentionMs?: number;
}

/**
 * The history in Redis: one hash per pipeline and output, `period -> count`. A hash, not a
 * sorted set, because a period is a label, not a score; a pipeline adds 12 fields a year, so
 * reading the whole hash to find the previous period stays cheap.
 */
export class RedisRowCountHistory implements RowCountHistory {
  constructor(private readonly options: RedisRowCountHistoryOptions) {}

  /** `<prefix>:dq:row-counts:<pipeline>:<output>`. */
  key(pipeline: string, output: string): string {
    return `${this.options.prefix}:dq:row-counts:${pipeline}:${output}`;
  }

  async previousRowCount(pipeline: string, output: string, before?: string): Promise<number | undefined> {
    const all = await this.options.redis.hgetall(this.key(pipeline, output));
    const counts = Object.entries(all)
      .map(([period, value]): [string, number] => [period, Number(value)])
      .filter(([, n]) => Number.isFinite(n));
    return latestBefore(counts, before);
  }

  async recordRowCount(pipeline: string, output: string, period: string, count: number): Promise<void> {
    const key = this.key(pipeline, output);
    const { redis, retentionMs } = this.options;
    if (retentionMs === undefined) return void (await redis.hset(key, period, String(count)));
    await redis.multi().hset(key, period, String(count)).pexpire(key, retentionMs).exec();
  }
}
