import type { Redis } from 'ioredis';
import type { DiffReport } from '../diff/types.ts';
import { InvalidStateError, NotFoundError } from '../errors.ts';
import { recordEvent, type AuditActor } from './audit-log.ts';
import type { ParallelRecord } from './parallel-record.ts';
import { readJson, readNewest, withScripts, type CasCommand, type Keyspace } from './redis.ts';
import type { RunRecord } from './run-record.ts';
import { newId, runSnapshot, runWriteArgs, RUN_WRITE_ARGS, RUN_WRITE_KEYS, WRITE_RUN_LUA } from './run-store.ts';
import { updateVersioned } from './update-versioned.ts';

/**
 * Compare-and-set of a parallel run and its audit event (same reasoning as RunStore's).
 * KEYS: record, audit stream. ARGV: expected version, json, audit json, expiry ms ('0': none, while running)
 */
const CAS_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if not cur then return -1 end
if tostring(cjson.decode(cur).version) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
if ARGV[4] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
if ARGV[3] ~= '' then redis.call('XADD', KEYS[2], '*', 'event', ARGV[3]) end
return 1
`;

/**
 * A new parallel run (or `/pipeline diff`), its runs with their audit events, and its intake
 * entry, in one script: all of it is recorded or none, so a crash can never leave a parallel run
 * `running` without its runs, or a run started without its parallel run. The intake entry
 * (`parallel` or `diff` → id) has the workers post its message and, for a diff, start it.
 * A diff with a per-user limit also takes one of its requester's slots here (returns -2 when all
 * are taken): a slot is held while its diff's record exists and is not done, so nothing has to
 * give it back, and neither a crash nor an expired record can leak one.
 * KEYS: record, audit stream, pipeline index, intake, then RUN_WRITE_KEYS per run, then the
 * requester's diff set.
 * ARGV: json, audit json, score, id, intake field, number of runs, then RUN_WRITE_ARGS per run,
 * then how long records are kept, the per-user diff limit ('0': none), the parallel key prefix.
 */
const CREATE_SCRIPT = `${WRITE_RUN_LUA}
local n = tonumber(ARGV[6])
local function part(list, offset, size, i)
  local t = {}
  for j = 1, size do t[j] = list[offset + (i - 1) * size + j] end
  return t
end
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i = 1, n do
  if redis.call('EXISTS', KEYS[4 + (i - 1) * ${RUN_WRITE_KEYS} + 1]) == 1 then return 0 end
end
local tail = 6 + n * ${RUN_WRITE_ARGS}
local limit = tonumber(ARGV[tail + 2])
if limit > 0 then
  local slots = KEYS[4 + n * ${RUN_WRITE_KEYS} + 1]
  local live = 0
  for _, other in ipairs(redis.call('SMEMBERS', slots)) do
    local rec = redis.call('GET', ARGV[tail + 3] .. other)
    if rec and cjson.decode(rec).state ~= 'done' then live = live + 1 else redis.call('SREM', slots, other) end
  end
  if live >= limit then return -2 end
  redis.call('SADD', slots, ARGV[4])
  redis.call('PEXPIRE', slots, ARGV[tail + 1])
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', tonumber(ARGV[3]) - tonumber(ARGV[tail + 1]))
redis.call('XADD', KEYS[2], '*', 'event', ARGV[2])
for i = 1, n do writeRun(part(KEYS, 4, ${RUN_WRITE_KEYS}, i), part(ARGV, 6, ${RUN_WRITE_ARGS}, i)) end
redis.call('XADD', KEYS[4], '*', ARGV[5], ARGV[4])
return 1
`;

/** `/pipeline diff` refused: its requester already has `max` diffs running (`CUTOVER_MAX_DIFFS_PER_USER`). */
export class TooManyDiffsError extends InvalidStateError {
  constructor(readonly max: number) {
    super(`you already have ${max} diff${max === 1 ? '' : 's'} running`);
  }
}

export const newParallelId = (now = Date.now()): string => newId('p', now);

/** Parallel runs and their full diff reports (the record holds only summaries). */
export class ParallelStore {
  private readonly redis: Redis & { cutoverParallelCas: CasCommand; cutoverParallelCreate: CasCommand };

  constructor(
    redis: Redis,
    private readonly keys: Keyspace,
    private readonly now: () => number = Date.now,
  ) {
    this.redis = withScripts<{ cutoverParallelCas: CasCommand; cutoverParallelCreate: CasCommand }>(redis, {
      cutoverParallelCas: { keys: 2, lua: CAS_SCRIPT },
      cutoverParallelCreate: { lua: CREATE_SCRIPT },
    });
  }

  /**
   * Records a new parallel run together with its runs (`/pipeline parallel`: legacy and target)
   * and hands it to the workers' intake, atomically (see CREATE_SCRIPT).
   */
  async create(p: ParallelRecord, who: AuditActor, runs: { records: RunRecord[]; who: AuditActor } = { records: [], who }, maxDiffsPerUser = 0): Promise<void> {
    const k = this.keys;
    const event = this.event(p, who, undefined, { kind: p.kind, period: p.period, legacyRunId: p.legacyRunId, targetRunId: p.targetRunId });
    const parts = runs.records.map((r) => runWriteArgs(k, r, '', '', recordEvent(r, runs.who, undefined, runSnapshot(r), this.now())));
    const keys = [k.parallel(p.id), k.audit(p.pipeline), k.parallelsByPipeline(p.pipeline), k.intake, ...parts.flatMap((x) => x.keys), k.diffsByUser(p.requestedBy)];
    const argv = [JSON.stringify(p), event, String(p.createdAt), p.id, p.kind === 'diff' ? 'diff' : 'parallel', String(parts.length), ...parts.flatMap((x) => x.argv), String(k.retention.recordsMs), String(p.kind === 'diff' ? maxDiffsPerUser : 0), k.parallel('')];
    const ok = Number(await this.redis.cutoverParallelCreate(keys.length, ...keys, ...argv));
    if (ok === -2) throw new TooManyDiffsError(maxDiffsPerUser);
    if (ok !== 1) throw new InvalidStateError(`parallel run ${p.id} or one of its runs already exists`);
  }

  get(id: string): Promise<ParallelRecord | undefined> {
    return readJson<ParallelRecord>(this.redis, this.keys.parallel(id));
  }

  async require(id: string): Promise<ParallelRecord> {
    const p = await this.get(id);
    if (!p) throw new NotFoundError(`no parallel run with id ${id}`);
    return p;
  }

  /** Like RunStore.update; audits a change of state, verdict or output results. */
  async update(id: string, mutate: (p: ParallelRecord) => ParallelRecord | undefined, who: AuditActor): Promise<ParallelRecord> {
    return updateVersioned(
      `parallel run with id ${id}`,
      () => this.get(id),
      mutate,
      (current, stored) => {
        const changed = current.state !== stored.state || current.verdict !== stored.verdict || JSON.stringify(current.outputs) !== JSON.stringify(stored.outputs);
        const verdicts = Object.fromEntries(Object.entries(stored.outputs).map(([k, o]) => [k, o.verdict]));
        const event = changed
          ? this.event(stored, who, { state: current.state, verdict: current.verdict }, { state: stored.state, verdict: stored.verdict, verdictReason: stored.verdictReason, outputs: verdicts })
          : '';
        return this.cas(stored, String(current.version), event);
      },
      this.now,
    );
  }

  listByPipeline(pipeline: string, limit = 10): Promise<ParallelRecord[]> {
    return readNewest<ParallelRecord>(this.redis, this.keys.parallelsByPipeline(pipeline), (id) => this.keys.parallel(id), limit);
  }

  async saveReport(id: string, output: string, report: DiffReport): Promise<void> {
    const key = this.keys.parallelReports(id);
    await this.redis.multi().hset(key, output, JSON.stringify(report)).pexpire(key, this.keys.retention.reportsMs).exec();
  }

  async reports(id: string): Promise<Record<string, DiffReport>> {
    const raw = await this.redis.hgetall(this.keys.parallelReports(id));
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, JSON.parse(v) as DiffReport]));
  }

  /** CSV of mismatched rows per output (up to 10,000 rows each), for the report files. */
  async saveCsv(id: string, output: string, csv: string): Promise<void> {
    const key = this.keys.parallelCsvs(id);
    await this.redis.multi().hset(key, output, csv).pexpire(key, this.keys.retention.reportsMs).exec();
  }

  async csvs(id: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.parallelCsvs(id));
  }

  /** Which details were already posted to the thread, so a retried job never posts one twice. */
  async postedDetails(id: string): Promise<string[]> {
    return this.redis.smembers(this.keys.parallelPosted(id));
  }

  async markDetailPosted(id: string, what: string): Promise<void> {
    const key = this.keys.parallelPosted(id);
    await this.redis.multi().sadd(key, what).pexpire(key, this.keys.retention.reportsMs).exec();
  }

  private event(p: ParallelRecord, who: AuditActor, before: unknown, after: unknown): string {
    return recordEvent(p, who, before, after, this.now());
  }

  private cas(p: ParallelRecord, expected: string, event: string): Promise<number> {
    const k = this.keys;
    return this.redis.cutoverParallelCas(k.parallel(p.id), k.audit(p.pipeline), expected, JSON.stringify(p), event, p.state === 'done' ? String(k.retention.recordsMs) : '0').then(Number);
  }
}
