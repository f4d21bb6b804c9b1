import { describe, expect, it } from 'vitest';
import { describeRunState, mapRunState, neverRan } from '../../../src/engines/databricks/map-state.ts';
import type { LegacyRunState, RunStatus } from '../../../src/engines/databricks/types.ts';
import type { RunState } from '../../../src/engines/types.ts';

interface Row {
  name: string;
  legacy: LegacyRunState;
  status: RunStatus;
  expected: RunState;
  /** When the status object alone says less than both shapes together. */
  statusOnly?: RunState;
}

const terminated = (result: string, code: string): Pick<Row, 'legacy' | 'status'> => ({
  legacy: { life_cycle_state: 'TERMINATED', result_state: result, state_message: 'msg' },
  status: { state: 'TERMINATED', termination_details: { code, type: 'CLIENT_ERROR', message: 'msg' } },
});
const active = (life: string, v2 = life): Pick<Row, 'legacy' | 'status'> => ({ legacy: { life_cycle_state: life }, status: { state: v2 } });

const rows: Row[] = [
  { name: 'queued', ...active('QUEUED'), expected: 'pending' },
  { name: 'pending', ...active('PENDING'), expected: 'pending' },
  { name: 'blocked', ...active('BLOCKED'), expected: 'pending' },
  { name: 'waiting for retry / waiting', ...active('WAITING_FOR_RETRY', 'WAITING'), expected: 'pending' },
  { name: 'running', ...active('RUNNING'), expected: 'running' },
  { name: 'terminating', ...active('TERMINATING'), expected: 'running' },
  { name: 'an unknown life cycle is not terminal', ...active('HIBERNATING'), expected: 'pending' },
  { name: 'success', ...terminated('SUCCESS', 'SUCCESS'), expected: 'succeeded' },
  { name: 'success with failures counts as success', ...terminated('SUCCESS_WITH_FAILURES', 'SUCCESS_WITH_FAILURES'), expected: 'succeeded' },
  { name: 'user cancel', ...terminated('CANCELED', 'USER_CANCELED'), expected: 'cancelled' },
  { name: 'platform cancel', ...terminated('CANCELED', 'CANCELED'), expected: 'cancelled' },
  // v2 reports a timeout as a platform CANCELED; only the legacy result names it.
  { name: 'timeout', ...terminated('TIMEDOUT', 'CANCELED'), expected: 'timed_out', statusOnly: 'cancelled' },
  { name: 'task failure', ...terminated('FAILED', 'RUN_EXECUTION_ERROR'), expected: 'failed' },
  { name: 'driver error', ...terminated('FAILED', 'DRIVER_ERROR'), expected: 'failed' },
  { name: 'upstream failed', ...terminated('UPSTREAM_FAILED', 'SKIPPED'), expected: 'failed' },
  { name: 'upstream cancelled', ...terminated('UPSTREAM_CANCELED', 'SKIPPED'), expected: 'failed' },
  { name: 'max concurrent runs', ...terminated('MAXIMUM_CONCURRENT_RUNS_REACHED', 'MAX_CONCURRENT_RUNS_EXCEEDED'), expected: 'failed' },
  { name: 'excluded', ...terminated('EXCLUDED', 'SKIPPED'), expected: 'failed' },
  {
    name: 'skipped life cycle',
    legacy: { life_cycle_state: 'SKIPPED', state_message: 'An active run exists' },
    status: { state: 'TERMINATED', termination_details: { code: 'SKIPPED' } },
    expected: 'failed',
  },
  {
    name: 'internal error life cycle',
    legacy: { life_cycle_state: 'INTERNAL_ERROR' },
    status: { state: 'TERMINATED', termination_details: { code: 'INTERNAL_ERROR', type: 'INTERNAL_ERROR' } },
    expected: 'failed',
  },
];

describe('mapRunState', () => {
  it.each(rows)('legacy state only: $name', ({ legacy, expected }) => {
    expect(mapRunState({ state: legacy })).toBe(expected);
  });

  it.each(rows)('status only: $name', ({ status, expected, statusOnly }) => {
    expect(mapRunState({ status })).toBe(statusOnly ?? expected);
  });

  it.each(rows)('both shapes: $name', ({ legacy, status, expected }) => {
    expect(mapRunState({ state: legacy, status })).toBe(expected);
  });

  it('prefers status over a stale legacy state', () => {
    const run = { state: { life_cycle_state: 'RUNNING' }, status: { state: 'TERMINATED', termination_details: { code: 'SUCCESS' } } };
    expect(mapRunState(run)).toBe('succeeded');
  });

  it('treats terminated-without-result as failed, and no state at all as pending', () => {
    expect(mapRunState({ status: { state: 'TERMINATED' } })).toBe('failed');
    expect(mapRunState({ state: { life_cycle_state: 'TERMINATED' } })).toBe('failed');
    expect(mapRunState({})).toBe('pending');
  });
});

describe('describeRunState', () => {
  it('names life cycle, result and message in Databricks words', () => {
    const failed = terminated('FAILED', 'RUN_EXECUTION_ERROR');
    expect(describeRunState({ state: { ...failed.legacy, state_message: 'Task transform failed' } })).toBe('TERMINATED · FAILED: Task transform failed');
    expect(describeRunState({ status: failed.status })).toBe('TERMINATED · RUN_EXECUTION_ERROR: msg');
    expect(describeRunState({ state: failed.legacy, status: failed.status })).toBe('TERMINATED · FAILED: msg');
  });

  it('is just the life cycle while running', () => {
    expect(describeRunState({ state: { life_cycle_state: 'RUNNING', state_message: '' }, status: { state: 'RUNNING' } })).toBe('RUNNING');
    expect(describeRunState({})).toBe('UNKNOWN');
  });
});

describe('neverRan', () => {
  it('is true only for tasks skipped because of others', () => {
    expect(neverRan(terminated('UPSTREAM_FAILED', 'SKIPPED'))).toBe(true);
    expect(neverRan({ status: { state: 'TERMINATED', termination_details: { code: 'SKIPPED' } } })).toBe(true);
    expect(neverRan(terminated('FAILED', 'RUN_EXECUTION_ERROR'))).toBe(false);
    expect(neverRan(active('RUNNING'))).toBe(false);
  });
});
