import type { Redis } from 'ioredis';
import type { Catalog, Stage } from '../config/catalog-schema.ts';
import type { Keyspace } from './redis.ts';

/**
 * A pipeline's migration stage. The catalog gives the starting stage; cutover steps move it
 * and that move is kept in Redis (DESIGN.md: "changed only by cutover steps").
 */
export class StageStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keyspace,
    private readonly catalog: Catalog,
  ) {}

  async get(pipeline: string): Promise<Stage> {
    const stored = await this.redis.get(this.keys.stage(pipeline));
    return (stored as Stage | null) ?? this.catalog.pipelines[pipeline]?.stage ?? 'legacy';
  }

  async set(pipeline: string, stage: Stage, actor: string, now = Date.now()): Promise<void> {
    const before = await this.get(pipeline);
    const event = { at: now, actor, pipeline, action: 'pipeline.stage', subject: pipeline, before: { stage: before }, after: { stage } };
    // The change and its audit event in one transaction: neither exists without the other.
    await this.redis.multi().set(this.keys.stage(pipeline), stage).xadd(this.keys.audit(pipeline), '*', 'event', JSON.stringify(event)).exec();
  }
}
