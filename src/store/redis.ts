import { Redis, type RedisOptions } from 'ioredis';
import { DEFAULT_RETENTION, type Retention } from './retention.ts';

export type { Redis };

/**
 * Connections to Redis. Workers need `maxRetriesPerRequest: null` (BullMQ blocks on them);
 * the web role's producers fail fast instead, so a Redis outage becomes an error reply at
 * once rather than a Slack request hanging past its 3 seconds.
 */
export function createRedis(url: string, kind: 'worker' | 'producer', extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: kind === 'worker' ? null : 1,
    enableOfflineQueue: kind === 'worker',
    lazyConnect: false,
    ...extra,
  });
}

/**
 * Resolves once the connection can take commands. A producer connection has no offline queue
 * (a Slack request must fail fast), so work done right at start-up must wait for this first.
 */
export function untilReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => redis.once('ready', () => resolve()));
}

/** A JSON value stored at `key`, or undefined when there is none. */
export async function readJson<T>(redis: Redis, key: string): Promise<T | undefined> {
  const json = await redis.get(key);
  return json ? (JSON.parse(json) as T) : undefined;
}

/**
 * The newest `limit` records of a sorted-set index (scored by creation time), newest first;
 * ids whose record has expired meanwhile are skipped.
 */
export async function readNewest<T>(redis: Redis, index: string, keyOf: (id: string) => string, limit: number): Promise<T[]> {
  const ids = await redis.zrevrange(index, 0, limit - 1);
  if (ids.length === 0) return [];
  const rows = await redis.mget(ids.map(keyOf));
  return rows.filter((r): r is string => r !== null).map((r) => JSON.parse(r) as T);
}

/** A compare-and-set script as a command: resolves to its status (1 = written; 0 or below = refused). */
export type CasCommand = (...args: Array<string | number>) => Promise<number>;

/**
 * Lua scripts as commands on this connection (once per connection; ioredis then sends EVALSHA,
 * so a script's body travels only once). `T` names each command and its result type. A script
 * whose number of keys varies leaves `keys` out and takes that number as its first argument.
 */
export function withScripts<T extends object>(redis: Redis, scripts: Record<keyof T & string, { keys?: number; lua: string }>): Redis & T {
  for (const [name, { keys, lua }] of Object.entries<{ keys?: number; lua: string }>(scripts)) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: keys, lua });
  }
  return redis as Redis & T;
}

/**
 * Key names under one prefix, so tests (and several deployments) can share a Redis, and how long
 * the keys live (`retention`, src/store/retention.ts): every store sets the expiry in its writes.
 */
export function keyspace(prefix: string, retention: Retention = DEFAULT_RETENTION) {
  return {
    retention,
    run: (id: string) => `${prefix}:run:${id}`,
    runsByPipeline: (pipeline: string) => `${prefix}:runs:pipeline:${pipeline}`,
    runStateCounts: `${prefix}:runs:state-counts`,
    /** Runs that still need a job (set of ids; see RunStore.activeIds). */
    runsActive: `${prefix}:runs:active`,
    audit: (pipeline: string) => `${prefix}:audit:${pipeline}`,
    notifyLast: (id: string) => `${prefix}:notify:last:${id}`,
    notifyLock: (id: string) => `${prefix}:notify:lock:${id}`,
    /** Fingerprint of what a message last showed (edits that change nothing are skipped). */
    notifyShown: (id: string) => `${prefix}:notify:shown:${id}`,
    /** A post under way for a message slot (nonce and time; src/jobs/post-once.ts), deleted once its ts is recorded. */
    postIntent: (id: string) => `${prefix}:notify:intent:${id}`,
    /** A thread note that is in Slack (its job id): a retried note job posts nothing (src/jobs/post-thread-note.ts). */
    notePosted: (jobId: string) => `${prefix}:notify:note-posted:${jobId}`,
    stage: (pipeline: string) => `${prefix}:stage:${pipeline}`,
    parallel: (id: string) => `${prefix}:parallel:${id}`,
    parallelReports: (id: string) => `${prefix}:parallel:${id}:reports`,
    parallelCsvs: (id: string) => `${prefix}:parallel:${id}:csvs`,
    parallelPosted: (id: string) => `${prefix}:parallel:${id}:posted`,
    parallelsByPipeline: (pipeline: string) => `${prefix}:parallels:pipeline:${pipeline}`,
    /** The `/pipeline diff`s one user started (set of parallel ids; those not done count against `CUTOVER_MAX_DIFFS_PER_USER`). */
    diffsByUser: (user: string) => `${prefix}:diffs:user:${user}`,
    /** Cutover step of a pipeline (hash, see src/store/cutover-record.ts). */
    cutoverStep: (pipeline: string, step: string) => `${prefix}:cutover:step:${pipeline}:${step}`,
    /** Cutover approval request (hash). */
    cutoverRequest: (id: string) => `${prefix}:cutover:request:${id}`,
    /** Pending approval requests of a pipeline (zset id → createdAt). */
    cutoverPending: (pipeline: string) => `${prefix}:cutover:pending:${pipeline}`,
    /** Pending approval requests of every pipeline (zset id → createdAt), for App Home. */
    cutoverPendingAll: `${prefix}:cutover:pending-all`,
    /** An approved request's execution and its thread message (src/store/cutover-exec-store.ts). */
    cutoverExec: (requestId: string) => `${prefix}:cutover:exec:${requestId}`,
    cutoverExecMessage: (requestId: string) => `${prefix}:cutover:exec-message:${requestId}`,
    backfill: (id: string) => `${prefix}:backfill:${id}`,
    backfillsByPipeline: (pipeline: string) => `${prefix}:backfills:pipeline:${pipeline}`,
    /** New runs waiting to be handed to the engine queue (see src/jobs/intake.ts). */
    intake: `${prefix}:intake`,
    /** The DQ alert of one pipeline and period (src/store/dq-alert-store.ts). */
    dqAlert: (pipeline: string, period: string) => `${prefix}:dq:alert:${pipeline}:${period}`,
    dqLatest: (pipeline: string) => `${prefix}:dq:latest:${pipeline}`,
    /** The latest trusted DQ result of one period (gate evidence; src/cutover/gates.ts). */
    dqEvidence: (pipeline: string, period: string) => `${prefix}:dq:evidence:${pipeline}:${period}`,
    bullPrefix: `${prefix}:bull`,
  };
}
export type Keyspace = ReturnType<typeof keyspace>;

/** Deletes every key under `prefix` (the playground's session, a test's keys), in SCAN pages. */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}
