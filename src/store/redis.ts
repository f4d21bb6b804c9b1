import { Redis, type RedisOptions } from 'ioredis';

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

/** Key names under one prefix, so tests (and several deployments) can share a Redis. */
export function keyspace(prefix: string) {
  return {
    run: (id: string) => `${prefix}:run:${id}`,
    runsByPipeline: (pipeline: string) => `${prefix}:runs:pipeline:${pipeline}`,
    runStateCounts: `${prefix}:runs:state-counts`,
    audit: (pipeline: string) => `${prefix}:audit:${pipeline}`,
    notifyLast: (id: string) => `${prefix}:notify:last:${id}`,
    notifyLock: (id: string) => `${prefix}:notify:lock:${id}`,
    stage: (pipeline: string) => `${prefix}:stage:${pipeline}`,
    parallel: (id: string) => `${prefix}:parallel:${id}`,
    parallelReports: (id: string) => `${prefix}:parallel:${id}:reports`,
    parallelCsvs: (id: string) => `${prefix}:parallel:${id}:csvs`,
    parallelPosted: (id: string) => `${prefix}:parallel:${id}:posted`,
    parallelsByPipeline: (pipeline: string) => `${prefix}:parallels:pipeline:${pipeline}`,
    /** New runs waiting to be handed to the engine queue (see src/jobs/intake.ts). */
    intake: `${prefix}:intake`,
    bullPrefix: `${prefix}:bull`,
  };
}
export type Keyspace = ReturnType<typeof keyspace>;
