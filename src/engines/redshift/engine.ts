import { CancelStatementCommand, DescribeStatementCommand, ExecuteStatementCommand, type DescribeStatementResponse, type RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { ConfigError, InvalidStateError } from '../../errors.ts';
import { callAws } from '../emr/to-api-error.ts';
import type { Engine, EngineRunStatus, SubmitRequest, SubmitResult, TaskFailure } from '../types.ts';
import { consoleUrl, redshiftClientToken, toFailures, toRunStatus } from './statement-status.ts';

export interface RedshiftEngineOptions {
  /** A RedshiftDataClient for the cluster's region; tests point its `endpoint` at a fake. */
  client: RedshiftDataClient;
}

/**
 * The Redshift engine: one Data API statement per run, typically `CALL schema.proc(:period)`.
 *
 * The caller binds the catalog's `{{period}}` / `{{param.X}}` as named parameters (`req.config.sql`
 * holds `:name` markers, `req.params` their values), so no value is ever part of the SQL text.
 * `ClientToken` is derived from the run id: a submit retried after a crash gets the statement it
 * started before, and the procedure runs once.
 */
export function createRedshiftEngine({ client }: RedshiftEngineOptions): Engine {
  const data = <T>(operation: string, call: () => Promise<T>, signal?: AbortSignal) => callAws('redshift-data', operation, call, signal);

  async function describe(id: string, signal?: AbortSignal): Promise<{ out: DescribeStatementResponse; url: string }> {
    const out = await data('DescribeStatement', () => client.send(new DescribeStatementCommand({ Id: id }), { abortSignal: signal }), signal);
    const url = consoleUrl(await client.config.region(), { clusterIdentifier: out.ClusterIdentifier, workgroupName: out.WorkgroupName });
    return { out, url };
  }

  return {
    name: 'redshift',

    async submit(req: SubmitRequest): Promise<SubmitResult> {
      const config = req.config;
      if (config.engine !== 'redshift') throw new ConfigError('redshift engine', [`config.engine: expected redshift, got ${config.engine}`]);
      const token = redshiftClientToken(req.runId);
      const parameters = Object.entries(req.params).map(([name, value]) => ({ name, value }));
      const out = await data(
        'ExecuteStatement',
        () =>
          client.send(
            new ExecuteStatementCommand({
              Sql: config.sql,
              // The list has a minimum of one entry: a statement without values sends none.
              Parameters: parameters.length > 0 ? parameters : undefined,
              ClusterIdentifier: config.clusterIdentifier,
              WorkgroupName: config.workgroupName,
              Database: config.database,
              SecretArn: config.secretArn,
              DbUser: config.dbUser,
              ClientToken: token,
              StatementName: token,
            }),
            { abortSignal: req.signal },
          ),
        req.signal,
      );
      if (!out.Id) throw new InvalidStateError('Redshift ExecuteStatement returned no statement id');
      return { externalId: out.Id, url: consoleUrl(await client.config.region(), config) };
    },

    async poll(externalId: string, signal?: AbortSignal): Promise<EngineRunStatus> {
      const { out, url } = await describe(externalId, signal);
      return toRunStatus(out, url);
    },

    async failures(externalId: string, status: EngineRunStatus, signal?: AbortSignal): Promise<TaskFailure[]> {
      if (status.state !== 'failed') return [];
      const { out, url } = await describe(externalId, signal);
      return toFailures(out, url);
    },

    async cancel(externalId: string, signal?: AbortSignal): Promise<void> {
      const out = await data('CancelStatement', () => client.send(new CancelStatementCommand({ Id: externalId }), { abortSignal: signal }), signal);
      if (out.Status === false) throw new InvalidStateError(`Redshift did not cancel statement ${externalId}`);
    },
  };
}
