import type { RunState } from '../types.ts';
import type { HasRunState } from './types.ts';

/**
 * Databricks run and task states -> our `RunState` (DESIGN "Domain states"). The newer
 * `status` object is read when present, the legacy `state` otherwise (the 2.2 model
 * deprecates `state`, and 2.1 responses may lack `status`). Works the same for a `Run`, a
 * `RunTask` and a `repair_history` entry, which share both shapes.
 */

const ACTIVE = new Set(['RUNNING', 'TERMINATING']);
/** Legacy terminal life cycles; SKIPPED and INTERNAL_ERROR never carry a useful result. */
const LEGACY_TERMINAL = new Set(['TERMINATED', 'SKIPPED', 'INTERNAL_ERROR']);

/**
 * SUCCESS_WITH_FAILURES counts as succeeded: Databricks uses it when the leaf tasks (the
 * ones that write the outputs) succeeded and only tasks whose failure was allowed (`run_if`)
 * failed. The failed tasks still show as failed in the task list, and the message names
 * the result, so nobody misses them; but the run's outputs exist and can be diffed.
 */
const SUCCEEDED = new Set(['SUCCESS', 'SUCCESS_WITH_FAILURES']);
const CANCELLED = new Set(['CANCELED', 'USER_CANCELED']);
const TIMED_OUT = new Set(['TIMEDOUT']);
/** Outcomes where the task never ran (so `runs/get-output` has nothing to say about it). */
const NEVER_RAN = new Set(['UPSTREAM_FAILED', 'UPSTREAM_CANCELED', 'EXCLUDED', 'DISABLED', 'SKIPPED', 'MAXIMUM_CONCURRENT_RUNS_REACHED']);

export function mapRunState(run: HasRunState): RunState {
  if (run.status) {
    const { state, termination_details: details } = run.status;
    if (state !== 'TERMINATED') return mapActive(state);
    // v2 has no timeout code (a timeout is a platform CANCELED); the legacy result says TIMEDOUT.
    if (run.state?.result_state === 'TIMEDOUT') return 'timed_out';
    return mapOutcome(details?.code ?? run.state?.result_state);
  }
  if (!run.state) return 'pending';
  const { life_cycle_state: life, result_state: result } = run.state;
  if (!LEGACY_TERMINAL.has(life)) return mapActive(life);
  return life === 'TERMINATED' ? mapOutcome(result) : 'failed';
}

/** A task that the run skipped (upstream failure, excluded, disabled): it has no output of its own. */
export function neverRan(task: HasRunState): boolean {
  const result = task.state?.result_state ?? task.status?.termination_details?.code;
  return result !== undefined && NEVER_RAN.has(result);
}

/**
 * Databricks' own words for the state, e.g. `TERMINATED · FAILED: Task transform failed…`.
 * The legacy result is preferred for the middle part because people know `FAILED` better
 * than `RUN_EXECUTION_ERROR`; the free text is display-only (its format is not stable).
 */
export function describeRunState(run: HasRunState): string {
  const life = run.status?.state ?? run.state?.life_cycle_state ?? 'UNKNOWN';
  const result = run.state?.result_state ?? run.status?.termination_details?.code;
  const text = run.status?.termination_details?.message || run.state?.state_message;
  return `${life}${result ? ` · ${result}` : ''}${text ? `: ${text}` : ''}`;
}

/** The text explaining a state, from whichever shape has one. */
export function stateMessage(run: HasRunState): string | undefined {
  return run.state?.state_message || run.status?.termination_details?.message || undefined;
}

function mapActive(life: string): RunState {
  // QUEUED, PENDING, BLOCKED, WAITING, WAITING_FOR_RETRY, and any value Databricks adds
  // later, are waiting: keep polling rather than give up on a run we do not understand.
  return ACTIVE.has(life) ? 'running' : 'pending';
}

function mapOutcome(result: string | undefined): RunState {
  // Terminal without a result: never claim success we cannot see.
  if (result === undefined) return 'failed';
  if (SUCCEEDED.has(result)) return 'succeeded';
  if (CANCELLED.has(result)) return 'cancelled';
  if (TIMED_OUT.has(result)) return 'timed_out';
  return 'failed';
}
