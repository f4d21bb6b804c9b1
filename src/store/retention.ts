/**
 * How long Cutover keeps what it stores (issue 14 finding 10). Redis runs with `noeviction`, so
 * anything written without an end would fill it until writes fail. Every artifact gets an expiry
 * set in the same write that stores it (PEXPIRE in the same script or MULTI, never a separate
 * command a crash could skip), counted from its last write:
 * - `recordsMs`: records of finished work (ended runs, finished parallel runs and diffs, finished
 *   backfills, DQ alerts and results, row-count history, cutover executions). A record still in
 *   progress never expires (its jobs need it); it gets its expiry when it ends.
 * - `reportsMs`: the bulky part of a parallel run or diff: full diff reports, the CSVs of
 *   mismatched rows, and the marks of which details were posted.
 * - `auditMaxLen`: the audit stream is the trail of record and is kept; with a positive value each
 *   pipeline's stream is trimmed to about that many newest events (`XTRIM MAXLEN ~`).
 * The cutover plan's own state (steps, approval requests, stages) is kept: it is bounded by
 * people's actions, not by traffic.
 */
export interface Retention {
  recordsMs: number;
  reportsMs: number;
  auditMaxLen: number;
}

const DAY_MS = 24 * 3600_000;

/** Defaults of `CUTOVER_RETENTION_DAYS`, `CUTOVER_REPORT_RETENTION_DAYS` and `CUTOVER_AUDIT_MAXLEN`. */
export const DEFAULT_RETENTION: Retention = { recordsMs: 90 * DAY_MS, reportsMs: 30 * DAY_MS, auditMaxLen: 0 };

export const daysToMs = (days: number): number => Math.round(days * DAY_MS);
