import type { Redis } from 'ioredis';
import type { Keyspace } from './redis.ts';

/** One append-only audit event: who, what, when, before, after (DESIGN.md "Domain states"). */
export interface AuditEvent {
  at: number;
  /** Slack user id, or `cutover` for the bot's own transitions. */
  actor: string;
  actorName?: string;
  pipeline: string;
  /** e.g. `run.created`, `run.state`, `run.repair`, `cutover.approve`. */
  action: string;
  /** What the event is about: a run id, a step id… */
  subject: string;
  before?: unknown;
  after?: unknown;
  detail?: Record<string, unknown>;
}

/** Who acts, and the audit action name their change is recorded under. */
export interface AuditActor {
  actor: string;
  actorName?: string;
  action: string;
}

/** The audit event (as the JSON a store's Lua script appends) for a change to a record. */
export function recordEvent(record: { id: string; pipeline: string }, who: AuditActor, before: unknown, after: unknown, at: number): string {
  const event: AuditEvent = { at, actor: who.actor, actorName: who.actorName, pipeline: record.pipeline, action: who.action, subject: record.id, before, after };
  return JSON.stringify(event);
}

export interface StoredAuditEvent extends AuditEvent {
  /** The Redis stream id. */
  id: string;
}

/**
 * The audit trail: one Redis stream per pipeline, appended with XADD and never trimmed or
 * rewritten by the app. Events that change state are appended in the same Lua script as
 * the change (see RunStore), so neither can exist without the other.
 */
export class AuditLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keyspace,
  ) {}

  /**
   * Trims a pipeline's audit stream to about `maxLen` newest events (`CUTOVER_AUDIT_MAXLEN`;
   * `~` lets Redis drop whole macro nodes, so it is cheap and may keep a few more). 0 keeps all.
   * Run hourly by the `audit-trim` job rather than in each write: a dozen store scripts append
   * to the stream, and the trail's bound need not be exact to the minute.
   */
  async trim(pipeline: string, maxLen: number): Promise<number> {
    if (maxLen <= 0) return 0;
    return this.redis.xtrim(this.keys.audit(pipeline), 'MAXLEN', '~', maxLen);
  }

  async append(event: AuditEvent): Promise<string> {
    const id = await this.redis.xadd(this.keys.audit(event.pipeline), '*', 'event', JSON.stringify(event));
    return id ?? '';
  }

  /** Latest events first. */
  async latest(pipeline: string, count = 20): Promise<StoredAuditEvent[]> {
    const rows = await this.redis.xrevrange(this.keys.audit(pipeline), '+', '-', 'COUNT', count);
    return rows.map(toEvent);
  }

  /** The whole trail, oldest first, read in pages so a long trail never loads in one reply. */
  async *all(pipeline: string, pageSize = 500): AsyncGenerator<StoredAuditEvent> {
    let start = '-';
    for (;;) {
      const rows = await this.redis.xrange(this.keys.audit(pipeline), start, '+', 'COUNT', pageSize);
      for (const row of rows) yield toEvent(row);
      if (rows.length < pageSize) return;
      start = `(${rows[rows.length - 1]![0]}`;
    }
  }
}

function toEvent([id, fields]: [string, string[]]): StoredAuditEvent {
  const json = fields[fields.indexOf('event') + 1] ?? '{}';
  return { id, ...(JSON.parse(json) as AuditEvent) };
}
