/**
 * Wire types of the Databricks Jobs API 2.1 (snake_case, as sent and received). Only the
 * fields Cutover reads are typed; the API sends more, and new enum values may appear, so
 * enum-like fields are open strings with the known values listed for editors.
 */

/** Legacy `life_cycle_state`; terminal: TERMINATED, SKIPPED, INTERNAL_ERROR. */
export type LifeCycleState =
  | 'QUEUED'
  | 'PENDING'
  | 'RUNNING'
  | 'TERMINATING'
  | 'TERMINATED'
  | 'SKIPPED'
  | 'INTERNAL_ERROR'
  | 'BLOCKED'
  | 'WAITING_FOR_RETRY'
  | (string & {});

export type ResultState =
  | 'SUCCESS'
  | 'SUCCESS_WITH_FAILURES'
  | 'FAILED'
  | 'TIMEDOUT'
  | 'CANCELED'
  | 'MAXIMUM_CONCURRENT_RUNS_REACHED'
  | 'EXCLUDED'
  | 'UPSTREAM_FAILED'
  | 'UPSTREAM_CANCELED'
  | 'DISABLED'
  | (string & {});

/** The legacy `state` object (deprecated in the 2.2 model in favour of `status`). */
export interface LegacyRunState {
  life_cycle_state: LifeCycleState;
  result_state?: ResultState;
  state_message?: string;
  user_cancelled_or_timedout?: boolean;
}

/** `status.state`; only TERMINATED is terminal. */
export type StatusState = 'QUEUED' | 'PENDING' | 'RUNNING' | 'TERMINATING' | 'TERMINATED' | 'BLOCKED' | 'WAITING' | (string & {});

export interface TerminationDetails {
  /** e.g. SUCCESS, SUCCESS_WITH_FAILURES, USER_CANCELED, CANCELED, SKIPPED, RUN_EXECUTION_ERROR, DRIVER_ERROR… */
  code?: string;
  /** SUCCESS, INTERNAL_ERROR, CLIENT_ERROR or CLOUD_FAILURE. */
  type?: string;
  message?: string;
}

/** The newer `status` object. */
export interface RunStatus {
  state: StatusState;
  termination_details?: TerminationDetails;
  queue_details?: { code?: string; message?: string };
}

/** Anything that carries a run state: a `Run`, a `RunTask` or a `repair_history` entry. */
export interface HasRunState {
  state?: LegacyRunState;
  status?: RunStatus;
}

export interface RunTask extends HasRunState {
  task_key: string;
  /** The task-run id: the one `runs/get-output` accepts. */
  run_id: number;
  /** Epoch ms; 0 until started. */
  start_time?: number;
  /** Epoch ms; 0 while running. */
  end_time?: number;
  run_page_url?: string;
  attempt_number?: number;
  depends_on?: Array<{ task_key: string }>;
}

export interface RepairHistoryItem extends HasRunState {
  type: 'ORIGINAL' | 'REPAIR';
  /** Only on REPAIR entries: the value to pass as `latest_repair_id` next time. */
  id?: number;
  start_time?: number;
  end_time?: number;
  task_run_ids?: number[];
}

export interface Run extends HasRunState {
  run_id: number;
  job_id: number;
  run_name?: string;
  run_page_url?: string;
  start_time?: number;
  end_time?: number;
  run_duration?: number;
  tasks?: RunTask[];
  /** Only when fetched with `include_history=true`. */
  repair_history?: RepairHistoryItem[];
  job_parameters?: Array<{ name: string; value?: string; default?: string }>;
  /** In a `runs/list?expand_tasks=true` answer (2.2): more tasks than were listed; read the run with `runs/get`. */
  has_more?: boolean;
}

/** `GET /jobs/runs/list`: newest first, `limit` ≤ 25 per page, `next_page_token` while `has_more`. */
export interface RunList {
  runs?: Run[];
  has_more?: boolean;
  next_page_token?: string;
}

export interface RunOutput {
  /** Why the task failed, or why no output is available (unstructured). */
  error?: string;
  error_trace?: string;
  logs?: string;
  logs_truncated?: boolean;
  notebook_output?: { result?: string; truncated?: boolean };
  /** The full `Run` of this task run. */
  metadata?: Run;
}

export interface JobSchedule {
  quartz_cron_expression: string;
  timezone_id: string;
  pause_status?: 'PAUSED' | 'UNPAUSED';
}

export interface JobSettings {
  name?: string;
  schedule?: JobSchedule;
  tasks?: Array<{ task_key: string; depends_on?: Array<{ task_key: string }> }>;
  max_concurrent_runs?: number;
  timeout_seconds?: number;
  parameters?: Array<{ name: string; default: string }>;
  [field: string]: unknown;
}

export interface Job {
  job_id: number;
  creator_user_name?: string;
  created_time?: number;
  settings: JobSettings;
}
