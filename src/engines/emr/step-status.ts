import type { Step, StepState } from '@aws-sdk/client-emr';
import { NotFoundError } from '../../errors.ts';
import type { EngineRunStatus, RunState, TaskFailure } from '../types.ts';

/** EMR step `State` → our run state (apis.md 3.2). A requested cancel still runs until EMR confirms it. */
const STATE_MAP: Record<StepState, RunState> = {
  PENDING: 'pending',
  RUNNING: 'running',
  CANCEL_PENDING: 'running',
  COMPLETED: 'succeeded',
  CANCELLED: 'cancelled',
  FAILED: 'failed',
  INTERRUPTED: 'failed',
};

/** Lines of `FailureDetails.Message` kept as the trace: enough for the alert thread, within Block Kit limits. */
const MAX_TRACE_LINES = 30;

export function mapStepState(state: string | undefined): RunState {
  // An unknown (newer) state is treated as still running: polling continues instead of ending the run wrongly.
  return STATE_MAP[state as StepState] ?? 'running';
}

/** `<clusterId>/<stepId>` is the external id; both parts are needed for every later call. */
export function formatExternalId(clusterId: string, stepId: string): string {
  return `${clusterId}/${stepId}`;
}

export function parseExternalId(externalId: string): { clusterId: string; stepId: string } {
  const [clusterId, stepId, ...rest] = externalId.split('/');
  if (!clusterId || !stepId || rest.length > 0) throw new NotFoundError(`not an EMR external id (clusterId/stepId): ${externalId}`);
  return { clusterId, stepId };
}

/**
 * Console link for people in Slack. The console's per-step routes are not a documented
 * contract, so we link the cluster page, whose Steps tab lists the step by its unique name.
 */
export function consoleUrl(region: string, clusterId: string): string {
  const r = encodeURIComponent(region);
  return `https://${r}.console.aws.amazon.com/emr/home?region=${r}#/clusterDetails/${encodeURIComponent(clusterId)}`;
}

const ms = (d: Date | undefined): number | undefined => (d ? d.getTime() : undefined);

export function toRunStatus(step: Step, url: string | undefined): EngineRunStatus {
  const status = step.Status;
  const state = mapStepState(status?.State);
  const startedAt = ms(status?.Timeline?.StartDateTime);
  const endedAt = ms(status?.Timeline?.EndDateTime);
  const reason = status?.StateChangeReason?.Message;
  return {
    state,
    message: [status?.State ?? 'UNKNOWN', reason].filter(Boolean).join(': '),
    tasks: [{ key: step.Name ?? step.Id ?? 'step', state, runId: step.Id, startedAt, endedAt, url }],
    url,
    startedAt,
    endedAt,
  };
}

/** `FailureDetails` is what EMR found in the step's logs; it becomes the alert thread's content. */
export function toFailures(step: Step): TaskFailure[] {
  const status = step.Status;
  if (mapStepState(status?.State) !== 'failed') return [];
  const task = step.Name ?? step.Id ?? 'step';
  const details = status?.FailureDetails;
  if (!details) {
    // INTERRUPTED steps (e.g. a lost node) carry no FailureDetails; the state change reason is all there is.
    return [{ task, error: status?.StateChangeReason?.Message ?? `step ${status?.State ?? 'failed'}` }];
  }
  const reason = details.Reason ?? 'Unknown Error';
  const message = details.Message?.trim();
  return [
    {
      task,
      error: message ? `${reason}: ${message.split('\n')[0]}` : reason,
      trace: message ? message.split('\n').slice(0, MAX_TRACE_LINES).join('\n') : undefined,
      logUrl: details.LogFile,
    },
  ];
}
