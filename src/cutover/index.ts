/** Cutover (issue 5): gated go-live steps, four-eyes approvals and actions with rollback. */
export { currentVersionOf, evaluatePlan, resolveApprovers, versionFor, type PlanInput } from './evaluate-plan.ts';
export { catalogVersionOf, cleanParallelRunsGate, countedParallelRuns, dqGreenGate, GATE_KINDS, previousStepGate } from './gates.ts';
export { planHash, stableStringify } from './plan-version.ts';
export { actionEntry, describeAction, snsEventName, type ActionName } from './describe-action.ts';
export { requestsAwaiting } from './awaiting-viewer.ts';
export {
  executeAction,
  executeActions,
  setDatabricksSchedule,
  cancelPendingEmrSteps,
  type ActionContext,
  type ActionProgress,
  type ActionResult,
  type CutoverEvent,
  type PublishCutoverEvent,
} from './actions/index.ts';
export type {
  Approvers,
  CutoverStepConfig,
  DqResult,
  GateCheck,
  ParallelEvidence,
  PlanEvaluation,
  StepEvaluation,
  StepState,
} from './types.ts';
