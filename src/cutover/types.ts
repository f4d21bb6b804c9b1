import type { CutoverAction, Pipeline } from '../config/catalog-schema.ts';
import type { CutoverRequest, CutoverStepRecord, RequestKind } from '../store/cutover-record.ts';
import type { ParallelRecord } from '../store/parallel-record.ts';

/** DESIGN.md "Cutover step": blocked → ready → awaiting_approval → approved → executing → done | failed, and rolled_back. */
export type StepState = 'blocked' | 'ready' | 'awaiting_approval' | 'approved' | 'executing' | 'done' | 'failed' | 'rolled_back';

/** One step as the catalog defines it. */
export type CutoverStepConfig = NonNullable<Pipeline['cutover']>['steps'][number];
export type { CutoverAction, RequestKind };

/** A DQ result on the target (a `DqLatest` from the DQ store fits). */
export interface DqResult {
  passed: boolean;
  at: number;
  /** Anything that identifies the result (run id, alert id); part of the plan version when given. */
  id?: string;
  period?: string;
  /** Where it came from: run, parallel, command, rerun, sns. */
  source?: string;
  /** From Cutover's own checks, or an inbound topic trusted for gates. */
  trusted?: boolean;
}

/** Everything gates are decided on (one object, so a new gate kind needs no new parameter). */
export interface GateEvidence {
  /** The pipeline's parallel runs, newest first. */
  parallels: readonly ParallelRecord[];
  /** The pipeline's catalog version now (`catalogVersionOf`); runs under another one do not count. */
  catalogVersion?: string;
  /** The period `dqGreen` needs a result for: the last complete month. */
  latestPeriod: string;
  /** The latest trusted DQ result for `latestPeriod`. */
  dq?: DqResult;
  /** The newest DQ result of any period and source, to say why it does not count when it does not. */
  dqNewest?: DqResult;
}

/** Who approves a pipeline's steps: its `cutover.approvers`, else `permissions.approve` with `min: 1`. */
export interface Approvers {
  /** User (`U…`/`W…`) or user-group (`S…`) ids. */
  users: string[];
  min: number;
  source: 'pipeline' | 'permissions';
}

/** A parallel run looked at for a `cleanParallelRuns` gate: whether it counts, and why not. */
export interface ParallelEvidence {
  id: string;
  period: string;
  verdict: NonNullable<ParallelRecord['verdict']> | 'none';
  counted: boolean;
  why?: string;
  /** The catalog version it ran under (`catalogVersionOf`). */
  catalogVersion?: string;
  endedAt?: number;
}

export type GateCheck =
  /** Implicit: steps go in order, so a step waits until the one before it is `done`. */
  | { gate: 'previousStep'; met: boolean; reason: string; previous: string; previousState: StepState }
  | { gate: 'cleanParallelRuns'; met: boolean; reason: string; required: number; runs: ParallelEvidence[] }
  | { gate: 'dqGreen'; met: boolean; reason: string; dq?: DqResult; ignored?: DqResult };

export interface StepEvaluation {
  id: string;
  index: number;
  state: StepState;
  config: CutoverStepConfig;
  /** Every gate of the step, the implicit `previousStep` first. */
  gates: GateCheck[];
  gatesMet: boolean;
  /** Version an `execute` request binds to: step config, approvers and the gates' evidence. */
  planVersion: string;
  /** Version a `rollback` request binds to: step config and approvers (evidence does not matter to undo). */
  rollbackVersion: string;
  /** What Redis holds for the step (absent until its first request). */
  record?: CutoverStepRecord;
  /** The step's latest request, when the caller passed it. */
  request?: CutoverRequest;
  /** Why a request of each kind cannot be made now; absent when it can. */
  refusal: Partial<Record<RequestKind, string>>;
}

export interface PlanEvaluation {
  pipeline: string;
  approvers: Approvers;
  ttlHours: number;
  steps: StepEvaluation[];
  /** Catalog problems that make the plan unusable (no cutover block, nobody to approve…). */
  problems: string[];
}
