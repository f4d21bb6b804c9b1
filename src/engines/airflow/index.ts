export { AirflowClient, type AirflowApiVersion, type AirflowClientOptions, type Dag, type DagRun, type TaskInstance } from './client.ts';
export { airflowDagRunId, CANCEL_NOTE, createAirflowEngine, parseAirflowExternalId, type AirflowEngineOptions } from './engine.ts';
export { mapDagRunState, mapTaskState } from './map-state.ts';
