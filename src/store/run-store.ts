import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { InvalidStateError, NotFoundError } from '../errors.ts';
import { updateVersioned } from './update-versioned.ts';
import { RUN_STATES, type RunState } from '../engines/types.ts';
import { recordEvent, type AuditActor } from './audit-log.ts';
import { readJson, readNewest, withScripts, type CasCommand, type Keyspace } from './redis.ts';
import type { RunRecord } from './run-record.ts';

/**
 * Compare-and-set of one run, its state counters and its audit event, atomically.
 * A Lua script rather than WATCH/MULTI because WATCH belongs to a connection, and the
 * app shares one connection between many concurrent jobs.
 *
 * A new run is also appended to the intake stream in the same script, so a run can never
 * be recorded without being handed to the workers (nor handed over without being recorded).
 *
 * KEYS: run, state-counts hash, audit stream, pipeline index, intake stream
 * ARGV: expected version ('' = must not exist), json, old state, new state, audit json, score
 */
const CAS_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '' then
  if cur then return 0 end
  local id = cjson.decode(ARGV[2]).id
  redis.call('ZADD', KEYS[4], ARGV[6], id)
  redis.call('XADD', KEYS[5], '*', 'run', id)
else
  if not cur then return -1 end
  if tostring(cjson.decode(cur).version) ~= ARGV[1] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[3] ~= ARGV[4] then
  if ARGV[3] ~= '' then redis.call('HINCRBY', KEYS[2], ARGV[3], -1) end
  redis.call('HINCRBY', KEYS[2], ARGV[4], 1)
end
if ARGV[5] ~= '' then redis.call('XADD', KEYS[3], '*', 'event', ARGV[5]) end
return 1
`;

/** Fields whose changes are bookkeeping, not worth an audit line. */
const UNAUDITED = new Set<keyof RunRecord>(['updatedAt', 'version', 'tasks', 'statusMessage', 'alertThread', 'stateMessage']);

export type { AuditActor } from './audit-log.ts';

/**
 * Ids like `r-mwqhio5f-889ab1`: short enough to type, roughly time-ordered, never all digits
 * and free of colons (BullMQ job-id rules). `r` for runs, `p` for parallel runs.
 */
export function newId(kind: 'r' | 'p', now = Date.now()): string {
  return `${kind}-${now.toString(36)}-${randomBytes(3).toString('hex')}`;
}

export const newRunId = (now = Date.now()): string => newId('r', now);

export class RunStore {
  private readonly redis: Redis & { cutoverRunCas: CasCommand };

  constructor(
    redis: Redis,
    private readonly keys: Keyspace,
    private readonly now: () => number = Date.now,
  ) {
    this.redis = withScripts<{ cutoverRunCas: CasCommand }>(redis, { cutoverRunCas: { keys: 5, lua: CAS_SCRIPT } });
  }

  /** Records a new run and hands it to the workers' intake, atomically. */
  async create(run: RunRecord, who: AuditActor): Promise<void> {
    const ok = await this.cas(run, '', '', recordEvent(run, who, undefined, snapshot(run), this.now()));
    if (ok !== 1) throw new InvalidStateError(`run ${run.id} already exists`);
  }

  get(id: string): Promise<RunRecord | undefined> {
    return readJson<RunRecord>(this.redis, this.keys.run(id));
  }

  async require(id: string): Promise<RunRecord> {
    const run = await this.get(id);
    if (!run) throw new NotFoundError(`no run with id ${id}`);
    return run;
  }

  /**
   * Applies `mutate` to the latest copy and stores it if nobody changed it meanwhile,
   * retrying on conflict. `mutate` returns undefined to leave the run as it is. Changed
   * fields (other than bookkeeping) go to the audit stream with their before/after values.
   */
  async update(id: string, mutate: (run: RunRecord) => RunRecord | undefined, who: AuditActor): Promise<RunRecord> {
    return updateVersioned(
      `run with id ${id}`,
      () => this.get(id),
      mutate,
      (current, stored) => {
        const [before, after] = changes(current, stored);
        const event = Object.keys(after).length > 0 ? recordEvent(stored, who, before, after, this.now()) : '';
        return this.cas(stored, String(current.version), current.state, event);
      },
      this.now,
    );
  }

  /** Latest runs of a pipeline, newest first. */
  listByPipeline(pipeline: string, limit = 10): Promise<RunRecord[]> {
    return readNewest<RunRecord>(this.redis, this.keys.runsByPipeline(pipeline), (id) => this.keys.run(id), limit);
  }

  async countsByState(): Promise<Record<RunState, number>> {
    const raw = await this.redis.hgetall(this.keys.runStateCounts);
    return Object.fromEntries(RUN_STATES.map((s) => [s, Number(raw[s] ?? 0)])) as Record<RunState, number>;
  }

  private async cas(run: RunRecord, expected: string, oldState: string, event: string): Promise<number> {
    const k = this.keys;
    const result = await this.redis.cutoverRunCas(
      k.run(run.id),
      k.runStateCounts,
      k.audit(run.pipeline),
      k.runsByPipeline(run.pipeline),
      k.intake,
      expected,
      JSON.stringify(run),
      oldState,
      run.state,
      event,
      String(run.createdAt),
    );
    return Number(result);
  }
}

function snapshot(run: RunRecord): Record<string, unknown> {
  const { id, pipeline, period, engine, env, params, state, requestedBy } = run;
  return { id, pipeline, period, engine, env, params, state, requestedBy };
}

function changes(before: RunRecord, after: RunRecord): [Record<string, unknown>, Record<string, unknown>] {
  const b: Record<string, unknown> = {};
  const a: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)]) as Set<keyof RunRecord>) {
    if (UNAUDITED.has(key)) continue;
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      b[key] = before[key];
      a[key] = after[key];
    }
  }
  return [b, a];
}


