export { createEmrServerlessEngine, type EmrServerlessEngineOptions } from './engine.ts';
export { emrServerlessClientToken, mapJobRunState } from './job-run-status.ts';
