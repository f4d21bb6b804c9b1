import type { DescribeExecutionOutput, ExecutionStatus } from '@aws-sdk/client-sfn';
import type { EngineRunStatus, RunState } from '../types.ts';

/**
 * Step Functions execution `status` → our run state. `TIMED_OUT` is the state machine's own
 * `TimeoutSeconds` (as Databricks' TIMEDOUT maps to `timed_out`); `ABORTED` is a StopExecution,
 * ours or anyone's; `PENDING_REDRIVE` is a failed execution someone is redriving, so it goes on.
 */
const STATE_MAP: Record<ExecutionStatus, RunState> = {
  RUNNING: 'running',
  PENDING_REDRIVE: 'running',
  SUCCEEDED: 'succeeded',
  FAILED: 'failed',
  TIMED_OUT: 'timed_out',
  ABORTED: 'cancelled',
};

export function mapExecutionStatus(status: string | undefined): RunState {
  // An unknown (newer) status keeps the run polled rather than ending it wrongly.
  return STATE_MAP[status as ExecutionStatus] ?? 'running';
}

/** The execution name is our idempotency key: unique per run, 1–80 characters of `[\w-]`. */
export function sfnExecutionName(runId: string): string {
  return `cutover-${runId}`.slice(0, 80);
}

/**
 * The ARN an execution named `name` of this state machine has. StartExecution answers
 * ExecutionAlreadyExists for a name used before, without the ARN, so a retried submit finds its
 * execution here. A version or alias qualifier is not part of an execution ARN.
 */
export function executionArnFor(stateMachineArn: string, name: string): string {
  const [prefix, machine] = stateMachineArn.split(':stateMachine:') as [string, string];
  return `${prefix}:execution:${machine.split(':')[0]}:${name}`;
}

/** The console page of one execution, for the status message and the alert. */
export function executionConsoleUrl(executionArn: string): string {
  const region = executionArn.split(':')[3] ?? 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(executionArn)}`;
}

export function toRunStatus(out: DescribeExecutionOutput): EngineRunStatus {
  const state = mapExecutionStatus(out.status);
  const startedAt = out.startDate?.getTime();
  const endedAt = out.stopDate?.getTime();
  const url = out.executionArn ? executionConsoleUrl(out.executionArn) : undefined;
  const why = [out.error, out.cause?.split('\n')[0]].filter(Boolean).join(': ');
  return {
    state,
    message: [out.status ?? 'UNKNOWN', why].filter(Boolean).join(': '),
    tasks: [{ key: out.name ?? 'execution', state, runId: out.executionArn, startedAt, endedAt, url }],
    url,
    startedAt,
    endedAt,
  };
}
