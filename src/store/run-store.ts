import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { InvalidStateError, NotFoundError } from '../errors.ts';
import { updateVersioned } from './update-versioned.ts';
import { RUN_STATES, type RunState } from '../engines/types.ts';
import { recordEvent, type AuditActor } from './audit-log.ts';
import { readJson, readNewest, withScripts, type CasCommand, type Keyspace } from './redis.ts';
import { isActiveRun, type RunRecord } from './run-record.ts';

/**
 * Compare-and-set of one run, its state counters, the active-runs index and its audit event,
 * atomically, as a Lua function other scripts can embed (a parallel run writes its two runs
 * with it, src/store/parallel-store.ts). A Lua script rather than WATCH/MULTI because WATCH
 * belongs to a connection, and the app shares one connection between many concurrent jobs.
 *
 * A new run is also appended to the intake stream in the same script, so a run can never
 * be recorded without being handed to the workers (nor handed over without being recorded).
 *
 * k: run, state-counts hash, audit stream, pipeline index, intake stream, active-runs set
 * a: expected version ('' = must not exist), json, old state, new state, audit json, score,
 *    '1' when the run is active (see `isActiveRun`), id, expiry in ms ('0' while active: an
 *    active run never expires), how long records are kept (ids older than that leave the index)
 * Returns 1 written, 0 conflict, -1 gone.
 */
export const WRITE_RUN_LUA = `
local function writeRun(k, a)
  local cur = redis.call('GET', k[1])
  if a[1] == '' then
    if cur then return 0 end
    redis.call('ZADD', k[4], a[6], a[8])
    redis.call('ZREMRANGEBYSCORE', k[4], '-inf', tonumber(a[6]) - tonumber(a[10]))
    redis.call('XADD', k[5], '*', 'run', a[8])
  else
    if not cur then return -1 end
    if tostring(cjson.decode(cur).version) ~= a[1] then return 0 end
  end
  redis.call('SET', k[1], a[2])
  if a[9] ~= '0' then redis.call('PEXPIRE', k[1], a[9]) end
  if a[3] ~= a[4] then
    if a[3] ~= '' then redis.call('HINCRBY', k[2], a[3], -1) end
    redis.call('HINCRBY', k[2], a[4], 1)
  end
  if a[5] ~= '' then redis.call('XADD', k[3], '*', 'event', a[5]) end
  if a[7] == '1' then redis.call('SADD', k[6], a[8]) else redis.call('SREM', k[6], a[8]) end
  return 1
end
`;
/** Keys and arguments per run of WRITE_RUN_LUA. */
export const RUN_WRITE_KEYS = 6;
export const RUN_WRITE_ARGS = 10;

const CAS_SCRIPT = `${WRITE_RUN_LUA}
return writeRun(KEYS, ARGV)
`;

/** The keys and arguments of `writeRun` for one run. */
export function runWriteArgs(k: Keyspace, run: RunRecord, expected: string, oldState: string, event: string): { keys: string[]; argv: string[] } {
  return {
    keys: [k.run(run.id), k.runStateCounts, k.audit(run.pipeline), k.runsByPipeline(run.pipeline), k.intake, k.runsActive],
    argv: [
      expected,
      JSON.stringify(run),
      oldState,
      run.state,
      event,
      String(run.createdAt),
      isActiveRun(run) ? '1' : '0',
      run.id,
      // SET clears an expiry, so a repaired run (active again) keeps no TTL; an ended one gets it anew.
      isActiveRun(run) ? '0' : String(k.retention.recordsMs),
      String(k.retention.recordsMs),
    ],
  };
}

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
    this.redis = withScripts<{ cutoverRunCas: CasCommand }>(redis, { cutoverRunCas: { keys: RUN_WRITE_KEYS, lua: CAS_SCRIPT } });
  }

  /** Records a new run and hands it to the workers' intake, atomically. */
  async create(run: RunRecord, who: AuditActor): Promise<void> {
    const ok = await this.cas(run, '', '', recordEvent(run, who, undefined, runSnapshot(run), this.now()));
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

  /**
   * Ids of the runs that still need a job: not in a final state, or with a repair requested.
   * Start-up re-enqueues their jobs (src/jobs/recover-work.ts).
   */
  activeIds(): Promise<string[]> {
    return this.redis.smembers(this.keys.runsActive);
  }

  /** Drops an id from the active-runs index whose run is gone. */
  async forgetActive(id: string): Promise<void> {
    await this.redis.srem(this.keys.runsActive, id);
  }

  private async cas(run: RunRecord, expected: string, oldState: string, event: string): Promise<number> {
    const { keys, argv } = runWriteArgs(this.keys, run, expected, oldState, event);
    return Number(await this.redis.cutoverRunCas(...keys, ...argv));
  }
}

/** What a new run's audit event shows of it. */
export function runSnapshot(run: RunRecord): Record<string, unknown> {
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


