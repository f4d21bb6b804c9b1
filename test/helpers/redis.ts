import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { deleteKeysUnder } from '../../src/store/redis.ts';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A prefix no other test uses, so tests share one Redis without seeing each other's keys. */
export function uniquePrefix(name: string): string {
  return `test-${name}-${randomBytes(4).toString('hex')}`;
}

export function testRedis(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 3 });
}

/** Deletes every key under `prefix` (runs, audit streams, BullMQ queues). */
export const deletePrefix = (redis: Redis, prefix: string): Promise<void> => deleteKeysUnder(redis, prefix);
