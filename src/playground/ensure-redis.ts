import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { deleteKeysUnder } from '../store/redis.ts';

export interface RedisForPlayground {
  url: string;
  /** True when the playground started this Redis itself. */
  started: boolean;
  /** Stops a Redis the playground started (and removes its folder); nothing otherwise. */
  stop(): Promise<void>;
}

/** No Redis answers and none can be started: the message says exactly what to do. */
export class NoRedisError extends Error {
  constructor(url: string) {
    super(
      [
        `no Redis answers at ${url}, and redis-server is not on the PATH to start one.`,
        'Start one, then run `npm start` again:',
        '  docker compose up -d redis',
        'or point REDIS_URL at a Redis you have (e.g. REDIS_URL=redis://127.0.0.1:6379).',
      ].join('\n'),
    );
  }
}

/**
 * The playground's Redis: the one at `url` if it answers; otherwise a throwaway
 * `redis-server` (random free port, no persistence, its own temporary folder) that lives
 * as long as the playground.
 */
export async function ensureRedis(url: string, { command = 'redis-server' } = {}): Promise<RedisForPlayground> {
  if (await answers(url)) return { url, started: false, stop: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), 'cutover-playground-redis-'));
  const port = await freePort();
  // Its own process group: Ctrl-C in a terminal signals the whole foreground group, and a Redis
  // that died with it would leave the app's shutdown retrying a refused connection for 30 s. The
  // playground stops it itself, after the app (and kills it on exit if it could not).
  const child = spawn(command, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore', detached: true });
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', () => resolve(false)); // ENOENT: not on the PATH
  });
  if (!spawned) {
    await rm(dir, { recursive: true, force: true });
    throw new NoRedisError(url);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const own = `redis://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  // A playground killed without cleanup must not leave its Redis behind.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  for (let i = 0; i < 50; i++) {
    if (await answers(own)) return { url: own, started: true, stop };
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`${command} did not start on port ${port}`);
}

/** One PING with a short timeout and no reconnecting. */
export async function answers(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Removes every key under `prefix` (the playground's session data in a Redis it did not start). */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await deleteKeysUnder(redis, prefix);
  } finally {
    redis.disconnect();
  }
}
