import { pipelineSchema, type Pipeline } from '../../../src/config/catalog-schema.ts';
import { catalogVersionOf, type PlanInput } from '../../../src/cutover/index.ts';
import type { CutoverRequest } from '../../../src/store/cutover-record.ts';
import type { ParallelRecord } from '../../../src/store/parallel-record.ts';

export const T0 = Date.UTC(2024, 5, 1);
export const HOUR = 3_600_000;

/** The DESIGN.md example pipeline, through the real schema (defaults filled in). */
export function pipeline(cutover: unknown = undefined): Pipeline {
  return pipelineSchema.parse({
    channel: 'C0PIPELINES',
    stage: 'parallel',
    legacy: { engine: 'emr', clusterId: 'j-ABC123', step: { name: 'incites', args: ['spark-submit', 's3://jobs/incites.py'] } },
    target: { engine: 'databricks', jobId: 123 },
    environments: { prod: {} },
    cutover: cutover ?? {
      approvers: { users: ['U0BOB', 'U0CAROL'], min: 2 },
      steps: [
        { id: 'parallel-clean', gate: { cleanParallelRuns: 3 } },
        {
          id: 'switch-primary',
          actions: [{ 'databricks.schedule': 'UNPAUSED' }, { 'emr.cancelPending': true }, { 'airflow.pauseDag': 'incites_monthly' }],
          rollback: [{ 'databricks.schedule': 'PAUSED' }, { 'airflow.unpauseDag': 'incites_monthly' }],
        },
        { id: 'decommission-legacy', gate: { dqGreen: true }, actions: [{ stage: 'live' }, { 'sns.publish': true }] },
      ],
    },
  });
}

let seq = 0;
/** A finished parallel run of 2024-05 (only the default id varies between calls). */
export function parallel(verdict: ParallelRecord['verdict'], over: Partial<ParallelRecord> = {}): ParallelRecord {
  return {
    v: 1, id: `p-run${++seq}`, kind: 'parallel', pipeline: 'incites-monthly', period: '2024-05', requestedBy: 'U0ALICE', channel: 'C0PIPELINES',
    state: 'done', outputs: {}, verdict, createdAt: T0 - 2 * HOUR, endedAt: T0 - HOUR, updatedAt: T0 - HOUR, version: 3, catalogVersion: catalogVersionOf(pipeline()), ...over,
  };
}

export function planInput(over: Partial<PlanInput> = {}): PlanInput {
  return {
    pipeline: 'incites-monthly',
    config: pipeline(),
    defaultApprovers: ['U0ADMIN'],
    steps: {},
    parallels: [parallel('clean', { id: 'p-c1', period: '2024-05' }), parallel('clean', { id: 'p-c2', period: '2024-04' }), parallel('clean', { id: 'p-c3', period: '2024-03' })],
    dq: { passed: true, at: T0 - HOUR, period: '2024-05', source: 'run', trusted: true },
    now: T0,
    ...over,
  };
}

export function pendingRequest(over: Partial<CutoverRequest> = {}): CutoverRequest {
  return {
    id: 'c-lx1-aaaaaa', pipeline: 'incites-monthly', step: 'switch-primary', kind: 'execute', requestedBy: 'U0ALICE', requestedByName: 'alice',
    planVersion: 'v', min: 2, approvals: [], state: 'pending', createdAt: T0 - HOUR, expiresAt: T0 + 23 * HOUR, ...over,
  };
}
