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
  /**
   * Called after the consumer group had to be created again (Redis lost its data: FLUSHALL, a
   * failover to an empty replica): the jobs of work recorded before the loss may be gone too.
   */
  onGroupLost?: () => Promise<unknown>;
}

/**
 * Hands new work to the queues. The web role writes a record and its intake entry in one
 * Redis script (a single round trip after the ack, and no way to record work that is never
 * started); workers read the stream as a consumer group, enqueue the BullMQ job (idempotent by
 * job id), then acknowledge and delete the entry. Entries left by a worker that died mid-way
 * are claimed by the others. Entries: `run` (its submit job), `backfill` (its first advance),
 * `cutover` (an approved request's execution), `parallel` (a parallel run's first message) and
 * `diff` (a `/pipeline diff`'s diff job).
 */
export class IntakeConsumer {
  private running = false;
  private loop?: Promise<void>;

  constructor(private readonly opts: IntakeOptions) {}

  async start(): Promise<void> {
    await this.createGroup();
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** From the start of the stream: entries added after a loss, before the group existed again, are read too. */
  private async createGroup(): Promise<void> {
    const { redis, keys } = this.opts;
    await redis.xgroup('CREATE', keys.intake, GROUP, '0', 'MKSTREAM').catch((err: Error) => {
      if (!err.message.includes('BUSYGROUP')) throw err;
    });
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
        // Redis answers NOGROUP when the stream or its group is gone: it lost its data. Waiting
        // would never bring the group back, and every run recorded from now on would wait forever.
        const lost = err instanceof Error && err.message.startsWith('NOGROUP');
        if (lost && (await this.recreateGroup())) continue;
        logger.warn({ err }, 'intake read failed; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private async recreateGroup(): Promise<boolean> {
    const { logger, onGroupLost } = this.opts;
    logger.error('the intake consumer group is gone (Redis lost its data?): creating it again and re-enqueuing unfinished work');
    try {
      await this.createGroup();
      await onGroupLost?.();
      return true;
    } catch (err) {
      logger.warn({ err }, 'could not create the intake consumer group again; retrying');
      return false;
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
      // An approval that reached `min` (src/cutover/store-scripts.ts APPROVE): the execution.
      const requestId = field('cutover');
      if (requestId) await queues.cutoverExecute(requestId);
      // A new parallel run or `/pipeline diff` (src/store/parallel-store.ts): its message, and a diff's job.
      const diffId = field('diff');
      if (diffId) await queues.diffParallel(diffId);
      const parallelId = field('parallel') ?? diffId;
      if (parallelId) await queues.parallelStatus(parallelId, { immediate: true });
      await redis.multi().xack(keys.intake, GROUP, id).xdel(keys.intake, id).exec();
    }
  }
}
