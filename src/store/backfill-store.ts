import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { InvalidStateError, NotFoundError } from '../errors.ts';
import { recordEvent, type AuditActor } from './audit-log.ts';
import type { BackfillRecord } from './backfill-record.ts';
import { readJson, readNewest, withScripts, type CasCommand, type Keyspace } from './redis.ts';
import { updateVersioned } from './update-versioned.ts';

/**
 * Compare-and-set of a backfill and its audit event (same reasoning as RunStore's). A new
 * backfill is also appended to the intake stream, so the workers' intake consumer enqueues its
 * first advance job: a backfill can never be recorded without being started.
 * KEYS: record, audit stream, pipeline index, intake stream.
 * ARGV: expected version ('' = new), json, audit json, score, id, expiry ms ('0' while running),
 * how long records are kept (older ids leave the index)
 */
const CAS_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '' then
  if cur then return 0 end
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', tonumber(ARGV[4]) - tonumber(ARGV[7]))
  redis.call('XADD', KEYS[4], '*', 'backfill', ARGV[5])
else
  if not cur then return -1 end
  if tostring(cjson.decode(cur).version) ~= ARGV[1] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[6] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[6]) end
if ARGV[3] ~= '' then redis.call('XADD', KEYS[2], '*', 'event', ARGV[3]) end
return 1
`;

/** `b-<time36>-<hex>`, like run and parallel-run ids. */
export const newBackfillId = (now = Date.now()): string => `b-${now.toString(36)}-${randomBytes(3).toString('hex')}`;

export class BackfillStore {
  private readonly redis: Redis & { cutoverBackfillCas: CasCommand };

  constructor(
    redis: Redis,
    private readonly keys: Keyspace,
    private readonly now: () => number = Date.now,
  ) {
    this.redis = withScripts<{ cutoverBackfillCas: CasCommand }>(redis, { cutoverBackfillCas: { keys: 4, lua: CAS_SCRIPT } });
  }

  /** Records a new backfill and hands it to the workers' intake, atomically. */
  async create(b: BackfillRecord, who: AuditActor): Promise<void> {
    const { from, to, engine, env, concurrency, continueOnFailure } = b;
    const ok = await this.cas(b, '', this.event(b, who, undefined, { from, to, engine, env, concurrency, continueOnFailure, periods: b.periods.length, state: b.state }));
    if (ok !== 1) throw new InvalidStateError(`backfill ${b.id} already exists`);
  }

  get(id: string): Promise<BackfillRecord | undefined> {
    return readJson<BackfillRecord>(this.redis, this.keys.backfill(id));
  }

  async require(id: string): Promise<BackfillRecord> {
    const b = await this.get(id);
    if (!b) throw new NotFoundError(`no backfill with id ${id}`);
    return b;
  }

  /** Like RunStore.update; audits changes of state, of period statuses and runs, cancels and retries. */
  async update(id: string, mutate: (b: BackfillRecord) => BackfillRecord | undefined, who: AuditActor): Promise<BackfillRecord> {
    return this.updateWith(id, async () => undefined, (b) => mutate(b), who);
  }

  /**
   * Like `update`, but `load` runs after every fresh read of the backfill (e.g. reading its
   * runs' states) and `mutate` gets its result, so a retry after a conflict never decides on
   * facts older than the record it changes.
   */
  async updateWith<X>(id: string, load: (b: BackfillRecord) => Promise<X>, mutate: (b: BackfillRecord, loaded: X) => BackfillRecord | undefined, who: AuditActor): Promise<BackfillRecord> {
    let loaded: X;
    return updateVersioned(
      `backfill with id ${id}`,
      async () => {
        const b = await this.get(id);
        if (b) loaded = await load(b);
        return b;
      },
      (b) => mutate(b, loaded),
      (current, stored) => {
        const [before, after] = changes(current, stored);
        const event = Object.keys(after).length > 0 ? this.event(stored, who, before, after) : '';
        return this.cas(stored, String(current.version), event);
      },
      this.now,
    );
  }

  /** Latest backfills of a pipeline, newest first. */
  listByPipeline(pipeline: string, limit = 10): Promise<BackfillRecord[]> {
    return readNewest<BackfillRecord>(this.redis, this.keys.backfillsByPipeline(pipeline), (id) => this.keys.backfill(id), limit);
  }

  private event(b: BackfillRecord, who: AuditActor, before: unknown, after: unknown): string {
    return recordEvent(b, who, before, after, this.now());
  }

  private cas(b: BackfillRecord, expected: string, event: string): Promise<number> {
    const k = this.keys;
    return this.redis.cutoverBackfillCas(k.backfill(b.id), k.audit(b.pipeline), k.backfillsByPipeline(b.pipeline), k.intake, expected, JSON.stringify(b), event, String(b.createdAt), b.id, b.state === 'running' ? '0' : String(k.retention.recordsMs), String(k.retention.recordsMs)).then(Number);
  }
}

/** The audited differences: top-level fields that matter, and each period whose status or run changed. */
function changes(before: BackfillRecord, after: BackfillRecord): [Record<string, unknown>, Record<string, unknown>] {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const key of ['state', 'stoppedReason', 'cancelledBy', 'retries'] as const) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      b[key] = before[key];
      a[key] = after[key];
    }
  }
  const periodsBefore: Record<string, unknown> = {};
  const periodsAfter: Record<string, unknown> = {};
  after.periods.forEach((p, i) => {
    const old = before.periods[i];
    if (old && old.status === p.status && old.runId === p.runId) return;
    periodsBefore[p.period] = old ? { status: old.status, runId: old.runId } : undefined;
    periodsAfter[p.period] = { status: p.status, runId: p.runId };
  });
  if (Object.keys(periodsAfter).length > 0) {
    b.periods = periodsBefore;
    a.periods = periodsAfter;
  }
  return [b, a];
}
