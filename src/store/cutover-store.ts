import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { APPROVE, CREATE_REQUEST, EXPIRE, REJECT, SET_MESSAGE, SET_STEP_STATE, VOID_IF_STALE } from '../cutover/store-scripts.ts';
import { InvalidStateError, NotFoundError, UsageError } from '../errors.ts';
import type { AuditEvent } from './audit-log.ts';
import {
  REQUESTABLE_FROM,
  parseRequestHash,
  parseStepHash,
  type ApproveOutcome,
  type CreateRequestResult,
  type CutoverActor,
  type CutoverRequest,
  type CutoverStepRecord,
  type NewRequest,
  type RejectOutcome,
  type SetStepStateResult,
  type StoredStepState,
} from './cutover-record.ts';

export type { ApproveOutcome, CreateRequestResult, CutoverActor, NewRequest, RejectOutcome, SetStepStateResult } from './cutover-record.ts';
import { withScripts, type Keyspace } from './redis.ts';
import type { MessageRef } from './run-record.ts';

type Outcome = [string, string[]];
type Scripts = {
  [K in 'cutoverCreateRequest' | 'cutoverApprove' | 'cutoverReject' | 'cutoverExpire' | 'cutoverVoid']: (...args: Array<string | number>) => Promise<Outcome>;
} & { cutoverSetStep(...args: Array<string | number>): Promise<number>; cutoverSetMessage(...args: Array<string | number>): Promise<number> };

/** `c-<time36>-<hex>`, like run ids: short, no colons, never all digits. */
export const newRequestId = (now = Date.now()): string => `c-${now.toString(36)}-${randomBytes(3).toString('hex')}`;

/**
 * Cutover steps and their four-eyes approval requests. Every mutation is one Lua script that
 * writes the records and appends the audit event (`cutover.*`, subject = step id) together;
 * the audit stream is only ever appended to. Refused clicks change nothing and are not audited.
 * Whether the clicking user may approve at all (user or user-group) is the caller's check.
 */
export class CutoverStore {
  private readonly redis: Redis & Scripts;

  constructor(
    redis: Redis,
    private readonly keys: Keyspace,
    private readonly clock: () => number = Date.now,
  ) {
    this.redis = withScripts<Scripts>(redis, {
      cutoverCreateRequest: { keys: 6, lua: CREATE_REQUEST },
      cutoverApprove: { keys: 6, lua: APPROVE },
      cutoverReject: { keys: 6, lua: REJECT },
      cutoverExpire: { keys: 6, lua: EXPIRE },
      cutoverVoid: { keys: 6, lua: VOID_IF_STALE },
      cutoverSetStep: { keys: 2, lua: SET_STEP_STATE },
      cutoverSetMessage: { keys: 1, lua: SET_MESSAGE },
    });
  }

  /**
   * Opens a request, atomically refusing when the step already has a pending one (an expired
   * one is marked expired first) or is not in a state the kind starts from (REQUESTABLE_FROM).
   * Gates are not checked here: `evaluatePlan` does that, and the plan version carries them.
   */
  async createRequest(input: NewRequest, now = this.clock()): Promise<CreateRequestResult> {
    const k = this.keys;
    const id = newRequestId(now);
    const base = this.base({ actor: input.requestedBy, actorName: input.requestedByName }, input.pipeline, now);
    for (let attempt = 0; attempt < 20; attempt++) {
      const seen = (await this.redis.hget(k.cutoverStep(input.pipeline, input.step), 'requestId')) ?? '';
      const [outcome, extra] = await this.redis.cutoverCreateRequest(
        k.cutoverStep(input.pipeline, input.step), k.cutoverRequest(id), k.cutoverRequest(seen || id),
        k.cutoverPending(input.pipeline), k.cutoverPendingAll, k.audit(input.pipeline),
        seen, REQUESTABLE_FROM[input.kind].join(' '), now, base, id, input.pipeline, input.step, input.kind,
        input.planVersion, input.min, now + Math.round(input.ttlHours * 3_600_000), input.requestedBy, input.requestedByName ?? '', JSON.stringify(input.actions),
      );
      if (outcome === 'created') return { outcome, request: await this.requireRequest(id) };
      if (outcome === 'pending') return { outcome, request: await this.requireRequest(String(extra)) };
      if (outcome === 'state') return { outcome, state: String(extra) as StoredStepState };
      if (outcome === 'exists') throw new InvalidStateError(`cutover request ${id} already exists`);
      // 'retry': another request was opened between our read and the script; read again.
    }
    throw new InvalidStateError(`cutover step ${input.pipeline}/${input.step} is changing too fast to request`);
  }

  /**
   * Counts one approval (see ApproveOutcome); `approved` means `min` was reached and the step is
   * now `approved`, and its execution is in the workers' intake (same script).
   */
  async approve(requestId: string, user: string, name: string | undefined, currentPlanVersion: string, now = this.clock()): Promise<{ outcome: ApproveOutcome; request: CutoverRequest }> {
    return this.decide('cutoverApprove', requestId, { actor: user, actorName: name }, now, [user, name ?? '', currentPlanVersion, now]);
  }

  /** Rejects with a reason (required); the step goes back to where it was before the request. */
  async reject(requestId: string, user: string, name: string | undefined, reason: string, now = this.clock()): Promise<{ outcome: RejectOutcome; request: CutoverRequest }> {
    if (!reason.trim()) throw new UsageError('a rejection needs a reason');
    return this.decide('cutoverReject', requestId, { actor: user, actorName: name }, now, [user, name ?? '', reason.trim(), now]);
  }

  /** Voids a pending request made for another plan version than `currentPlanVersion` (e.g. after a catalog reload). */
  async voidIfStale(requestId: string, currentPlanVersion: string, who: CutoverActor, now = this.clock()) {
    return this.decide<'void' | 'current' | 'decided'>('cutoverVoid', requestId, who, now, [currentPlanVersion, now]);
  }

  /** Marks every pending request whose time is up as expired; returns them (their messages need an update). */
  async expireDue(now = this.clock()): Promise<CutoverRequest[]> {
    const ids = await this.redis.zrangebyscore(this.keys.cutoverPendingAll, '-inf', '+inf');
    const expired: CutoverRequest[] = [];
    for (const id of ids) {
      const r = await this.getRequest(id);
      if (!r || r.expiresAt > now) continue;
      const { outcome, request } = await this.decide('cutoverExpire', id, { actor: 'cutover' }, now, [now]);
      if (outcome === 'expired') expired.push(request);
    }
    return expired;
  }

  /**
   * Compare-and-set of a step's state with a `cutover.step` audit event: succeeds only when the
   * step is in one of `from`. `error` is kept as the step's `lastError` (cleared by `done`/`rolled_back`).
   */
  async setStepState(
    pipeline: string,
    step: string,
    from: readonly StoredStepState[],
    to: StoredStepState,
    who: CutoverActor,
    detail: Record<string, unknown> = {},
    opts: { error?: { code: string; message: string }; now?: number } = {},
  ): Promise<SetStepStateResult> {
    const now = opts.now ?? this.clock();
    for (let attempt = 0; attempt < 50; attempt++) {
      const current = (await this.getStep(pipeline, step)) ?? { pipeline, step, state: 'ready' as const };
      if (!from.includes(current.state)) return { ok: false, state: current.state };
      const event: AuditEvent = {
        ...JSON.parse(this.base(who, pipeline, now)),
        action: 'cutover.step', subject: step, before: { state: current.state }, after: { state: to },
        detail: { ...detail, requestId: current.requestId, kind: current.requestKind, planVersion: current.planVersion, ...(opts.error ? { error: opts.error } : {}) },
      };
      const error = opts.error ? JSON.stringify({ ...opts.error, at: now }) : '';
      const ok = await this.redis.cutoverSetStep(this.keys.cutoverStep(pipeline, step), this.keys.audit(pipeline), current.state, current.requestId ?? '', to, now, JSON.stringify(event), error);
      if (Number(ok) === 1) return { ok: true, before: current.state };
    }
    throw new InvalidStateError(`cutover step ${pipeline}/${step} is changing too fast to update`);
  }

  async getStep(pipeline: string, step: string): Promise<CutoverStepRecord | undefined> {
    return parseStepHash(pipeline, step, await this.redis.hgetall(this.keys.cutoverStep(pipeline, step)));
  }

  /** Every step's record by id (steps never touched are absent). */
  async getSteps(pipeline: string, steps: readonly string[]): Promise<Record<string, CutoverStepRecord>> {
    const rows = await Promise.all(steps.map((s) => this.getStep(pipeline, s)));
    return Object.fromEntries(rows.flatMap((r) => (r ? [[r.step, r]] : [])));
  }

  async getRequest(id: string): Promise<CutoverRequest | undefined> {
    return parseRequestHash(await this.redis.hgetall(this.keys.cutoverRequest(id)));
  }

  async requireRequest(id: string): Promise<CutoverRequest> {
    const r = await this.getRequest(id);
    if (!r) throw new NotFoundError(`no cutover request with id ${id}`);
    return r;
  }

  /** Pending requests of a pipeline, oldest first (an expired one stays until marked: check `expiresAt`). */
  async pendingRequests(pipeline: string): Promise<CutoverRequest[]> {
    return this.requests(await this.redis.zrange(this.keys.cutoverPending(pipeline), '0', '-1'));
  }

  /** Pending requests of every pipeline, oldest first, for the App Home board. */
  async pendingRequestsAll(): Promise<CutoverRequest[]> {
    return this.requests(await this.redis.zrange(this.keys.cutoverPendingAll, '0', '-1'));
  }

  /** Remembers the approval message, so later changes edit it in place. Returns false for an unknown request. */
  async setRequestMessage(id: string, message: MessageRef): Promise<boolean> {
    return Number(await this.redis.cutoverSetMessage(this.keys.cutoverRequest(id), JSON.stringify(message))) === 1;
  }

  private async requests(ids: string[]): Promise<CutoverRequest[]> {
    const rows = await Promise.all(ids.map((id) => this.getRequest(id)));
    return rows.filter((r): r is CutoverRequest => r !== undefined);
  }

  private async decide<O extends string>(script: keyof Scripts, requestId: string, who: CutoverActor, now: number, argv: Array<string | number>): Promise<{ outcome: O; request: CutoverRequest }> {
    const k = this.keys;
    // pipeline and step never change, so reading them before the script is safe.
    const [pipeline, step] = await this.redis.hmget(k.cutoverRequest(requestId), 'pipeline', 'step');
    if (!pipeline || !step) throw new NotFoundError(`no cutover request with id ${requestId}`);
    const run = this.redis[script] as (...args: Array<string | number>) => Promise<Outcome>;
    const [outcome, fields] = await run.call(
      this.redis, k.cutoverRequest(requestId), k.cutoverStep(pipeline, step), k.cutoverPending(pipeline), k.cutoverPendingAll, k.audit(pipeline), k.intake,
      ...argv, this.base(who, pipeline, now),
    );
    if (outcome === 'not-found') throw new NotFoundError(`no cutover request with id ${requestId}`);
    if (outcome === 'no-reason') throw new UsageError('a rejection needs a reason');
    return { outcome: outcome as O, request: parseRequestHash(toObject(fields)) as CutoverRequest };
  }

  /** The who/when/where of an audit event; the script adds action, subject, before, after and detail. */
  private base(who: CutoverActor, pipeline: string, at: number): string {
    return JSON.stringify({ at, actor: who.actor, ...(who.actorName ? { actorName: who.actorName } : {}), pipeline });
  }
}

function toObject(flat: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) o[flat[i]!] = flat[i + 1]!;
  return o;
}
