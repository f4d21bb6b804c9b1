export { DatabricksClient, type DatabricksClientOptions, type RunNowInput, type RepairRunInput } from './client.ts';
export { createDatabricksEngine, type DatabricksEngineClient } from './engine.ts';
export { mapRunState, describeRunState, neverRan, stateMessage } from './map-state.ts';
export type * from './types.ts';
