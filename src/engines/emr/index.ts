export { createEmrEngine, emrStepName, type EmrEngineOptions } from './engine.ts';
export { mapStepState, parseExternalId as parseEmrExternalId } from './step-status.ts';
export { toAwsApiError } from './to-api-error.ts';
