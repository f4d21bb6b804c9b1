/**
 * Data-quality checks (issue 4 part 1): each catalog check compiled to SQL and run where the
 * output lives — DuckDB for `path:` outputs, the Databricks SQL warehouse for `table:` ones —
 * through the diff engine's data-access layer. The bot's jobs and `cutover dq` share `runChecks`.
 */
export { runChecks } from './run-checks.ts';
export type { CheckResult, CheckKind, RunChecksInput, RunChecksResult, SampleRow } from './types.ts';
export { InMemoryRowCountHistory, RedisRowCountHistory, type RowCountHistory, type RedisRowCountHistoryOptions } from './row-count-history.ts';
export { checkKind, checkLabel, compileCheck, type CompileContext, type CompiledCheck } from './compile-check.ts';
export { databricksChecks, duckdbChecks, type CheckDialect } from './check-dialect.ts';
export { SAMPLE_LIMIT } from './execute-check.ts';
