import { EMRClient } from '@aws-sdk/client-emr';
import { EMRServerlessClient } from '@aws-sdk/client-emr-serverless';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Catalog } from '../config/catalog-schema.ts';
import type { Config } from '../config/load-config.ts';
import { instrumentedFetch } from '../http/instrumented-fetch.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';
import { AirflowClient, createAirflowEngine } from './airflow/index.ts';
import { DatabricksClient, createDatabricksEngine } from './databricks/index.ts';
import { OAuthM2MTokenSource, personalAccessToken, type TokenSource } from './databricks/token-source.ts';
import { createEmrEngine } from './emr/index.ts';
import { createEmrServerlessEngine } from './emr-serverless/index.ts';
import { createRedshiftEngine } from './redshift/index.ts';
import { createStepFunctionsEngine } from './stepfunctions/index.ts';
import { createSandboxEngine } from './sandbox/index.ts';
import type { EngineRegistry } from './types.ts';
import { databricksRunListing } from './databricks/run-listing.ts';
import { emrStepListing } from './emr/step-listing.ts';
import { airflowRunListing } from './airflow/run-listing.ts';
import { limitedFetch } from '../rate-limit/limited-fetch.ts';
import type { RedisRateLimiter } from '../rate-limit/token-bucket.ts';
import type { Redis } from 'ioredis';

export type { Engine, EngineRegistry } from './types.ts';

/**
 * Builds the engines this deployment has credentials for. An engine that is not configured
 * is simply absent: a run on it fails at once with a message saying so.
 */
export function createEngines(
  config: Config,
  {
    logger,
    metrics,
    catalog,
    clients = createApiClients(config, { logger, metrics }),
    redis,
  }: { logger: Logger; metrics?: Metrics; catalog?: Catalog; clients?: ApiClients; /** Shares batched polls between workers. */ redis?: Redis },
): EngineRegistry {
  const engines: EngineRegistry = {};
  // The in-process sandbox (the playground's engine) needs no credentials: present whenever a pipeline uses it.
  const usesSandbox = Object.values(catalog?.pipelines ?? {}).some((p) => p.legacy?.engine === 'sandbox' || p.target.engine === 'sandbox');
  if (catalog && usesSandbox) engines.sandbox = createSandboxEngine({ catalog, logger });
  // Batched polling (issue 17): half a poll interval, so every run of a group polled on one tick
  // shares one listing (src/jobs/poll-run.ts). Off without Redis or with CUTOVER_POLL_BATCHING=off.
  const shared = redis && config.pollBatching ? { redis, prefix: config.redisPrefix, freshMs: config.pollIntervalMs / 2 } : undefined;
  if (clients.databricks) {
    const listing = shared && databricksRunListing({ ...shared, client: clients.databricks });
    engines.databricks = createDatabricksEngine(clients.databricks, { listing });
  }
  engines.emr = createEmrEngine({ client: clients.emr, listing: shared && emrStepListing({ ...shared, client: clients.emr }) });
  engines.redshift = createRedshiftEngine({ client: clients.redshiftData });
  engines.stepfunctions = createStepFunctionsEngine({ client: clients.sfn });
  engines['emr-serverless'] = createEmrServerlessEngine({ client: clients.emrServerless });
  if (clients.airflow) engines.airflow = createAirflowEngine({ client: clients.airflow, listing: shared && airflowRunListing({ ...shared, client: clients.airflow }) });
  return engines;
}

/** The raw API clients, for the engines and for cutover actions (schedule, pause, cancel pending). */
export interface ApiClients {
  databricks?: DatabricksClient;
  airflow?: AirflowClient;
  emr: EMRClient;
  redshiftData: RedshiftDataClient;
  sfn: SFNClient;
  emrServerless: EMRServerlessClient;
  scheduler: SchedulerClient;
  eventbridge: EventBridgeClient;
}

export function createApiClients(config: Config, { logger, metrics, limiter }: { logger: Logger; metrics?: Metrics; /** Keeps each engine API under its configured rate. */ limiter?: RedisRateLimiter }): ApiClients {
  const limits = config.rateLimits.engines;
  const limit = (service: 'databricks' | 'airflow', base: typeof fetch) => (limiter ? limitedFetch(limiter, `engine:${service}`, limits[service], base) : base);
  const db = config.databricks;
  let databricks: DatabricksClient | undefined;
  if (db.host && (db.token || (db.clientId && db.clientSecret))) {
    const auth = db.token ? { token: db.token } : { clientId: db.clientId!, clientSecret: db.clientSecret! };
    databricks = new DatabricksClient({ host: db.host, auth, fetch: limit('databricks', instrumentedFetch('databricks', metrics)), logger });
  }
  // The AWS SDK finds credentials itself (env, profile, instance role); only the endpoint is ours.
  const { region, endpoints } = config.aws;
  const emr = new EMRClient({ region, endpoint: endpoints.emr });
  if (limiter) {
    // The AWS SDK takes no fetch: the EMR API's bucket is taken in a middleware instead.
    emr.middlewareStack.add((next) => async (args) => (await limiter.acquire('engine:emr', limits.emr), next(args)), { step: 'initialize', name: 'cutoverRateLimit' });
  }
  const airflow = config.airflow.url
    ? new AirflowClient({ baseUrl: config.airflow.url, token: config.airflow.token, credentials: airflowCredentials(config), apiVersion: config.airflow.apiVersion, fetch: limit('airflow', instrumentedFetch('airflow', metrics)) })
    : undefined;
  return {
    databricks,
    airflow,
    emr,
    redshiftData: new RedshiftDataClient({ region, endpoint: endpoints.redshiftData }),
    sfn: new SFNClient({ region, endpoint: endpoints.sfn }),
    emrServerless: new EMRServerlessClient({ region, endpoint: endpoints.emrServerless }),
    scheduler: new SchedulerClient({ region, endpoint: endpoints.scheduler }),
    eventbridge: new EventBridgeClient({ region, endpoint: endpoints.eventbridge }),
  };
}

/** Bearer tokens for Databricks APIs outside the Jobs client (the SQL warehouse): PAT or OAuth M2M. */
export function databricksTokenSource(config: Config, fetchImpl: typeof fetch = fetch): TokenSource | undefined {
  const db = config.databricks;
  if (!db.host) return undefined;
  if (db.token) return personalAccessToken(db.token);
  if (db.clientId && db.clientSecret) return new OAuthM2MTokenSource({ host: db.host, clientId: db.clientId, clientSecret: db.clientSecret, fetch: fetchImpl, now: Date.now });
  return undefined;
}

/** The Airflow user's name and password, when they are the credential (AIRFLOW_USERNAME + AIRFLOW_PASSWORD). */
function airflowCredentials(config: Config): { username: string; password: string } | undefined {
  const { username, password } = config.airflow;
  return username && password ? { username, password } : undefined;
}
