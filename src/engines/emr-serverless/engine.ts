import { CancelJobRunCommand, GetJobRunCommand, StartJobRunCommand, type EMRServerlessClient, type JobRun } from '@aws-sdk/client-emr-serverless';
import { ConfigError, InvalidStateError } from '../../errors.ts';
import { callAws } from '../emr/to-api-error.ts';
import type { Engine, EngineRunStatus, SubmitRequest, SubmitResult, TaskFailure } from '../types.ts';
import { applicationConsoleUrl, emrServerlessClientToken, formatExternalId, parseExternalId, toFailures, toRunStatus } from './job-run-status.ts';

export interface EmrServerlessEngineOptions {
  /** An EMRServerlessClient for the applications' region; tests point its `endpoint` at a fake. */
  client: EMRServerlessClient;
}

/**
 * The EMR Serverless engine: one Spark job run per Cutover run on an existing application.
 *
 * StartJobRun carries a `clientToken` derived from the run id, so a submit retried after a crash
 * gets the job run it started before instead of a second one. The catalog's arguments arrive
 * rendered (`{{period}}`, `{{param.x}}`) from the caller, like the EMR step's.
 */
export function createEmrServerlessEngine({ client }: EmrServerlessEngineOptions): Engine {
  const emr = <T>(operation: string, call: () => Promise<T>, signal?: AbortSignal) => callAws('emr-serverless', operation, call, signal);

  async function consoleUrl(applicationId: string): Promise<string> {
    return applicationConsoleUrl(await client.config.region(), applicationId);
  }

  async function getJobRun(externalId: string, signal?: AbortSignal): Promise<JobRun> {
    const { applicationId, jobRunId } = parseExternalId(externalId);
    const out = await emr('GetJobRun', () => client.send(new GetJobRunCommand({ applicationId, jobRunId }), { abortSignal: signal }), signal);
    if (!out.jobRun) throw new InvalidStateError(`EMR Serverless returned no job run for ${externalId}`);
    return out.jobRun;
  }

  return {
    name: 'emr-serverless',

    async submit(req: SubmitRequest): Promise<SubmitResult> {
      const config = req.config;
      if (config.engine !== 'emr-serverless') throw new ConfigError('emr-serverless engine', [`config.engine: expected emr-serverless, got ${config.engine}`]);
      const { applicationId, sparkSubmit } = config;
      const token = emrServerlessClientToken(req.runId);
      const out = await emr(
        'StartJobRun',
        () =>
          client.send(
            new StartJobRunCommand({
              applicationId,
              clientToken: token,
              name: token,
              executionRoleArn: config.executionRoleArn,
              jobDriver: { sparkSubmit },
              configurationOverrides: config.logUri ? { monitoringConfiguration: { s3MonitoringConfiguration: { logUri: config.logUri } } } : undefined,
              executionTimeoutMinutes: config.executionTimeoutMinutes,
              tags: { 'cutover:run': req.runId, 'cutover:pipeline': req.pipeline },
            }),
            { abortSignal: req.signal },
          ),
        req.signal,
      );
      if (!out.jobRunId) throw new InvalidStateError(`EMR Serverless StartJobRun on ${applicationId} returned no job run id`);
      return { externalId: formatExternalId(applicationId, out.jobRunId), url: await consoleUrl(applicationId) };
    },

    async poll(externalId: string, signal?: AbortSignal): Promise<EngineRunStatus> {
      const run = await getJobRun(externalId, signal);
      return toRunStatus(run, await consoleUrl(parseExternalId(externalId).applicationId));
    },

    async failures(externalId: string, status: EngineRunStatus, signal?: AbortSignal): Promise<TaskFailure[]> {
      if (status.state !== 'failed') return [];
      // stateDetails and the log location are on the job run itself, not in the status we keep.
      const run = await getJobRun(externalId, signal);
      return toFailures(run, await consoleUrl(parseExternalId(externalId).applicationId));
    },

    async cancel(externalId: string, signal?: AbortSignal): Promise<void> {
      const { applicationId, jobRunId } = parseExternalId(externalId);
      // Asynchronous: the job run goes CANCELLING, then CANCELLED; polling shows the outcome.
      await emr('CancelJobRun', () => client.send(new CancelJobRunCommand({ applicationId, jobRunId }), { abortSignal: signal }), signal);
    },
  };
}
