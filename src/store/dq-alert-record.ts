import type { SampleRow } from '../checks/types.ts';
import type { MessageRef } from './run-record.ts';

/** One failing check as the DQ thread shows it (samples already PII-protected). */
export interface FailingCheck {
  output: string;
  check: string;
  failingRows: number;
  /** What failed in words, for checks that count rows (`7 rows, at least 100 expected`). */
  summary?: string;
  /** Set when the check could not run at all. */
  error?: string;
  samples?: SampleRow[];
  /** The query that found the failures, for the people fixing the data. */
  sql?: string;
}

/** Where a DQ result came from; shown in the thread and the audit trail. */
export type DqSource = 'run' | 'parallel' | 'command' | 'rerun' | 'sns';

/**
 * A change worth one thread reply (issue 4: "alerts fire on a change of state only").
 * `still-failing` is not an event: a persisting failure only edits the summary.
 */
export type DqEvent =
  | { kind: 'opened'; at: number }
  | { kind: 'changed'; at: number; added: string[]; removed: string[] }
  | { kind: 'reopened'; at: number }
  | { kind: 'resolved'; at: number }
  | { kind: 'acknowledged'; at: number; by: string }
  | { kind: 'muted'; at: number; by: string }
  | { kind: 'reminder'; at: number; count: number };

/** An event as stored: numbered in order, so the notifier knows which ones it has posted. */
export type NumberedDqEvent = DqEvent & { seq: number };

/**
 * The DQ alert of one pipeline and period: the single thread for its failures, and the
 * state it shows. `seq` numbers the events; `notedSeq` is the last one posted to the thread,
 * so a retried notify job never posts a note twice.
 */
export interface DqAlertRecord {
  v: 1;
  pipeline: string;
  period: string;
  channel: string;
  /** `passing`: checked and never failed for this period (no thread exists). */
  state: 'passing' | 'failing' | 'resolved';
  failing: FailingCheck[];
  /** Checks in the latest evaluation. */
  total: number;
  /** How many times the checks ran for this period. */
  evaluations: number;
  lastSource: DqSource;
  lastRunId?: string;
  lastCheckedAt: number;
  failingSince?: number;
  resolvedAt?: number;
  /** The run's status message the thread hangs on; absent: the summary is its own thread root. */
  anchor?: MessageRef;
  /** The summary message, edited in place; its thread holds the notes. */
  summary?: MessageRef;
  acknowledgedBy?: { user: string; at: number };
  mutedBy?: { user: string; at: number };
  seq: number;
  notedSeq: number;
  /** The latest events (a few); the audit stream keeps every one. */
  events: NumberedDqEvent[];
  createdAt: number;
  updatedAt: number;
  version: number;
}

/** The latest DQ result of a pipeline's target, whatever the period: the `dqGreen` gate's evidence. */
export interface DqLatest {
  pipeline: string;
  period: string;
  passed: boolean;
  total: number;
  failing: number;
  at: number;
  source: DqSource;
  runId?: string;
  /** Cutover's own checks, or an SNS topic in `alerts.trustedTopics`: evidence for the `dqGreen` gate. */
  trusted?: boolean;
}

/** The thread of an alert: the anchor's thread if it hangs on a status message, else the summary's own. */
export function threadTsOf(a: Pick<DqAlertRecord, 'anchor' | 'summary'>): string | undefined {
  return a.anchor?.ts ?? a.summary?.ts;
}
