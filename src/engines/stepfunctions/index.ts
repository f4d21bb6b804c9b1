export { CANCEL_ERROR, createStepFunctionsEngine, type StepFunctionsEngineOptions } from './engine.ts';
export { executionArnFor, mapExecutionStatus, sfnExecutionName } from './execution-status.ts';
