import { EMRClient } from '@aws-sdk/client-emr';
import type { Config } from '../config/load-config.ts';
import { instrumentedFetch } from '../http/instrumented-fetch.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { AirflowClient, createAirflowEngine } from './airflow/index.ts';
import { DatabricksClient, createDatabricksEngine } from './databricks/index.ts';
import { OAuthM2MTokenSource, personalAccessToken, type TokenSource } from './databricks/token-source.ts';
import { createEmrEngine } from './emr/index.ts';
import type { EngineRegistry } from './types.ts';

export type { Engine, EngineRegistry } from './types.ts';

/**
 * Builds the engines this deployment has credentials for. An engine that is not configured
 * is simply absent: a run on it fails at once with a message saying so.
 */
export function createEngines(config: Config, { logger, metrics }: { logger: Logger; metrics?: Metrics }): EngineRegistry {
  const engines: EngineRegistry = {};
  const db = config.databricks;
  if (db.host && (db.token || (db.clientId && db.clientSecret))) {
    const auth = db.token ? { token: db.token } : { clientId: db.clientId!, clientSecret: db.clientSecret! };
    const client = new DatabricksClient({ host: db.host, auth, fetch: instrumentedFetch('databricks', metrics), logger });
    engines.databricks = createDatabricksEngine(client);
  }
  // The AWS SDK finds credentials itself (env, profile, instance role); only the endpoint is ours.
  engines.emr = createEmrEngine({ client: new EMRClient({ region: config.aws.region, endpoint: config.aws.endpoints.emr }) });
  if (config.airflow.url) {
    const client = new AirflowClient({ baseUrl: config.airflow.url, token: config.airflow.token, apiVersion: config.airflow.apiVersion, fetch: instrumentedFetch('airflow', metrics) });
    engines.airflow = createAirflowEngine({ client });
  }
  return engines;
}

/** Bearer tokens for Databricks APIs outside the Jobs client (the SQL warehouse): PAT or OAuth M2M. */
export function databricksTokenSource(config: Config, fetchImpl: typeof fetch = fetch): TokenSource | undefined {
  const db = config.databricks;
  if (!db.host) return undefined;
  if (db.token) return personalAccessToken(db.token);
  if (db.clientId && db.clientSecret) return new OAuthM2MTokenSource({ host: db.host, clientId: db.clientId, clientSecret: db.clientSecret, fetch: fetchImpl, now: Date.now });
  return undefined;
}
