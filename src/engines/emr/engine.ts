import {
  AddJobFlowStepsCommand,
  CancelStepsCommand,
  DescribeStepCommand,
  type EMRClient,
  type Step,
} from '@aws-sdk/client-emr';
import { ConfigError, InvalidStateError } from '../../errors.ts';
import type { Engine, EngineRunStatus, SubmitRequest, SubmitResult, TaskFailure } from '../types.ts';
import { findStepByName } from './find-step.ts';
import { consoleUrl, formatExternalId, parseExternalId, toFailures, toRunStatus } from './step-status.ts';
import { toAwsApiError } from './to-api-error.ts';
import { toStep, type EmrStepListing } from './step-listing.ts';

export interface EmrEngineOptions {
  /** An EMRClient for the cluster's region; tests point its `endpoint` at a fake. */
  client: EMRClient;
  /** How far back a retried submit looks for its own step. Default: 7 days. */
  lookbackMs?: number;
  /** At most this many ListSteps pages (50 steps each) are read per submit. Default: 20. */
  maxListPages?: number;
  now?: () => number;
  /** Batched polling (issue 17): the active steps of a cluster read together; absent, one DescribeStep per poll. */
  listing?: EmrStepListing;
}

/** EMR limits a step `Name` to 256 characters. */
const MAX_STEP_NAME = 256;

/** The step name is unique per run, which is what makes the ListSteps lookup a safe idempotency check. */
export function emrStepName(runId: string, stepName: string): string {
  return `cutover-${runId}-${stepName}`.slice(0, MAX_STEP_NAME);
}

/**
 * The run id in a step name Cutover gave (`emrStepName`) for the catalog step `stepName`, or
 * undefined when the name is not exactly of that form. Run ids are `r-<base 36>-<6 hex>` (no
 * other `-`), so `cutover-r-m1-abc123-x-incites` is step `x-incites`, never `incites`.
 */
export function runIdOfEmrStep(name: string, stepName: string): string | undefined {
  const runId = /^cutover-(r-[0-9a-z]+-[0-9a-f]{6})-/.exec(name)?.[1];
  return runId !== undefined && name === emrStepName(runId, stepName) ? runId : undefined;
}

/**
 * The EMR engine: one `command-runner.jar` step per run on an existing cluster.
 *
 * `submit` takes the step args from `req.config.step.args` as they are: the caller renders
 * the catalog templates (`{{period}}`, `{{param.x}}`) before it calls the engine, so the
 * config it passes holds final strings. `ActionOnFailure: CONTINUE` keeps a failed run from
 * cancelling other teams' steps or terminating a shared cluster.
 */
export function createEmrEngine({
  client,
  lookbackMs = 7 * 24 * 3600_000,
  maxListPages = 20,
  now = Date.now,
  listing,
}: EmrEngineOptions): Engine {
  /**
   * Failed steps whose DescribeStep `poll` just read, for `failures` (which the poll job calls
   * right after): FailureDetails come with that same answer, so a failed step costs one
   * DescribeStep, not two. Taken out when read; bounded in case a failures call never comes.
   */
  const failedSteps = new Map<string, Step>();
  async function send<T>(operation: string, run: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw toAwsApiError(err, 'emr', operation, signal);
    }
  }

  async function region(): Promise<string> {
    return client.config.region();
  }

  async function describe(externalId: string, signal?: AbortSignal): Promise<{ step: Step; clusterId: string }> {
    const { clusterId, stepId } = parseExternalId(externalId);
    const out = await send(
      'DescribeStep',
      () => client.send(new DescribeStepCommand({ ClusterId: clusterId, StepId: stepId }), { abortSignal: signal }),
      signal,
    );
    if (!out.Step) throw new InvalidStateError(`EMR returned no step for ${externalId}`);
    return { step: out.Step, clusterId };
  }

  return {
    name: 'emr',

    pollGroup: (config) => (listing && config.engine === 'emr' ? config.clusterId : undefined),

    async submit(req: SubmitRequest): Promise<SubmitResult> {
      const config = req.config;
      if (config.engine !== 'emr') throw new ConfigError('emr engine', [`config.engine: expected emr, got ${config.engine}`]);
      const { clusterId } = config;
      const name = emrStepName(req.runId, config.step.name);
      const url = consoleUrl(await region(), clusterId);
      const signal = req.signal;

      const existing = await send(
        'ListSteps',
        () => findStepByName(client, clusterId, name, { lookbackMs, maxPages: maxListPages, now, signal }),
        signal,
      );
      if (existing) return { externalId: formatExternalId(clusterId, existing), url };

      const out = await send(
        'AddJobFlowSteps',
        () =>
          client.send(
            new AddJobFlowStepsCommand({
              JobFlowId: clusterId,
              Steps: [
                {
                  Name: name,
                  ActionOnFailure: 'CONTINUE',
                  HadoopJarStep: { Jar: 'command-runner.jar', Args: config.step.args },
                },
              ],
              ExecutionRoleArn: config.executionRoleArn,
            }),
            { abortSignal: signal },
          ),
        signal,
      );
      const stepId = out.StepIds?.[0];
      if (!stepId) throw new InvalidStateError(`EMR AddJobFlowSteps on ${clusterId} returned no step id`);
      return { externalId: formatExternalId(clusterId, stepId), url };
    },

    async poll(externalId: string, signal?: AbortSignal, group?: string): Promise<EngineRunStatus> {
      // Batched: an active step is read from its cluster's shared listing (the cluster of the
      // external id: the catalog's may have changed since the step was added); one that is not
      // there has ended (or was added after the listing), and DescribeStep reads its final state.
      const { clusterId, stepId } = parseExternalId(externalId);
      const listed = listing && group !== undefined ? await listing.active(clusterId, stepId, signal) : undefined;
      if (listed) return toRunStatus(toStep(listed), consoleUrl(await region(), clusterId));
      const { step } = await describe(externalId, signal);
      const status = toRunStatus(step, consoleUrl(await region(), clusterId));
      if (status.state === 'failed') {
        if (failedSteps.size >= 1000) failedSteps.clear();
        failedSteps.set(externalId, step);
      }
      return status;
    },

    async failures(externalId: string, status: EngineRunStatus, signal?: AbortSignal): Promise<TaskFailure[]> {
      if (status.state !== 'failed') return [];
      // FailureDetails is only on DescribeStep, not in the status we keep: the poll's answer, else read the step again.
      const step = failedSteps.get(externalId) ?? (await describe(externalId, signal)).step;
      failedSteps.delete(externalId);
      return toFailures(step);
    },

    async cancel(externalId: string, signal?: AbortSignal): Promise<void> {
      const { clusterId, stepId } = parseExternalId(externalId);
      const out = await send(
        'CancelSteps',
        () =>
          client.send(
            new CancelStepsCommand({ ClusterId: clusterId, StepIds: [stepId], StepCancellationOption: 'SEND_INTERRUPT' }),
            { abortSignal: signal },
          ),
        signal,
      );
      // Cancellation is asynchronous: SUBMITTED only means EMR accepted it; polling shows the outcome.
      const info = out.CancelStepsInfoList?.find((i) => i.StepId === stepId);
      if (info?.Status === 'FAILED') {
        throw new InvalidStateError(`EMR could not cancel step ${stepId}: ${info.Reason ?? 'no reason given'}`);
      }
    },
  };
}
