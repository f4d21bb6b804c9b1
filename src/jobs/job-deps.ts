import type { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { Catalog } from '../config/catalog-schema.ts';
import type { EngineRegistry } from '../engines/types.ts';
import type { Logger } from '../logger.ts';
import type { AuditLog } from '../store/audit-log.ts';
import type { Keyspace } from '../store/redis.ts';
import type { DiffOutputDeps } from '../diff/diff-output.ts';
import type { ParallelStore } from '../store/parallel-store.ts';
import type { RunStore } from '../store/run-store.ts';
import type { Queues } from './queues.ts';

/** What every processor may use; built once in src/app.ts (the composition root). */
export interface JobDeps {
  runs: RunStore;
  parallels: ParallelStore;
  audit: AuditLog;
  /** How diffs and checks reach the data: S3 access for `path:` outputs, the SQL warehouse for `table:` ones. */
  datasets: Pick<DiffOutputDeps, 'access' | 'warehouse' | 'engine'>;
  catalog: Catalog;
  engines: EngineRegistry;
  slack: WebClient;
  queues: Queues;
  redis: Redis;
  keys: Keyspace;
  logger: Logger;
  pollIntervalMs: number;
  now: () => number;
}

/** The bot's own actor id in the audit stream. */
export const BOT = { actor: 'cutover' } as const;
