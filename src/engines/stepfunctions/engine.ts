import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { ApiError, ConfigError, UnsupportedError } from '../../errors.ts';
import { callAws } from '../emr/to-api-error.ts';
import type { Engine, EngineRunStatus, SubmitRequest, SubmitResult, TaskFailure } from '../types.ts';
import { executionArnFor, executionConsoleUrl, sfnExecutionName, toRunStatus } from './execution-status.ts';
import { describeCause, findFailedState } from './failed-state.ts';

export interface StepFunctionsEngineOptions {
  /** An SFNClient for the state machines' region; tests point its `endpoint` at a fake. */
  client: SFNClient;
  /** GetExecutionHistory pages (newest first) read at most to find the failing state. Default 5. */
  maxHistoryPages?: number;
  /** Events per GetExecutionHistory page (the API allows up to 1000). Default 200. */
  historyPageSize?: number;
  /** Lines of a cause kept as the trace. Default 30. */
  traceLines?: number;
}

/** Written on StopExecution, so the execution's history says who stopped it. */
export const CANCEL_ERROR = 'Cutover.Cancelled';

/**
 * The Step Functions engine: one execution of a Standard state machine per run.
 *
 * The execution name is derived from the run id: StartExecution with the same name and input
 * while the execution runs returns it again, and after it closed answers ExecutionAlreadyExists,
 * in which case the execution is adopted by its ARN. So a retried submit never starts a second
 * execution. Express state machines are refused before anything starts: their starts are not
 * idempotent and DescribeExecution cannot follow them.
 */
export function createStepFunctionsEngine({ client, maxHistoryPages = 5, historyPageSize = 200, traceLines = 30 }: StepFunctionsEngineOptions): Engine {
  const sfn = <T>(operation: string, call: () => Promise<T>, signal?: AbortSignal) => callAws('sfn', operation, call, signal);

  async function describe(executionArn: string, signal?: AbortSignal) {
    return sfn('DescribeExecution', () => client.send(new DescribeExecutionCommand({ executionArn }), { abortSignal: signal }), signal);
  }

  async function history(executionArn: string, signal?: AbortSignal): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < maxHistoryPages; page++) {
      const out = await sfn(
        'GetExecutionHistory',
        () => client.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: historyPageSize, includeExecutionData: false, nextToken }), { abortSignal: signal }),
        signal,
      );
      events.push(...(out.events ?? []));
      if (findFailedState(events)?.state || !out.nextToken) break;
      nextToken = out.nextToken;
    }
    return events;
  }

  return {
    name: 'stepfunctions',

    async submit(req: SubmitRequest): Promise<SubmitResult> {
      const config = req.config;
      if (config.engine !== 'stepfunctions') throw new ConfigError('stepfunctions engine', [`config.engine: expected stepfunctions, got ${config.engine}`]);
      const { stateMachineArn } = config;
      const signal = req.signal;
      const machine = await sfn('DescribeStateMachine', () => client.send(new DescribeStateMachineCommand({ stateMachineArn }), { abortSignal: signal }), signal);
      if (machine.type === 'EXPRESS') {
        throw new UnsupportedError(`${stateMachineArn} is an Express state machine: Cutover runs Standard ones, whose executions it can start once and follow`, 'express-state-machine');
      }
      const name = sfnExecutionName(req.runId);
      try {
        const out = await sfn(
          'StartExecution',
          () => client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(config.input) }), { abortSignal: signal }),
          signal,
        );
        return { externalId: out.executionArn!, url: executionConsoleUrl(out.executionArn!) };
      } catch (err) {
        if (!(err instanceof ApiError) || err.apiCode !== 'ExecutionAlreadyExists') throw err;
        // Our name is unique to this run: the execution that has it is this run's, started by an
        // earlier attempt of this submit (and closed since, or the input changed with the catalog).
        const executionArn = executionArnFor(stateMachineArn, name);
        await describe(executionArn, signal);
        return { externalId: executionArn, url: executionConsoleUrl(executionArn) };
      }
    },

    async poll(externalId: string, signal?: AbortSignal): Promise<EngineRunStatus> {
      return toRunStatus(await describe(externalId, signal));
    },

    async failures(externalId: string, status: EngineRunStatus, signal?: AbortSignal): Promise<TaskFailure[]> {
      if (status.state !== 'failed') return [];
      const failed = findFailedState(await history(externalId, signal));
      // No terminal event in reach (a very long history): the execution's own error and cause.
      const found = failed ?? (await describe(externalId, signal));
      const { line, trace } = describeCause(found.error, found.cause);
      const task = (failed?.state ?? status.tasks[0]?.key) || 'execution';
      return [{ task, error: line, trace: trace?.slice(0, traceLines).join('\n'), logUrl: executionConsoleUrl(externalId) }];
    },

    async cancel(externalId: string, signal?: AbortSignal): Promise<void> {
      await sfn(
        'StopExecution',
        () => client.send(new StopExecutionCommand({ executionArn: externalId, error: CANCEL_ERROR, cause: 'Cancelled from Cutover' }), { abortSignal: signal }),
        signal,
      );
    },
  };
}
