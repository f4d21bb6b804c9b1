import { DescribeStatementCommand, ExecuteStatementCommand, GetStatementResultCommand, type DescribeStatementResponse, type ExecuteStatementInput, type GetStatementResultResponse, type RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { setTimeout as sleep } from 'node:timers/promises';
import { callAws } from '../../engines/emr/to-api-error.ts';
import { ApiError } from '../../errors.ts';

/** A finished statement: its id, its session (for the next statement) and how many rows it gave. */
export interface FinishedStatement {
  id: string;
  sessionId?: string;
  resultRows?: number;
  hasResultSet: boolean;
}

/** A statement Redshift ran and refused: its own error text, kept apart so a caller may fall back. */
export class StatementFailedError extends ApiError {
  constructor(
    readonly what: string,
    readonly redshiftError: string,
  ) {
    super({ service: 'redshift-data', message: `Redshift ${what} failed: ${redshiftError}`, retryable: false, apiCode: 'StatementFailed' });
  }
}

/**
 * Runs one statement through the Data API and waits for it: DescribeStatement until FINISHED
 * (or FAILED / ABORTED, raised with Redshift's error text). Polls quickly at first, then every
 * `maxPollMs`, so a small statement costs little and a long UNLOAD few calls.
 */
export async function runStatement(client: RedshiftDataClient, input: ExecuteStatementInput, what: string, opts: { signal?: AbortSignal; maxPollMs?: number } = {}): Promise<FinishedStatement> {
  const { signal } = opts;
  const started = await callAws('redshift-data', 'ExecuteStatement', () => client.send(new ExecuteStatementCommand(input), { abortSignal: signal }), signal);
  if (!started.Id) throw new ApiError({ service: 'redshift-data', message: 'ExecuteStatement returned no statement id', retryable: false });
  let wait = 50;
  for (;;) {
    const d: DescribeStatementResponse = await callAws('redshift-data', 'DescribeStatement', () => client.send(new DescribeStatementCommand({ Id: started.Id }), { abortSignal: signal }), signal);
    if (d.Status === 'FINISHED') return { id: started.Id, sessionId: started.SessionId ?? d.SessionId, resultRows: d.ResultRows, hasResultSet: d.HasResultSet ?? false };
    if (d.Status === 'FAILED' || d.Status === 'ABORTED') throw new StatementFailedError(what, d.Error ?? d.Status);
    await sleep(wait, undefined, { signal });
    wait = Math.min(wait * 2, opts.maxPollMs ?? 2000);
  }
}

/** Every page of a statement's result set (GetStatementResult until NextToken is absent). */
export async function* resultPages(client: RedshiftDataClient, id: string, signal?: AbortSignal): AsyncGenerator<GetStatementResultResponse> {
  let token: string | undefined;
  do {
    const page = await callAws('redshift-data', 'GetStatementResult', () => client.send(new GetStatementResultCommand({ Id: id, NextToken: token }), { abortSignal: signal }), signal);
    yield page;
    token = page.NextToken;
  } while (token);
}
