/**
 * Dataset comparison (issue 3 part 3): the embedded DuckDB engine, the Databricks SQL
 * pushdown, and the data-access layer the DQ checks reuse (`withDuckDb` + `registerDataset`).
 */
export { diffDatasets, type DiffInput } from './run-diff.ts';
export type * from './types.ts';
export { isClean } from './build-report.ts';
export { withDuckDb, sqlString, DEFAULT_ENGINE_OPTIONS, type DuckDbSession } from './duckdb-session.ts';
export { duckdbDialect } from './duckdb-dialect.ts';
export { databricksDialect } from './databricks-dialect.ts';
export { pushdownDiff, type PushdownInput, type WarehouseQuery } from './databricks/pushdown-diff.ts';
export { tableRef, tableRelation, warehouseRelation, type WarehouseRelation } from './databricks/warehouse-relations.ts';
export { SqlStatementClient, type SqlStatementClientOptions, type StatementResult, type StatementParameter } from './databricks/sql-statement-client.ts';
export { diffOutput, compareOptionsOf, type DiffOutputDeps } from './diff-output.ts';
export { exportMismatchedRows, csvField, csvLine, MISMATCH_KINDS, type MismatchKind, type ExportOptions } from './mismatch-rows.ts';
