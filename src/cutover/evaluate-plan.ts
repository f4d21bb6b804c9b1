import type { Pipeline } from '../config/catalog-schema.ts';
import type { CutoverRequest, CutoverStepRecord, StoredStepState } from '../store/cutover-record.ts';
import type { ParallelRecord } from '../store/parallel-record.ts';
import { defaultPeriod } from '../commands/parse-command.ts';
import { catalogVersionOf, configuredGates, gateEvidence, previousStepGate } from './gates.ts';
import { planHash } from './plan-version.ts';
import type { Approvers, CutoverStepConfig, DqResult, GateCheck, GateEvidence, PlanEvaluation, RequestKind, StepEvaluation, StepState } from './types.ts';

export interface PlanInput {
  pipeline: string;
  /** The pipeline's catalog entry. */
  config: Pipeline;
  /** Catalog `permissions.approve`: the approvers of pipelines whose cutover block names none. */
  defaultApprovers: readonly string[];
  /** Stored step records by step id (`CutoverStore.getSteps`); untouched steps are absent. */
  steps: Readonly<Record<string, CutoverStepRecord | undefined>>;
  /** The steps' latest requests (`record.requestId`), in any order; optional, for approvals so far and expiry. */
  requests?: readonly CutoverRequest[];
  /**
   * The pipeline's parallel runs, newest first (`ParallelStore.listByPipeline`): pass enough to
   * cover the largest `cleanParallelRuns` gate plus any `/pipeline diff`s and unfinished ones.
   */
  parallels: readonly ParallelRecord[];
  /** The latest trusted DQ result for `latestPeriod`, if any. */
  dq?: DqResult;
  /** The newest DQ result of any period or source (shown when it does not count). */
  dqNewest?: DqResult;
  /** The period `dqGreen` needs: the last complete month at `now` by default. */
  latestPeriod?: string;
  now: number;
}

/** A step that is in any of these keeps the steps before it from being rolled back. */
const BUSY: ReadonlySet<StepState> = new Set(['awaiting_approval', 'approved', 'executing', 'done', 'failed']);

/** The pipeline's `cutover.approvers`, else `permissions.approve` needing one approval. */
export function resolveApprovers(config: Pipeline, defaultApprovers: readonly string[]): Approvers {
  const own = config.cutover?.approvers;
  if (own) return { users: [...own.users], min: own.min, source: 'pipeline' };
  return { users: [...defaultApprovers], min: 1, source: 'permissions' };
}

/**
 * Where each cutover step of a pipeline stands: its state, its gates with the evidence that
 * counts, its plan versions and whether a request can be made. Pure: the same input always
 * gives the same output, so handlers, jobs and views can all call it.
 */
export function evaluatePlan(input: PlanInput): PlanEvaluation {
  const approvers = resolveApprovers(input.config, input.defaultApprovers);
  const problems = catalogProblems(input, approvers);
  const configs = input.config.cutover?.steps ?? [];
  const steps: StepEvaluation[] = [];
  const evidence: GateEvidence = {
    parallels: input.parallels,
    catalogVersion: catalogVersionOf(input.config),
    latestPeriod: input.latestPeriod ?? defaultPeriod(input.now),
    dq: input.dq,
    dqNewest: input.dqNewest,
  };
  for (const [index, config] of configs.entries()) {
    const record = input.steps[config.id];
    const request = record?.requestId ? input.requests?.find((r) => r.id === record.requestId) : undefined;
    const gates = configuredGates(config, evidence);
    const prev = steps[index - 1];
    if (prev) gates.unshift(previousStepGate(prev.id, prev.state));
    const gatesMet = gates.every((g) => g.met);
    const stored = storedState(record, request, input.now);
    const state: StepState = stored === 'ready' ? (gatesMet ? 'ready' : 'blocked') : stored;
    steps.push({
      id: config.id,
      index,
      state,
      config,
      gates,
      gatesMet,
      planVersion: planHash({ v: 1, kind: 'execute', step: stepConfig(config), approvers: versioned(approvers), evidence: gateEvidence(gates) }),
      rollbackVersion: planHash({ v: 1, kind: 'rollback', step: stepConfig(config), approvers: versioned(approvers) }),
      ...(record ? { record } : {}),
      ...(request ? { request } : {}),
      refusal: {},
    });
  }
  for (const step of steps) step.refusal = refusals(step, steps, problems);
  return { pipeline: input.pipeline, approvers, ttlHours: input.config.cutover?.requestTtlHours ?? 24, steps, problems };
}

/** The version a request of `kind` on this step binds to. */
export function versionFor(step: StepEvaluation, kind: RequestKind): string {
  return kind === 'execute' ? step.planVersion : step.rollbackVersion;
}

/**
 * The version a pending request must still match to be approved: its step's, as the plan is
 * now. A step gone from the catalog matches nothing, so the request is voided.
 */
export function currentVersionOf(plan: PlanEvaluation, request: Pick<CutoverRequest, 'step' | 'kind'>): string {
  const step = plan.steps.find((s) => s.id === request.step);
  return step ? versionFor(step, request.kind) : 'step-removed';
}

/** A pending request that ran out (or was decided) no longer holds the step; it is back where it was. */
function storedState(record: CutoverStepRecord | undefined, request: CutoverRequest | undefined, now: number): StoredStepState {
  if (!record) return 'ready';
  const lapsed = request && (request.state !== 'pending' || request.expiresAt <= now);
  if (record.state === 'awaiting_approval' && lapsed) return record.idleState ?? 'ready';
  return record.state;
}

const stepConfig = (c: CutoverStepConfig) => ({ id: c.id, gate: c.gate ?? null, actions: c.actions, rollback: c.rollback });
const versioned = (a: Approvers) => ({ users: a.users, min: a.min });

function catalogProblems(input: PlanInput, approvers: Approvers): string[] {
  if (!input.config.cutover) return [`${input.pipeline} has no cutover steps in the catalog`];
  const problems: string[] = [];
  if (approvers.users.length === 0) problems.push('nobody can approve: set cutover.approvers for the pipeline or permissions.approve');
  // User groups (S…) can hold any number of people, so only a list of single users can be short.
  const onlyUsers = approvers.users.every((u) => !u.startsWith('S'));
  if (approvers.users.length > 0 && onlyUsers && approvers.users.length < approvers.min) {
    problems.push(`cutover.approvers needs ${approvers.min} approvals but names only ${approvers.users.length} approver${approvers.users.length === 1 ? '' : 's'}`);
  }
  return problems;
}

function refusals(step: StepEvaluation, all: readonly StepEvaluation[], problems: readonly string[]): Partial<Record<RequestKind, string>> {
  const out: Partial<Record<RequestKind, string>> = {};
  if (problems[0]) return { execute: problems[0], rollback: problems[0] };
  const pendingText = step.request ? `${step.request.kind === 'execute' ? 'an execute' : 'a rollback'} request (${step.request.id}) is already waiting for approval` : 'a request is already waiting for approval';
  if (step.state === 'awaiting_approval') out.execute = pendingText;
  else if (step.state === 'approved' || step.state === 'executing') out.execute = `the step is already ${step.state}`;
  else if (step.state === 'done') out.execute = 'the step is already done';
  else if (!step.gatesMet) out.execute = `not yet: ${unmet(step.gates)}`;

  if (step.state === 'awaiting_approval') out.rollback = pendingText;
  else if (step.state !== 'done' && step.state !== 'failed') out.rollback = `only a done or failed step can be rolled back (this one is ${step.state})`;
  else if (step.config.rollback.length === 0) out.rollback = `step ${step.id} has no rollback actions in the catalog`;
  else {
    const later = all.slice(step.index + 1).find((s) => BUSY.has(s.state));
    if (later) out.rollback = `roll back step ${later.id} first (it is ${later.state})`;
  }
  return out;
}

const unmet = (gates: readonly GateCheck[]) =>
  gates
    .filter((g) => !g.met)
    .map((g) => g.reason)
    .join('; ');
