import type { RunState } from '../types.ts';

/** DAG run `state` → run state. An unknown future state keeps the run polled rather than ended wrongly. */
export function mapDagRunState(state: string | null | undefined): RunState {
  switch (state) {
    case 'queued':
      return 'pending';
    case 'success':
      return 'succeeded';
    case 'failed':
      return 'failed';
    default:
      return 'running';
  }
}

/**
 * Task instance `state` → run state. A task waiting for a retry, a reschedule or a trigger
 * has started and is not finished, so it is running. Skipped and removed tasks did not run
 * and will not: they show as cancelled, never as failed.
 */
export function mapTaskState(state: string | null | undefined): RunState {
  switch (state) {
    case null:
    case undefined:
    case 'none':
    case 'scheduled':
    case 'queued':
      return 'pending';
    case 'success':
      return 'succeeded';
    case 'failed':
    case 'upstream_failed':
    case 'shutdown':
      return 'failed';
    case 'skipped':
    case 'removed':
      return 'cancelled';
    default:
      // running, up_for_retry, up_for_reschedule, deferred, restarting
      return 'running';
  }
}
