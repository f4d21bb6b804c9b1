import type { CutoverAction } from '../config/catalog-schema.ts';
import type { MessageRef } from './run-record.ts';

/**
 * What Redis keeps of a cutover step. `ready` means "idle": whether an idle step is really
 * `blocked` or `ready` depends on its gates, which `evaluatePlan` works out from the catalog
 * and the evidence every time (src/cutover/evaluate-plan.ts), so it is never stored.
 */
export type StoredStepState = 'ready' | 'awaiting_approval' | 'approved' | 'executing' | 'done' | 'failed' | 'rolled_back';

/** `execute` runs the step's `actions`; `rollback` runs its `rollback` actions. */
export type RequestKind = 'execute' | 'rollback';

export type RequestState = 'pending' | 'approved' | 'rejected' | 'expired' | 'void';

/** One step of one pipeline, as stored (a Redis hash: see `parseStepHash`). */
export interface CutoverStepRecord {
  pipeline: string;
  step: string;
  state: StoredStepState;
  /** The latest request for this step (pending while `state` is `awaiting_approval`). */
  requestId?: string;
  requestKind?: RequestKind;
  /** The plan version the latest request was made (and approved) for. */
  planVersion?: string;
  /** Where the step goes back to when its pending request is rejected, expires or is voided. */
  idleState?: StoredStepState;
  /** Set when an execution or rollback failed; kept until the next one succeeds. */
  lastError?: { code: string; message: string; at: number };
  updatedAt?: number;
}

export interface Approval {
  user: string;
  name?: string;
  at: number;
}

export interface Rejection {
  user: string;
  name?: string;
  reason: string;
  at: number;
}

/** A four-eyes request to execute (or roll back) one step, bound to the plan version it showed. */
export interface CutoverRequest {
  /** `c-<time36>-<hex>`: no colons, never all digits (usable in BullMQ job ids and button values). */
  id: string;
  pipeline: string;
  step: string;
  kind: RequestKind;
  requestedBy: string;
  requestedByName?: string;
  planVersion: string;
  /** Distinct approvals needed (the requester never counts). */
  min: number;
  /**
   * The actions (`execute`) or rollback actions the request asks to run, as the catalog had them
   * when it was made: execution runs exactly these. Absent on requests made before snapshots.
   */
  actions?: CutoverAction[];
  /** Distinct approvers, in the order they clicked. */
  approvals: Approval[];
  rejection?: Rejection;
  state: RequestState;
  createdAt: number;
  expiresAt: number;
  /** When it left `pending`. */
  decidedAt?: number;
  /** For `void`: the plan version that replaced the one the request was made for. */
  voidedFor?: string;
  /** The approval message in the pipeline channel, once posted. */
  message?: MessageRef;
}

/** Who did it, for the audit trail. */
export interface CutoverActor {
  actor: string;
  actorName?: string;
}

/**
 * What opening a request takes: the request's own fields, where `planVersion` is the version the
 * requester saw (`evaluatePlan` → step `planVersion` or `rollbackVersion`).
 */
export interface NewRequest extends Pick<CutoverRequest, 'pipeline' | 'step' | 'kind' | 'requestedBy' | 'requestedByName' | 'planVersion' | 'min'> {
  /** The step's `actions` for `execute`, its `rollback` for `rollback`, as the plan showed them. */
  actions: CutoverAction[];
  /** Catalog `cutover.requestTtlHours`. */
  ttlHours: number;
}

export type CreateRequestResult =
  | { outcome: 'created'; request: CutoverRequest }
  /** The step already has a pending, unexpired request: that one. */
  | { outcome: 'pending'; request: CutoverRequest }
  /** The step is in a state this kind of request cannot start from. */
  | { outcome: 'state'; state: StoredStepState };

export type ApproveOutcome = 'counted' | 'approved' | 'duplicate' | 'own-request' | 'expired' | 'void' | 'decided';
export type RejectOutcome = 'rejected' | 'own-request' | 'expired' | 'decided';

export type SetStepStateResult = { ok: true; before: StoredStepState } | { ok: false; state: StoredStepState };

/** Hash fields → record. Numbers and nested objects are stored as strings (see src/cutover/store-scripts.ts). */
export function parseRequestHash(h: Record<string, string>): CutoverRequest | undefined {
  if (!h.id) return undefined;
  const opt = <T>(json: string | undefined): T | undefined => (json ? (JSON.parse(json) as T) : undefined);
  const approvals = opt<unknown>(h.approvals);
  return {
    id: h.id,
    pipeline: h.pipeline ?? '',
    step: h.step ?? '',
    kind: (h.kind as RequestKind | undefined) ?? 'execute',
    requestedBy: h.requestedBy ?? '',
    ...(h.requestedByName ? { requestedByName: h.requestedByName } : {}),
    planVersion: h.planVersion ?? '',
    min: Number(h.min ?? 1),
    approvals: Array.isArray(approvals) ? (approvals as Approval[]) : [],
    ...(h.actions ? { actions: opt<CutoverAction[]>(h.actions) } : {}),
    ...(h.rejection ? { rejection: opt<Rejection>(h.rejection) } : {}),
    state: (h.state as RequestState | undefined) ?? 'pending',
    createdAt: Number(h.createdAt ?? 0),
    expiresAt: Number(h.expiresAt ?? 0),
    ...(h.decidedAt ? { decidedAt: Number(h.decidedAt) } : {}),
    ...(h.voidedFor ? { voidedFor: h.voidedFor } : {}),
    ...(h.message ? { message: opt<MessageRef>(h.message) } : {}),
  };
}

export function parseStepHash(pipeline: string, step: string, h: Record<string, string>): CutoverStepRecord | undefined {
  if (!h.state) return undefined;
  return {
    pipeline,
    step,
    state: h.state as StoredStepState,
    ...(h.requestId ? { requestId: h.requestId } : {}),
    ...(h.requestKind ? { requestKind: h.requestKind as RequestKind } : {}),
    ...(h.planVersion ? { planVersion: h.planVersion } : {}),
    ...(h.idleState ? { idleState: h.idleState as StoredStepState } : {}),
    ...(h.lastError ? { lastError: JSON.parse(h.lastError) as CutoverStepRecord['lastError'] } : {}),
    ...(h.updatedAt ? { updatedAt: Number(h.updatedAt) } : {}),
  };
}

/** The step states from which a request of each kind may be made (checked atomically by the store). */
export const REQUESTABLE_FROM: Record<RequestKind, readonly StoredStepState[]> = {
  execute: ['ready', 'failed', 'rolled_back'],
  rollback: ['done', 'failed'],
};
