import type { EngineName } from '../config/catalog-schema.ts';
import type { RunCost } from '../cost/types.ts';
import { isTerminal, type RunState, type TaskFailure, type TaskStatus } from '../engines/types.ts';

export type RunEnv = 'dev' | 'prod';

/** A Slack message we posted and keep editing; the bot never re-reads history to find it. */
export interface MessageRef {
  channel: string;
  ts: string;
}

/** One run on one engine, as stored in Redis (plain JSON with a version, STYLE 5). */
export interface RunRecord {
  v: 1;
  /** Our id, e.g. `r-m3k9x2-4f7a`: never all digits, no colons (BullMQ job-id rules). */
  id: string;
  pipeline: string;
  period: string;
  engine: EngineName;
  /** Which side of the migration ran: the legacy engine (EMR/Airflow) or the target (Databricks). */
  side: 'legacy' | 'target';
  env: RunEnv;
  params: Record<string, string>;
  /** Slack user id of whoever started it. */
  requestedBy: string;
  channel: string;
  state: RunState;
  /** The engine's words for the state, shown beside ours. */
  stateMessage?: string;
  externalId?: string;
  url?: string;
  tasks: TaskStatus[];
  failures: TaskFailure[];
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  updatedAt: number;
  /** Bumped on every change; the notifier compares it with what it last rendered. */
  version: number;
  statusMessage?: MessageRef;
  /** The failure thread's first reply (posted with reply_broadcast) on the status message. */
  alertThread?: MessageRef;
  acknowledgedBy?: { user: string; at: number };
  /** Repairs so far; each one starts a new tracking epoch. */
  repairs: number;
  /**
   * How long the run sat failed before repairs restarted it, summed: its wall time minus this
   * is its run time, the figure a speed-up compares.
   */
  idleMs?: number;
  latestRepairId?: string;
  /**
   * When the latest repair was sent (Cutover's clock). Its usage bills to the same Databricks run
   * id, so the run's cost is a whole-run figure only once billing rows end after this.
   */
  repairedAt?: number;
  /** The tasks the latest repair re-runs (the failures it cleared), so the alert can still name them. */
  repairedTasks?: string[];
  /**
   * The Repair click being acted on (issue 14 finding 14): set atomically by the click, cleared
   * by its job when the repair starts or is refused. While set, more clicks are told a repair is
   * under way (a double click repairs once); once cleared, the next click is a new request with
   * its own number and job id, so a Repair after a refused one repairs again.
   */
  repairRequest?: { n: number; by: string; at: number };
  /** Repair requests so far: the number of the next one. */
  repairRequests?: number;
  /**
   * A cancel asked for (issue 14 finding 7), recorded before the job is enqueued: a submit in
   * flight sees it when it records the engine's id and cancels the run it just started.
   */
  cancelRequest?: { by: string; at: number };
  /** A permanent error from the engine API (e.g. 404 job), shown to people as is. */
  error?: { code: string; message: string; apiCode?: string };
  /** Set when the run belongs to a parallel run. */
  parallelId?: string;
  /** Set when the run is one period of a backfill (src/store/backfill-record.ts). */
  backfillId?: string;
  /** What the run cost, once measured (issue 16; src/cost/): pending until the billing data arrives. */
  cost?: RunCost;
}

/**
 * Whether a run still needs a job (submit, poll, cancel or repair): kept in the active-runs
 * index, so start-up can re-enqueue the jobs a crash or a loss of Redis data left out.
 */
export function isActiveRun(run: Pick<RunRecord, 'state' | 'repairRequest'>): boolean {
  return !isTerminal(run.state) || run.repairRequest !== undefined;
}
