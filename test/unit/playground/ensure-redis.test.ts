import { describe, expect, it } from 'vitest';
import { answers, ensureRedis, NoRedisError } from '../../../src/playground/ensure-redis.ts';
import { REDIS_URL } from '../../helpers/redis.ts';

const NOBODY = 'redis://127.0.0.1:1'; // nothing listens on port 1

describe('the playground finds or starts a Redis', () => {
  it('uses REDIS_URL when it answers', async () => {
    const redis = await ensureRedis(REDIS_URL);
    expect(redis).toMatchObject({ url: REDIS_URL, started: false });
    await redis.stop();
    expect(await answers(REDIS_URL)).toBe(true);
  });

  it('starts a throwaway redis-server when nothing answers, and stops it', async () => {
    const redis = await ensureRedis(NOBODY);
    expect(redis.started).toBe(true);
    expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(await answers(redis.url)).toBe(true);
    await redis.stop();
    expect(await answers(redis.url)).toBe(false);
  });

  it('says exactly how to get one when redis-server is not on the PATH', async () => {
    const failed = ensureRedis(NOBODY, { command: 'redis-server-that-does-not-exist' });
    await expect(failed).rejects.toBeInstanceOf(NoRedisError);
    await expect(failed).rejects.toThrow(/docker compose up -d redis/);
  });
});
