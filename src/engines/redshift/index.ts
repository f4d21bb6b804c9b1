export { createRedshiftEngine, type RedshiftEngineOptions } from './engine.ts';
export { mapStatementStatus, redshiftClientToken } from './statement-status.ts';
