import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { Keyspace } from '../store/redis.ts';
import type { Queues } from './queues.ts';

const GROUP = 'workers';

export interface IntakeOptions {
  /** A connection of its own: XREADGROUP blocks it. */
  redis: Redis;
  keys: Keyspace;
  queues: Queues;
  logger: Logger;
  consumer: string;
  /** Entries a dead worker read but never acknowledged are claimed after this long. Default 30 s. */
  claimAfterMs?: number;
}

/**
 * Hands new runs to the engine queue. The web role writes a run and its intake entry in one
 * Redis script (a single round trip after the ack, and no way to record a run that is never
 * submitted); workers read the stream as a consumer group, enqueue the BullMQ submit job
 * (idempotent by job id), then acknowledge and delete the entry. Entries left by a worker
 * that died mid-way are claimed by the others.
 */
export class IntakeConsumer {
  private running = false;
  private loop?: Promise<void>;

  constructor(private readonly opts: IntakeOptions) {}

  async start(): Promise<void> {
    const { redis, keys } = this.opts;
    await redis.xgroup('CREATE', keys.intake, GROUP, '0', 'MKSTREAM').catch((err: Error) => {
      if (!err.message.includes('BUSYGROUP')) throw err;
    });
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    const { redis, keys, consumer, logger, claimAfterMs = 30_000 } = this.opts;
    let lastClaim = 0;
    while (this.running) {
      try {
        if (Date.now() - lastClaim > claimAfterMs / 2) {
          lastClaim = Date.now();
          const [, claimed] = (await redis.xautoclaim(keys.intake, GROUP, consumer, claimAfterMs, '0', 'COUNT', 100)) as [string, Array<[string, string[]]>];
          await this.handle(claimed);
        }
        const res = (await redis.xreadgroup('GROUP', GROUP, consumer, 'COUNT', 100, 'BLOCK', 1000, 'STREAMS', keys.intake, '>')) as Array<[string, Array<[string, string[]]>]> | null;
        if (res) await this.handle(res[0]![1]);
      } catch (err) {
        if (!this.running) return;
        logger.warn({ err }, 'intake read failed; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private async handle(entries: Array<[string, string[]]>): Promise<void> {
    const { redis, keys, queues } = this.opts;
    for (const [id, fields] of entries) {
      const field = (name: string) => (fields.includes(name) ? fields[fields.indexOf(name) + 1] : undefined);
      const runId = field('run');
      if (runId) await queues.submit(runId);
      // A new backfill (src/store/backfill-store.ts): its first advance job.
      const backfillId = field('backfill');
      if (backfillId) await queues.advanceBackfill(backfillId, 'start');
      await redis.multi().xack(keys.intake, GROUP, id).xdel(keys.intake, id).exec();
    }
  }
}
