import type { Fetch } from '../http/instrumented-fetch.ts';
import type { BucketSpec, RedisRateLimiter } from './token-bucket.ts';

/**
 * A fetch that takes a token from one shared bucket before each call (an engine API's limit,
 * issue 17), and pauses the bucket for every worker when the API answers 429 or 503 with a
 * Retry-After.
 */
export function limitedFetch(limiter: RedisRateLimiter, bucket: string, spec: BucketSpec, base: Fetch): Fetch {
  return async (input, init) => {
    await limiter.acquire(bucket, spec, { signal: init?.signal ?? undefined });
    const res = await base(input, init);
    if (res.status === 429 || res.status === 503) {
      const seconds = Number.parseInt(res.headers.get('retry-after') ?? '', 10);
      if (Number.isFinite(seconds) && seconds > 0) await limiter.pause(bucket, seconds * 1000);
    }
    return res;
  };
}
