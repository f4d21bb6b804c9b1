import type { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { PollListing, type Listed } from '../../../src/engines/poll-listing.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';

const redisA = testRedis();
const redisB = testRedis();
const prefix = uniquePrefix('poll-listing');

afterAll(async () => {
  await deletePrefix(redisA, prefix);
  redisA.disconnect();
  redisB.disconnect();
});

describe('PollListing (issue 17: one listing per group and round, whatever the workers)', () => {
  it('a worker that takes the lock just after another stored its listing uses that listing instead of listing again', async () => {
    const calls: string[] = [];
    let firstDone!: () => void;
    const firstStored = new Promise<void>((resolve) => (firstDone = resolve));
    const list = (worker: string) => async (): Promise<Listed<{ state: string }>> => {
      calls.push(worker);
      return { items: { 'run-1': { state: 'running' } }, truncated: false };
    };
    // Worker B's connection holds its lock attempt until A has listed, stored and let go: the
    // narrow window between B's cache read (empty) and B's SET NX, made wide and certain here.
    const gatedB = new Proxy(redisB, {
      get(target, prop, receiver) {
        if (prop === 'set') return async (...args: unknown[]) => (String(args[0]).endsWith(':lock') && (await firstStored), (target.set as (...a: unknown[]) => unknown)(...args));
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as Redis;
    const a = new PollListing({ redis: redisA, prefix, engine: 'test', freshMs: 60_000, list: list('A') });
    const b = new PollListing({ redis: gatedB, prefix, engine: 'test', freshMs: 60_000, list: list('B') });

    const seenByB = b.active('group-1', 'run-1');
    await new Promise((r) => setTimeout(r, 50)); // B has read the empty cache and waits at its SET
    expect(await a.active('group-1', 'run-1')).toEqual({ state: 'running' });
    firstDone();
    expect(await seenByB).toEqual({ state: 'running' });
    expect(calls).toEqual(['A']);
  });
});
