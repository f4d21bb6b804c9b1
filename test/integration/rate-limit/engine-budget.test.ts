import { afterAll, describe, expect, it } from 'vitest';
import { ENGINE_RATE_LIMITS } from '../../../src/config/load-config.ts';
import { RedisRateLimiter } from '../../../src/rate-limit/token-bucket.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';

const redisA = testRedis();
const redisB = testRedis();
const prefix = uniquePrefix('engine-budget');

afterAll(async () => {
  await deletePrefix(redisA, prefix);
  redisA.disconnect();
  redisB.disconnect();
});

/** The most events inside any window of `windowMs` (sliding, anchored at each event). */
function busiestWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('the default Databricks budget (issue 17: under 10 calls a second at 500 runs)', () => {
  // A full bucket (2) plus 7 a second: 2 + 6 calls inside any 900 ms, so no second holds 10 even
  // when calls taken 143 ms apart reach Databricks closer together. With bursts of 3, 9 calls fit
  // in 900 ms and the scale benchmark saw a second of exactly 10.
  it('lets three callers in two processes, calling as fast as they can, make at most 8 calls in any 900 ms, and about 7 a second overall', async () => {
    const spec = ENGINE_RATE_LIMITS.databricks;
    const times: number[] = [];
    const until = Date.now() + 2600;
    const hammer = async (limiter: RedisRateLimiter) => {
      while (Date.now() < until) {
        await limiter.acquire('engine:databricks', spec);
        times.push(Date.now());
      }
    };
    // Two processes' worth of callers, each with its own connection, sharing the bucket.
    await Promise.all([hammer(new RedisRateLimiter(redisA, prefix)), hammer(new RedisRateLimiter(redisB, prefix)), hammer(new RedisRateLimiter(redisB, prefix))]);
    expect(busiestWindow(times, 900)).toBeLessThanOrEqual(8);
    // Not merely slow: the sustained rate is the configured one (a full bucket plus 7 a second).
    expect(times.length).toBeGreaterThanOrEqual(spec.burst + 14);
  });
});
