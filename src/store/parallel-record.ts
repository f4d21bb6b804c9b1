import type { DiffCounts, DiffReport, TypeChange } from '../diff/types.ts';
import type { MessageRef } from './run-record.ts';

/** What the parallel-run message shows for one output (the full report is stored beside it). */
export interface OutputSummary {
  output: string;
  /** `missing`: one side had no data at all for the period (`error` says which and where); never `different`. */
  verdict: 'clean' | 'different' | 'error' | 'missing';
  counts?: DiffCounts;
  schema?: { missing: string[]; extra: string[]; typeChanges: TypeChange[] };
  /** Columns with mismatches, most first (at most 5). */
  topColumns: Array<{ column: string; mismatches: number }>;
  /** Why the output could not be compared (missing data, engine error…). */
  error?: string;
  durationMs?: number;
  /** What each side was read as (Delta: the version and its commit time). */
  sources?: DiffReport['sources'];
}

export interface DqSummary {
  passed: boolean;
  failing: Array<{ output: string; check: string; failingRows: number; summary?: string }>;
  /** Checks that ran (those of outputs without data are not counted). */
  total: number;
  /** Outputs whose target data was missing, so their checks did not run (`no target data for …`). */
  missing?: string[];
}

/**
 * A parallel run: the legacy and the Databricks run of one pipeline and period, then one diff
 * per output and DQ on the target. `kind: 'diff'` is `/pipeline diff`: existing outputs only.
 */
export interface ParallelRecord {
  v: 1;
  /** `p-<time36>-<hex>`: never all digits, no colons. */
  id: string;
  kind: 'parallel' | 'diff';
  pipeline: string;
  period: string;
  requestedBy: string;
  channel: string;
  legacyRunId?: string;
  targetRunId?: string;
  state: 'running' | 'diffing' | 'done';
  outputs: Record<string, OutputSummary>;
  dq?: DqSummary;
  /** `clean` only when both runs succeeded, every output is within tolerance and DQ is green. */
  verdict?: 'clean' | 'different' | 'failed' | 'missing';
  verdictReason?: string;
  createdAt: number;
  endedAt?: number;
  updatedAt: number;
  version: number;
  message?: MessageRef;
  /** The pipeline's catalog version when the run was created (src/cutover/gates.ts `catalogVersionOf`). */
  catalogVersion?: string;
  /** Set once the per-output details and report files are in the thread (never posted twice). */
  detailsPosted?: boolean;
}
