import type { Redis } from 'ioredis';
import type { AuditActor, AuditEvent } from './audit-log.ts';
import type { DqAlertRecord, DqLatest } from './dq-alert-record.ts';
import { readJson, withScripts, type CasCommand, type Keyspace } from './redis.ts';
import { updateVersioned } from './update-versioned.ts';

/**
 * Compare-and-set of a DQ alert, its audit event and (for a new result) the pipeline's latest
 * DQ result, in one script: the gate `dqGreen` can never see a result the audit trail lacks.
 * KEYS: alert, audit stream, latest, period evidence. ARGV: expected version ('0' = new), json,
 * audit json, latest json, evidence json (only for results trusted as gate evidence), expiry ms
 * (each key written lives that long after its last write; src/store/retention.ts).
 */
const CAS_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if cur then return 0 end
else
  if not cur then return -1 end
  if tostring(cjson.decode(cur).version) ~= ARGV[1] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[6])
if ARGV[3] ~= '' then redis.call('XADD', KEYS[2], '*', 'event', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[6]) end
if ARGV[5] ~= '' then redis.call('SET', KEYS[4], ARGV[5], 'PX', ARGV[6]) end
return 1
`;

/** What an update records besides the alert itself. */
export interface DqChange {
  /** Set when this update is a new check result: it becomes the pipeline's latest. */
  latest?: DqLatest;
  /** Audit detail for the event (the alert's state and failures go in before/after). */
  detail?: Record<string, unknown>;
}

/** DQ alerts, one per pipeline and period, and each pipeline's latest DQ result. */
export class DqAlertStore {
  private readonly redis: Redis & { cutoverDqCas: CasCommand };

  constructor(
    redis: Redis,
    private readonly keys: Keyspace,
    private readonly now: () => number = Date.now,
  ) {
    this.redis = withScripts<{ cutoverDqCas: CasCommand }>(redis, { cutoverDqCas: { keys: 4, lua: CAS_SCRIPT } });
  }

  get(pipeline: string, period: string): Promise<DqAlertRecord | undefined> {
    return readJson<DqAlertRecord>(this.redis, this.keys.dqAlert(pipeline, period));
  }

  latest(pipeline: string): Promise<DqLatest | undefined> {
    return readJson<DqLatest>(this.redis, this.keys.dqLatest(pipeline));
  }

  /** The latest trusted result (own checks, or a trusted topic) of one period: the `dqGreen` gate's evidence. */
  evidence(pipeline: string, period: string): Promise<DqLatest | undefined> {
    return readJson<DqLatest>(this.redis, this.keys.dqEvidence(pipeline, period));
  }

  /**
   * Applies `mutate` to the stored alert (or to `blank` when there is none yet, version 0)
   * and writes it with its audit event if nobody changed it meanwhile. `mutate` returns
   * undefined to leave it as it is, and may say what else the write records.
   */
  async update(
    blank: DqAlertRecord,
    mutate: (cur: DqAlertRecord) => { next: DqAlertRecord; change?: DqChange } | undefined,
    who: AuditActor,
  ): Promise<DqAlertRecord> {
    let change: DqChange | undefined;
    return updateVersioned(
      `DQ alert of ${blank.pipeline} ${blank.period}`,
      async () => (await this.get(blank.pipeline, blank.period)) ?? blank,
      (cur) => {
        const out = mutate(cur);
        change = out?.change;
        return out?.next;
      },
      (current, stored) => {
        const k = this.keys;
        const event: AuditEvent = {
          at: this.now(),
          actor: who.actor,
          actorName: who.actorName,
          pipeline: stored.pipeline,
          action: who.action,
          subject: `${stored.pipeline}:${stored.period}`,
          before: current.version === 0 ? undefined : snapshot(current),
          after: snapshot(stored),
          detail: change?.detail,
        };
        // Bookkeeping (message refs, notes posted) changes nothing people care about: not audited.
        const audited = current.version === 0 || change !== undefined || JSON.stringify(snapshot(current)) !== JSON.stringify(snapshot(stored));
        const latest = change?.latest ? JSON.stringify(change.latest) : '';
        const evidence = change?.latest?.trusted ? latest : '';
        return this.redis
          .cutoverDqCas(k.dqAlert(stored.pipeline, stored.period), k.audit(stored.pipeline), k.dqLatest(stored.pipeline), k.dqEvidence(stored.pipeline, stored.period), String(current.version), JSON.stringify(stored), audited ? JSON.stringify(event) : '', latest, evidence, String(k.retention.recordsMs))
          .then(Number);
      },
      this.now,
    );
  }
}

/** What the audit trail keeps of an alert: its state, failures and who acted on it. */
function snapshot(a: DqAlertRecord) {
  return {
    state: a.state,
    failing: a.failing.map((f) => ({ output: f.output, check: f.check, failingRows: f.failingRows })),
    total: a.total,
    acknowledgedBy: a.acknowledgedBy?.user,
    mutedBy: a.mutedBy?.user,
  };
}
