import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { formatIssues } from './load-catalog.ts';
import { CRASH_POINTS, type CrashPointName } from '../crash-point.ts';
import { daysToMs, DEFAULT_RETENTION, type Retention } from '../store/retention.ts';
import { SLACK_TIERS, type SlackRateLimits } from '../slack/rate-limits.ts';
import type { BucketSpec } from '../rate-limit/token-bucket.ts';

/**
 * The process environment of DESIGN.md, validated once at start-up. This is the only
 * module that reads `process.env` (STYLE 9): everything else receives a `Config`.
 */
const optional = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));
const url = z.url({ protocol: /^https?$/ });
const optionalUrl = optional.pipe(url.optional());
const positiveInt = (fallback: number) => z.coerce.number<string | undefined>().int().positive().default(fallback);

const envSchema = z.object({
  SLACK_BOT_TOKEN: optional.pipe(z.string().startsWith('xoxb-', 'expected a bot token (xoxb-…)').optional()),
  SLACK_SIGNING_SECRET: optional,
  SLACK_APP_TOKEN: optional.pipe(z.string().startsWith('xapp-', 'expected an app-level token (xapp-…)').optional()),
  SLACK_API_URL: optional.pipe(url.default('https://slack.com/api/')),
  CUTOVER_SOCKET_CONNECTIONS: optional.pipe(z.coerce.number<string | undefined>().int().min(1).max(10, 'Slack allows at most 10 Socket Mode connections per app').default(2)),
  DATABRICKS_HOST: optionalUrl,
  DATABRICKS_TOKEN: optional,
  DATABRICKS_CLIENT_ID: optional,
  DATABRICKS_CLIENT_SECRET: optional,
  DATABRICKS_WAREHOUSE_ID: optional,
  AWS_REGION: optional.pipe(z.string().default('us-east-1')),
  AWS_ENDPOINT_URL: optionalUrl,
  AWS_ENDPOINT_URL_S3: optionalUrl,
  AWS_ENDPOINT_URL_SNS: optionalUrl,
  AWS_ENDPOINT_URL_EMR: optionalUrl,
  AWS_ENDPOINT_URL_EMR_SERVERLESS: optionalUrl,
  AWS_ENDPOINT_URL_REDSHIFT_DATA: optionalUrl,
  AWS_ENDPOINT_URL_SFN: optionalUrl,
  AWS_ENDPOINT_URL_SCHEDULER: optionalUrl,
  AWS_ENDPOINT_URL_EVENTBRIDGE: optionalUrl,
  AWS_ENDPOINT_URL_GLUE: optionalUrl,
  AWS_ENDPOINT_URL_COST_EXPLORER: optionalUrl,
  // Read only to keep them out of logs: the AWS SDK takes its credentials from its own chain.
  AWS_SECRET_ACCESS_KEY: optional,
  AWS_SESSION_TOKEN: optional,
  AIRFLOW_URL: optionalUrl,
  AIRFLOW_TOKEN: optional,
  AIRFLOW_USERNAME: optional,
  AIRFLOW_PASSWORD: optional,
  AIRFLOW_API_VERSION: optional.pipe(z.enum(['v1', 'v2']).default('v1')),
  REDIS_URL: optional.pipe(z.string().regex(/^rediss?:\/\//, 'expected redis://…').default('redis://127.0.0.1:6379')),
  PIPELINES_FILE: optional.pipe(z.string().default('./pipelines.yaml')),
  PORT: optional.pipe(z.coerce.number<string | undefined>().int().min(0).max(65535).default(3000)),
  CUTOVER_ROLE: optional.pipe(z.enum(['all', 'web', 'worker']).default('all')),
  CUTOVER_POLL_INTERVAL_MS: optional.pipe(positiveInt(15_000)),
  CUTOVER_PII_KEY: optional,
  CUTOVER_JOB_LOCK_MS: optional.pipe(positiveInt(30_000)),
  CUTOVER_PREFLIGHT_INTERVAL_MS: optional.pipe(z.coerce.number<string | undefined>().int().min(0).default(300_000)),
  CUTOVER_COST_RETRY_MS: optional.pipe(positiveInt(30 * 60_000)),
  CUTOVER_COST_WAIT_MS: optional.pipe(positiveInt(48 * 3600_000)),
  CUTOVER_RETRY_AFTER_CAP_MS: optional.pipe(positiveInt(300_000)),
  CUTOVER_SQL_STATEMENT_TIMEOUT_MS: optional.pipe(positiveInt(3_600_000)),
  CUTOVER_USERGROUP_MAX_AGE_MS: optional.pipe(positiveInt(1_800_000)),
  CUTOVER_REDIS_PREFIX: optional.pipe(z.string().regex(/^[\w.-]+$/, 'letters, digits, dot, dash or underscore').default('cutover')),
  CUTOVER_RETENTION_DAYS: optional.pipe(z.coerce.number<string | undefined>().positive().default(DEFAULT_RETENTION.recordsMs / 86_400_000)),
  CUTOVER_REPORT_RETENTION_DAYS: optional.pipe(z.coerce.number<string | undefined>().positive().default(DEFAULT_RETENTION.reportsMs / 86_400_000)),
  CUTOVER_AUDIT_MAXLEN: optional.pipe(z.coerce.number<string | undefined>().int().min(0).default(DEFAULT_RETENTION.auditMaxLen)),
  CUTOVER_MAX_DIFFS_PER_USER: optional.pipe(positiveInt(2)),
  LOG_LEVEL: optional.pipe(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  CUTOVER_TEST_CRASH_AT: optional.pipe(z.enum(CRASH_POINTS).optional()),
  CUTOVER_SLACK_RATE_LIMITS: optional,
  CUTOVER_ENGINE_RATE_LIMITS: optional,
  CUTOVER_POLL_BATCHING: optional.pipe(z.enum(['on', 'off']).default('on')),
  // Read only to tell a deployment from a laptop (see `deployment` below); Node's own convention.
  NODE_ENV: optional,
});

const bucketSpec = z.strictObject({ rate: z.number().positive(), burst: z.number().int().positive() });
const slackLimitsSchema = z.record(z.string().regex(/^(\*|[a-z]+(\.[a-zA-Z]+)+)$/, 'a Web API method name such as chat.update, or *'), bucketSpec.extend({ perChannel: z.boolean().optional() }));
const engineLimitsSchema = z.partialRecord(z.enum(['databricks', 'airflow', 'emr']), bucketSpec);

/**
 * Calls per minute and burst per engine API, shared by every worker (issue 17). Databricks does
 * not publish numbers we could confirm (runs/get is said to allow 100/s per workspace); 7 a
 * second on average with bursts of 2 leaves room for the other tools of a workspace and keeps any
 * one-second window under 10 calls (a full bucket plus a second's refill: 2 + 7 = 9), the issue's
 * ceiling at 500 runs; bursts of 3 let a window reach exactly 10. EMR and Airflow: 5 a second.
 */
export const ENGINE_RATE_LIMITS: Readonly<Record<'databricks' | 'airflow' | 'emr', BucketSpec>> = {
  databricks: { rate: 420, burst: 2 },
  airflow: { rate: 300, burst: 5 },
  emr: { rate: 300, burst: 5 },
};

/** A JSON object of limits from the environment, merged over the defaults key by key. */
function parseLimits<T>(name: string, raw: string | undefined, schema: z.ZodType<T>, problems: string[]): T | undefined {
  if (raw === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    problems.push(`${name}: not JSON (expected e.g. {"chat.update": {"rate": 50, "burst": 10}}, rate per minute)`);
    return undefined;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    problems.push(...formatIssues(parsed.error.issues).map((p) => `${name}: ${p}`));
    return undefined;
  }
  return parsed.data;
}

/** Every variable Cutover reads (docs/deploy.md lists them; the deploy test checks docker-compose.yml against it). */
export const ENV_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

export type Role = 'all' | 'web' | 'worker';

/**
 * Endpoint overrides per AWS service, from the SDK's standard `AWS_ENDPOINT_URL_<SERVICE_ID>`
 * (the service id upper-cased, spaces as `_`) or else `AWS_ENDPOINT_URL`; unset means the SDK's default.
 */
export interface AwsEndpoints {
  s3?: string;
  sns?: string;
  emr?: string;
  emrServerless?: string;
  redshiftData?: string;
  sfn?: string;
  scheduler?: string;
  eventbridge?: string;
  glue?: string;
  costExplorer?: string;
}

export interface Config {
  slack: {
    botToken?: string;
    signingSecret?: string;
    appToken?: string;
    apiUrl: string;
    /** Socket Mode connections this process holds open (with `appToken`); Slack allows 10 per app in all. */
    socketConnections: number;
  };
  databricks: {
    host?: string;
    token?: string;
    clientId?: string;
    clientSecret?: string;
    warehouseId?: string;
  };
  aws: {
    region: string;
    endpoints: AwsEndpoints;
    /** Only so logs can redact them (`secretsOf`); the SDK reads its credentials itself. */
    secretAccessKey?: string;
    sessionToken?: string;
  };
  /** `token`, or `username` + `password` (basic auth on v1, a JWT bought from `/auth/token` on v2). */
  airflow: { url?: string; token?: string; username?: string; password?: string; apiVersion: 'v1' | 'v2' };
  redisUrl: string;
  /** Prefix of every Redis key (and BullMQ queue) of this deployment, so several can share a Redis. */
  redisPrefix: string;
  pipelinesFile: string;
  port: number;
  role: Role;
  pollIntervalMs: number;
  /** BullMQ lock duration: how soon a job of a crashed worker is taken over by another. */
  jobLockMs: number;
  /** How often the preflight (`cutover doctor`'s checks) runs again after start-up for `/readyz`; 0: never, not even at start. */
  preflightIntervalMs: number;
  /**
   * When a run's cost is looked up again while its billing data has not arrived (issue 16): first
   * after `retryMs`, then doubling (at most 6 h apart), giving up `waitMs` after the run ended.
   */
  cost: { retryMs: number; waitMs: number };
  piiKey?: string;
  /** The longest wait a `Retry-After` header can impose on a retried job. */
  retryAfterCapMs: number;
  /** How long a SQL warehouse statement may run (polled) before it is cancelled and reported. */
  sqlStatementTimeoutMs: number;
  /**
   * How old a cached user-group member list may be and still decide a permission while Slack's
   * `usergroups.users.list` fails; past it the request is refused with the reason.
   */
  userGroupMaxAgeMs: number;
  /**
   * How long stored artifacts live (src/store/retention.ts): `CUTOVER_RETENTION_DAYS` (records of
   * finished work, default 90), `CUTOVER_REPORT_RETENTION_DAYS` (diff reports and CSVs, default 30),
   * `CUTOVER_AUDIT_MAXLEN` (events kept per pipeline's audit stream, about; default 0 = all).
   */
  retention: Retention;
  /** `/pipeline diff`s one person may have running at once (`CUTOVER_MAX_DIFFS_PER_USER`, default 2). */
  maxDiffsPerUser: number;
  logLevel: string;
  /**
   * True when no bot token is set and nothing says this is a deployment: `npm start` runs the
   * local playground (bound to 127.0.0.1, which a container's port mapping cannot reach).
   */
  playground: boolean;
  /**
   * What says this process is a deployment rather than a laptop (`NODE_ENV=production`, as the
   * image sets it, or an explicit `CUTOVER_ROLE`); such a process without a bot token refuses to
   * start instead of falling back to the playground (issue 15).
   */
  deployment?: string;
  /**
   * Test-only (`CUTOVER_TEST_CRASH_AT`, never set in production): the name of a crash point
   * (src/crash-point.ts) at which the process SIGKILLs itself, so crash tests hit it exactly.
   */
  testCrashAt?: CrashPointName;
  /**
   * Token buckets shared by all workers through Redis (issue 17): Slack's per-method tiers
   * (`CUTOVER_SLACK_RATE_LIMITS`, merged over Slack's published tiers) and one per engine API
   * (`CUTOVER_ENGINE_RATE_LIMITS`). Rates are calls per minute.
   */
  rateLimits: { slack: SlackRateLimits; engines: Record<'databricks' | 'airflow' | 'emr', BucketSpec> };
  /** Runs of one Databricks job, EMR cluster or Airflow DAG polled with one listing (`CUTOVER_POLL_BATCHING`, default on). */
  pollBatching: boolean;
}

export interface LoadConfigOptions {
  env?: Record<string, string | undefined>;
  /** Applied last: defaults < env < overrides. */
  overrides?: Partial<Config>;
}

export function loadConfig({ env = process.env, overrides = {} }: LoadConfigOptions = {}): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError('environment', formatIssues(parsed.error.issues));
  const e = parsed.data;
  const deployment = e.NODE_ENV === 'production' ? 'NODE_ENV=production' : env.CUTOVER_ROLE?.trim() ? `CUTOVER_ROLE=${e.CUTOVER_ROLE}` : undefined;
  const problems: string[] = [];
  if (e.SLACK_BOT_TOKEN && !e.SLACK_APP_TOKEN && !e.SLACK_SIGNING_SECRET) {
    problems.push('SLACK_SIGNING_SECRET: required with SLACK_BOT_TOKEN in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)');
  }
  if (Boolean(e.DATABRICKS_CLIENT_ID) !== Boolean(e.DATABRICKS_CLIENT_SECRET)) {
    problems.push('DATABRICKS_CLIENT_ID/DATABRICKS_CLIENT_SECRET: set both for OAuth M2M, or neither');
  }
  if (Boolean(e.AIRFLOW_USERNAME) !== Boolean(e.AIRFLOW_PASSWORD)) {
    problems.push('AIRFLOW_USERNAME/AIRFLOW_PASSWORD: set both (or AIRFLOW_TOKEN instead), or neither');
  }
  if (e.AIRFLOW_TOKEN && e.AIRFLOW_USERNAME) {
    problems.push('AIRFLOW_TOKEN/AIRFLOW_USERNAME: set a token or a user name and password, not both');
  }
  const slackLimits = parseLimits('CUTOVER_SLACK_RATE_LIMITS', e.CUTOVER_SLACK_RATE_LIMITS, slackLimitsSchema, problems);
  const engineLimits = parseLimits('CUTOVER_ENGINE_RATE_LIMITS', e.CUTOVER_ENGINE_RATE_LIMITS, engineLimitsSchema, problems);
  if (problems.length > 0) throw new ConfigError('environment', problems);

  const config: Config = {
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL.endsWith('/') ? e.SLACK_API_URL : `${e.SLACK_API_URL}/`,
      socketConnections: e.CUTOVER_SOCKET_CONNECTIONS,
    },
    databricks: {
      host: e.DATABRICKS_HOST?.replace(/\/+$/, ''),
      token: e.DATABRICKS_TOKEN,
      clientId: e.DATABRICKS_CLIENT_ID,
      clientSecret: e.DATABRICKS_CLIENT_SECRET,
      warehouseId: e.DATABRICKS_WAREHOUSE_ID,
    },
    aws: {
      region: e.AWS_REGION,
      endpoints: {
        s3: e.AWS_ENDPOINT_URL_S3 ?? e.AWS_ENDPOINT_URL,
        sns: e.AWS_ENDPOINT_URL_SNS ?? e.AWS_ENDPOINT_URL,
        emr: e.AWS_ENDPOINT_URL_EMR ?? e.AWS_ENDPOINT_URL,
        emrServerless: e.AWS_ENDPOINT_URL_EMR_SERVERLESS ?? e.AWS_ENDPOINT_URL,
        redshiftData: e.AWS_ENDPOINT_URL_REDSHIFT_DATA ?? e.AWS_ENDPOINT_URL,
        sfn: e.AWS_ENDPOINT_URL_SFN ?? e.AWS_ENDPOINT_URL,
        scheduler: e.AWS_ENDPOINT_URL_SCHEDULER ?? e.AWS_ENDPOINT_URL,
        eventbridge: e.AWS_ENDPOINT_URL_EVENTBRIDGE ?? e.AWS_ENDPOINT_URL,
        glue: e.AWS_ENDPOINT_URL_GLUE ?? e.AWS_ENDPOINT_URL,
        costExplorer: e.AWS_ENDPOINT_URL_COST_EXPLORER ?? e.AWS_ENDPOINT_URL,
      },
      secretAccessKey: e.AWS_SECRET_ACCESS_KEY,
      sessionToken: e.AWS_SESSION_TOKEN,
    },
    airflow: { url: e.AIRFLOW_URL?.replace(/\/+$/, ''), token: e.AIRFLOW_TOKEN, username: e.AIRFLOW_USERNAME, password: e.AIRFLOW_PASSWORD, apiVersion: e.AIRFLOW_API_VERSION },
    redisUrl: e.REDIS_URL,
    redisPrefix: e.CUTOVER_REDIS_PREFIX,
    pipelinesFile: e.PIPELINES_FILE,
    port: e.PORT,
    role: e.CUTOVER_ROLE,
    pollIntervalMs: e.CUTOVER_POLL_INTERVAL_MS,
    jobLockMs: e.CUTOVER_JOB_LOCK_MS,
    preflightIntervalMs: e.CUTOVER_PREFLIGHT_INTERVAL_MS,
    cost: { retryMs: e.CUTOVER_COST_RETRY_MS, waitMs: e.CUTOVER_COST_WAIT_MS },
    piiKey: e.CUTOVER_PII_KEY,
    retryAfterCapMs: e.CUTOVER_RETRY_AFTER_CAP_MS,
    sqlStatementTimeoutMs: e.CUTOVER_SQL_STATEMENT_TIMEOUT_MS,
    userGroupMaxAgeMs: e.CUTOVER_USERGROUP_MAX_AGE_MS,
    retention: { recordsMs: daysToMs(e.CUTOVER_RETENTION_DAYS), reportsMs: daysToMs(e.CUTOVER_REPORT_RETENTION_DAYS), auditMaxLen: e.CUTOVER_AUDIT_MAXLEN },
    maxDiffsPerUser: e.CUTOVER_MAX_DIFFS_PER_USER,
    logLevel: e.LOG_LEVEL,
    playground: !e.SLACK_BOT_TOKEN && !deployment,
    deployment,
    testCrashAt: e.CUTOVER_TEST_CRASH_AT,
    rateLimits: { slack: { ...SLACK_TIERS, ...slackLimits }, engines: { ...ENGINE_RATE_LIMITS, ...engineLimits } },
    pollBatching: e.CUTOVER_POLL_BATCHING === 'on',
  };
  return { ...config, ...overrides };
}

/** Every secret value of the config, for the logger to redact wherever it appears (they have no recognisable shape). */
export function secretsOf(config: Config): string[] {
  const { slack, databricks, airflow, aws } = config;
  return [slack.signingSecret, slack.botToken, slack.appToken, databricks.token, databricks.clientSecret, airflow.token, airflow.password, config.piiKey, aws.secretAccessKey, aws.sessionToken].filter(
    (s): s is string => Boolean(s),
  );
}
