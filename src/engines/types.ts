import type { EngineConfig, EngineName } from '../config/catalog-schema.ts';

/** Run states of DESIGN.md; the status message names them with exactly these words. */
export const RUN_STATES = ['queued', 'submitting', 'pending', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'] as const;
export type RunState = (typeof RUN_STATES)[number];
export const TERMINAL_STATES: ReadonlySet<RunState> = new Set(['succeeded', 'failed', 'cancelled', 'timed_out']);
export const isTerminal = (s: RunState): boolean => TERMINAL_STATES.has(s);

/** One task of a run (a Databricks task, the EMR step, an Airflow task instance). */
export interface TaskStatus {
  key: string;
  state: RunState;
  /** Engine-side id of this task's run, e.g. the Databricks task run id used for get-output. */
  runId?: string;
  startedAt?: number;
  endedAt?: number;
  url?: string;
}

/** Why a task failed, as shown in the alert thread. */
export interface TaskFailure {
  task: string;
  error: string;
  /** First lines of the stack trace or log tail, when the engine has one. */
  trace?: string;
  logUrl?: string;
}

export interface EngineRunStatus {
  state: RunState;
  /** The engine's own words for the state (e.g. `TERMINATED/FAILED: Task x failed`). */
  message?: string;
  tasks: TaskStatus[];
  url?: string;
  startedAt?: number;
  endedAt?: number;
  /** Databricks repair id of the latest repair seen in the run's history. */
  latestRepairId?: string;
}

export interface SubmitRequest {
  /** Our run id; engines derive their idempotency key from it. */
  runId: string;
  pipeline: string;
  config: EngineConfig;
  period: string;
  params: Record<string, string>;
  signal?: AbortSignal;
}

export interface SubmitResult {
  externalId: string;
  url?: string;
}

export interface RepairResult {
  repairId: string;
}

/** Every engine behind one interface; implementations throw ApiError (retryable or not). */
export interface Engine {
  readonly name: EngineName;
  submit(req: SubmitRequest): Promise<SubmitResult>;
  /**
   * `group`: runs the engine can read together (see `pollGroup`); an engine that batches reads
   * every run of the group at once and answers each poll from that (issue 17).
   */
  poll(externalId: string, signal?: AbortSignal, group?: string): Promise<EngineRunStatus>;
  /** Which runs are polled together: e.g. the Databricks job id. Undefined: polled one by one. */
  pollGroup?(config: EngineConfig): string | undefined;
  /** Details for every failed task of a terminal run. */
  failures(externalId: string, status: EngineRunStatus, signal?: AbortSignal): Promise<TaskFailure[]>;
  cancel(externalId: string, signal?: AbortSignal): Promise<void>;
  /** Re-runs the failed tasks inside the same run, where the engine supports it. */
  repair?(externalId: string, latestRepairId: string | undefined, signal?: AbortSignal): Promise<RepairResult>;
}

export type EngineRegistry = Partial<Record<EngineName, Engine>>;
