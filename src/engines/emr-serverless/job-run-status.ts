import type { JobRun, JobRunState } from '@aws-sdk/client-emr-serverless';
import { NotFoundError } from '../../errors.ts';
import { isTerminal, type EngineRunStatus, type RunState, type TaskFailure } from '../types.ts';

/** EMR Serverless `JobRun.state` → our run state (apis.md 3.4). A requested cancel runs until EMR confirms it. */
const STATE_MAP: Record<JobRunState, RunState> = {
  SUBMITTED: 'pending',
  PENDING: 'pending',
  SCHEDULED: 'pending',
  QUEUED: 'pending',
  RUNNING: 'running',
  CANCELLING: 'running',
  SUCCESS: 'succeeded',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
};

export function mapJobRunState(state: string | undefined): RunState {
  // An unknown (newer) state keeps the run polled rather than ending it wrongly.
  return STATE_MAP[state as JobRunState] ?? 'running';
}

/** The client token and the job run's name: unique per run, within the API's 1–64 `[A-Za-z0-9._-]`. */
export function emrServerlessClientToken(runId: string): string {
  return `cutover-${runId}`.slice(0, 64);
}

/** `<applicationId>/<jobRunId>` is the external id; both parts are needed for every later call. */
export function formatExternalId(applicationId: string, jobRunId: string): string {
  return `${applicationId}/${jobRunId}`;
}

export function parseExternalId(externalId: string): { applicationId: string; jobRunId: string } {
  const [applicationId, jobRunId, ...rest] = externalId.split('/');
  if (!applicationId || !jobRunId || rest.length > 0) throw new NotFoundError(`not an EMR Serverless external id (applicationId/jobRunId): ${externalId}`);
  return { applicationId, jobRunId };
}

/** The application's page in the EMR console, where its job runs and their logs are listed. */
export function applicationConsoleUrl(region: string, applicationId: string): string {
  const r = encodeURIComponent(region);
  return `https://${r}.console.aws.amazon.com/emr/home?region=${r}#/serverless-applications/${encodeURIComponent(applicationId)}`;
}

/**
 * The driver's log when the job run wrote its logs to S3 (`s3MonitoringConfiguration.logUri`),
 * laid out as `<logUri>/applications/<app>/jobs/<jobRun>/SPARK_DRIVER/stderr.gz`.
 */
export function driverLogUri(run: JobRun): string | undefined {
  const logUri = run.configurationOverrides?.monitoringConfiguration?.s3MonitoringConfiguration?.logUri;
  if (!logUri || !run.applicationId || !run.jobRunId) return undefined;
  return `${logUri.replace(/\/+$/, '')}/applications/${run.applicationId}/jobs/${run.jobRunId}/SPARK_DRIVER/stderr.gz`;
}

export function toRunStatus(run: JobRun, url: string): EngineRunStatus {
  const state = mapJobRunState(run.state);
  const startedAt = run.startedAt?.getTime();
  // Older job runs carry no endedAt; a terminal one's last update is when it ended.
  const endedAt = run.endedAt?.getTime() ?? (isTerminal(state) ? run.updatedAt?.getTime() : undefined);
  return {
    state,
    message: [run.state ?? 'UNKNOWN', run.stateDetails].filter(Boolean).join(': '),
    tasks: [{ key: run.name ?? run.jobRunId ?? 'job run', state, runId: run.jobRunId, startedAt, endedAt, url }],
    url,
    startedAt,
    endedAt,
  };
}

/** Lines of `stateDetails` kept as the trace. */
const MAX_TRACE_LINES = 30;

/** `stateDetails` is EMR Serverless' account of the failure; it becomes the alert thread's content. */
export function toFailures(run: JobRun, url: string): TaskFailure[] {
  if (mapJobRunState(run.state) !== 'failed') return [];
  const details = run.stateDetails?.trim();
  const lines = details ? details.split('\n') : [];
  return [
    {
      task: run.name ?? run.jobRunId ?? 'job run',
      error: lines[0] ?? `job run ${run.state ?? 'failed'}`,
      trace: lines.length > 1 ? lines.slice(0, MAX_TRACE_LINES).join('\n') : undefined,
      logUrl: driverLogUri(run) ?? url,
    },
  ];
}
