import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';

/** A token bucket: `rate` calls per minute on average, at most `burst` at once. */
export interface BucketSpec {
  /** Calls per minute, sustained. */
  rate: number;
  /** Calls that may go at once after a quiet spell (the bucket's size). */
  burst: number;
}

export type Priority = 'high' | 'low';

/**
 * One script takes a token or says how long to wait, with Redis' own clock (`TIME`), so every
 * worker process shares one bucket and no process' clock skew matters. A pause (a `Retry-After`
 * received by any worker) blocks the bucket until it runs out. A low-priority call takes a
 * token only while more than `reserve` are left, so when the budget is short the calls that
 * matter (final states, new messages) get the tokens and progress edits wait.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return paused end
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local reserve = tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1])
local ts = tonumber(b[2])
if tokens == nil then tokens = burst; ts = now end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 + reserve then tokens = tokens - 1 else wait = math.max(1, math.ceil((1 + reserve - tokens) / rate)) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate) + 60000)
return wait
`;

/** Empties the bucket and blocks it for ARGV[1] ms (a 429's Retry-After), for every worker. */
const PAUSE = `
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
redis.call('HSET', KEYS[1], 'tokens', '0')
return 1
`;

/** Thrown instead of waiting when the caller said it would rather come back later (see `maxWaitMs`). */
export class RateBudgetShortError extends Error {
  constructor(
    readonly bucket: string,
    readonly waitMs: number,
  ) {
    super(`rate budget of ${bucket} is short: next call in ${waitMs} ms`);
    this.name = 'RateBudgetShortError';
  }
}

export interface AcquireOptions {
  priority?: Priority;
  /** Throw RateBudgetShortError instead of sleeping longer than this. Default: sleep as long as needed. */
  maxWaitMs?: number;
  signal?: AbortSignal;
}

/**
 * Token buckets in Redis shared by all worker processes (issue 17). Fails open: when Redis
 * cannot answer, the call goes ahead unlimited (a rate limit is a courtesy to the API; losing
 * a reply to a Redis blip is worse), and the outage is logged once per minute.
 */
export class RedisRateLimiter {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #logger?: Logger;
  #lastWarn = 0;

  constructor(redis: Redis, prefix: string, logger?: Logger) {
    this.#redis = redis;
    this.#prefix = `${prefix}:ratelimit`;
    this.#logger = logger;
  }

  /** Tries once: 0 when a token was taken, else how many ms to wait before trying again. */
  async take(bucket: string, spec: BucketSpec, priority: Priority = 'high'): Promise<number> {
    const perMs = spec.rate / 60_000;
    const reserve = priority === 'low' ? Math.max(1, Math.floor(spec.burst * 0.2)) : 0;
    try {
      const [key, pause] = this.#keys(bucket);
      return Number(await this.#redis.eval(TAKE, 2, key, pause, String(perMs), String(spec.burst), String(reserve)));
    } catch (err) {
      this.#warn(err);
      return 0;
    }
  }

  /** Waits until a token is taken (or throws RateBudgetShortError past `maxWaitMs`). */
  async acquire(bucket: string, spec: BucketSpec, opts: AcquireOptions = {}): Promise<void> {
    for (;;) {
      const wait = await this.take(bucket, spec, opts.priority);
      if (wait === 0) return;
      if (opts.maxWaitMs !== undefined && wait > opts.maxWaitMs) throw new RateBudgetShortError(bucket, wait);
      // A little jitter so waiters of one bucket do not all come back in the same millisecond.
      await sleep(wait + Math.floor(Math.random() * 20), opts.signal);
    }
  }

  /** Blocks `bucket` for `ms` for every worker (a 429's Retry-After). */
  async pause(bucket: string, ms: number): Promise<void> {
    try {
      const [key, pause] = this.#keys(bucket);
      await this.#redis.eval(PAUSE, 2, key, pause, String(Math.max(1, Math.ceil(ms))));
    } catch (err) {
      this.#warn(err);
    }
  }

  #keys(bucket: string): [string, string] {
    const key = `${this.#prefix}:${bucket}`;
    return [key, `${key}:pause`];
  }

  #warn(err: unknown): void {
    if (Date.now() - this.#lastWarn < 60_000) return;
    this.#lastWarn = Date.now();
    this.#logger?.warn({ err }, 'rate limiter unavailable: calls go out unlimited');
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    }, { once: true });
  });
}
