/**
 * The parts of `commitInfo` Cutover reads (formats.md 2): which Databricks job run committed a
 * version, and the in-commit timestamp when the table has one. Never part of the table state.
 */
export interface CommitInfo {
  operation?: string;
  /** `job.jobRunId`: the whole (multi-task) job run, what `run-now` returned. */
  jobRunId?: string;
  /** `job.runId`: the task run that committed. */
  taskRunId?: string;
  jobId?: string;
  /** Epoch ms, only on tables with in-commit timestamps. */
  inCommitTimestamp?: number;
}

export function parseCommitInfo(raw: Record<string, unknown>): CommitInfo {
  const job = (raw.job ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (v === null || v === undefined || v === '' ? undefined : String(v));
  const ict = raw.inCommitTimestamp;
  return {
    operation: text(raw.operation),
    jobRunId: text(job.jobRunId),
    taskRunId: text(job.runId),
    jobId: text(job.jobId),
    inCommitTimestamp: typeof ict === 'number' || typeof ict === 'string' ? Number(ict) : undefined,
  };
}
