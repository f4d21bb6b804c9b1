import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { App, HTTPReceiver } from '@slack/bolt';
import type { Worker } from 'bullmq';
import { Gauge } from 'prom-client';
import { registerCommands } from './commands/index.ts';
import type { CommandDeps } from './commands/command-deps.ts';
import type { Catalog } from './config/catalog-schema.ts';
import { secretsOf, type Config } from './config/load-config.ts';
import { createApiClients, createEngines, databricksTokenSource } from './engines/index.ts';
import { RUN_STATES, type EngineRegistry } from './engines/types.ts';
import { Permissions } from './handlers/permissions.ts';
import { WorkspaceGuard, workspaceGuardMiddleware } from './handlers/workspace-guard.ts';
import { registerRunActions } from './handlers/run-actions.ts';
import { createSnsListener, snsKeys } from './handlers/sns/index.ts';
import { instrumentedFetch } from './http/instrumented-fetch.ts';
import { createHttpServer } from './http/server.ts';
import type { JobDeps } from './jobs/job-deps.ts';
import { Queues } from './jobs/queues.ts';
import { IntakeConsumer } from './jobs/intake.ts';
import { recoverWork } from './jobs/recover-work.ts';
import { startWorkers } from './jobs/workers.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { boltLogger } from './slack/bolt-logger.ts';
import { SocketModeConnections } from './slack/socket-mode-receiver.ts';
import { createSlackClient, slackClientOptions } from './slack/client.ts';
import { botAuthorization } from './slack/bot-authorization.ts';
import { RedisRateLimiter } from './rate-limit/token-bucket.ts';
import { AuditLog } from './store/audit-log.ts';
import { createRedis, keyspace, untilReady } from './store/redis.ts';
import { ParallelStore } from './store/parallel-store.ts';
import { BackfillStore } from './store/backfill-store.ts';
import { registerBackfillActions } from './handlers/backfill-actions.ts';
import { RunStore } from './store/run-store.ts';
import { awsDatasetClients } from './datasets/aws-clients.ts';
import { createS3Access } from './datasets/s3-source.ts';
import { UnityCatalogClient } from './datasets/unity-catalog/uc-client.ts';
import { SqlStatementClient } from './diff/databricks/sql-statement-client.ts';
import { StageStore } from './store/stage-store.ts';
import { DqAlertStore } from './store/dq-alert-store.ts';
import { RedisRowCountHistory } from './checks/row-count-history.ts';
import { createSnsPublisher } from './alerts/sns-publisher.ts';
import { registerDqActions } from './handlers/dq-actions.ts';
import { registerCutoverActions } from './handlers/cutover-actions.ts';
import { registerAppHome } from './handlers/app-home.ts';
import { InteractionRouter } from './handlers/interaction-router.ts';
import type { Permalink } from './cutover/parallel-links.ts';
import { CutoverStore } from './store/cutover-store.ts';
import { CutoverExecStore } from './store/cutover-exec-store.ts';
import { createCatalogSampleProtector } from './pii/index.ts';
import { findingLine, planPreflight, PreflightMonitor } from './doctor/index.ts';
import { ConfigError } from './errors.ts';
import { createRunCostMeter } from './cost/index.ts';
import { createCrashPoint } from './crash-point.ts';


export interface CreateAppOptions {
  config: Config;
  catalog: Catalog;
  logger?: Logger;
  /** Engines to use instead of the ones built from the config (the playground's sandbox). */
  engines?: EngineRegistry;
  now?: () => number;
}

export interface CutoverApp {
  /** Listens on `config.port` (0 = any free port) and starts the role's parts. */
  start(): Promise<{ port: number }>;
  /** Stops taking work, lets active jobs finish, closes connections. */
  stop(): Promise<void>;
  metrics: Metrics;
  logger: Logger;
}

/** The composition root (STYLE 1): builds every part for the configured role and wires them. */
export function createApp(opts: CreateAppOptions): CutoverApp {
  const { config, catalog } = opts;
  const now = opts.now ?? Date.now;
  // A pipeline whose engine has no settings would fail at its first run: a process that runs jobs
  // refuses to start instead, naming each. The web role calls no engine, so it needs no engine
  // credentials (a split deployment can keep them out of its pods).
  const { missing } = planPreflight(catalog, config);
  if (!config.playground && config.role !== 'web' && missing.length > 0) throw new ConfigError('the environment for this catalog', missing.map(findingLine));
  const logger = opts.logger ?? createLogger({ level: config.logLevel, secrets: secretsOf(config) });
  const metrics = createMetrics();
  const keys = keyspace(config.redisPrefix, config.retention);
  const web = config.role !== 'worker';
  const working = config.role !== 'web';

  // Producers fail fast (a Slack request must not hang on a Redis outage); workers wait for Redis.
  const redis = createRedis(config.redisUrl, web ? 'producer' : 'worker');
  const queueConnection = createRedis(config.redisUrl, 'worker');
  const runs = new RunStore(redis, keys, now);
  const parallels = new ParallelStore(redis, keys, now);
  const backfills = new BackfillStore(redis, keys, now);
  const audit = new AuditLog(redis, keys);
  const stages = new StageStore(redis, keys, catalog);
  const dqAlerts = new DqAlertStore(redis, keys, now);
  const cutover = new CutoverStore(redis, keys, now);
  const queues = new Queues(queueConnection, keys.bullPrefix);
  // One limiter for every outside API, its buckets in Redis so all worker processes share them (issue 17).
  const limiter = new RedisRateLimiter(redis, config.redisPrefix, logger);
  const slackOptions = { apiUrl: config.slack.apiUrl, logger, fetch: instrumentedFetch('slack', metrics), limiter, limits: config.rateLimits.slack };
  const slack = createSlackClient({ botToken: config.slack.botToken, ...slackOptions });
  const permissions = new Permissions({ catalog, slack, now, maxAgeMs: config.userGroupMaxAgeMs });
  // Links in replies are a nicety: a slow or failing Slack leaves them out after 2 s.
  const permalink: Permalink = (channel, ts) =>
    Promise.race([slack.chat.getPermalink({ channel, message_ts: ts }).then((r) => r.permalink), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 2000).unref())]).catch(() => undefined);
  const crashPoint = createCrashPoint(config.testCrashAt);
  const commandDeps: CommandDeps = { catalog, runs, parallels, backfills, dqAlerts, cutover, audit, stages, queues, permissions, logger, now, permalink, crashPoint, maxDiffsPerUser: config.maxDiffsPerUser };

  registerGauges(metrics, runs, queues);

  let boltApp: InstanceType<typeof App> | undefined;
  let receiver: InstanceType<typeof HTTPReceiver> | undefined;
  let socketMode: SocketModeConnections | undefined;
  if (web) {
    const appToken = config.slack.appToken;
    // Socket Mode: several connections, so one being renewed by Slack never leaves commands nowhere to go.
    socketMode = appToken ? new SocketModeConnections({ appToken, slackApiUrl: config.slack.apiUrl, logger: boltLogger(logger), connections: config.slack.socketConnections }) : undefined;
    if (!socketMode) {
      receiver = new HTTPReceiver({
        signingSecret: config.slack.signingSecret ?? '',
        endpoints: '/slack/events',
        logger: boltLogger(logger),
      });
    }
    boltApp = new App({
      // Not `token:`: Bolt would call auth.test at once and crash the process when Slack is away.
      authorize: botAuthorization(slack, config.slack.botToken ?? ''),
      receiver: socketMode ?? receiver,
      // Bolt's own client (views.open, respond) shares the Slack buckets with ours.
      clientOptions: slackClientOptions(slackOptions),
      logger: boltLogger(logger),
      // Cutover never reads Bolt's conversation store; skipping it takes a middleware off every request.
      convoStore: false,
    });
    // Before any handler: guests, other workspaces' users and foreign team ids are refused here, once.
    boltApp.use(workspaceGuardMiddleware(new WorkspaceGuard({ slack, logger, now }), logger));
    registerCommands(boltApp, commandDeps);
    const interactions = new InteractionRouter(logger);
    registerRunActions(interactions, commandDeps);
    registerBackfillActions(interactions, commandDeps);
    registerDqActions(interactions, commandDeps);
    registerCutoverActions(interactions, commandDeps);
    interactions.attach(boltApp);
    registerAppHome(boltApp, commandDeps);
    if (socketMode) {
      const connections = socketMode;
      new Gauge({
        name: 'cutover_slack_socket_connections',
        help: 'Socket Mode connections open to Slack (0: commands and clicks cannot reach this process)',
        registers: [metrics.registry],
        collect() {
          this.set(connections.openConnections());
        },
      });
    }
    boltApp.error(async (err) => {
      logger.error({ err }, 'unhandled error in a Slack listener');
    });
  }

  let workers: Worker[] = [];
  const workerConnection = createRedis(config.redisUrl, 'worker', { lazyConnect: true });
  const intakeConnection = createRedis(config.redisUrl, 'worker', { lazyConnect: true });
  // Only workers talk to Databricks/AWS/Airflow; the web role builds none of their clients.
  const clients = working ? createApiClients(config, { logger, metrics, limiter }) : undefined;
  const engines = working ? (opts.engines ?? createEngines(config, { logger, metrics, clients, catalog, redis })) : {};
  const jobDeps: JobDeps = {
    runs,
    parallels,
    backfills,
    dqAlerts,
    cutover,
    cutoverExec: new CutoverExecStore(redis, keys),
    stages,
    clients,
    audit,
    rowCounts: new RedisRowCountHistory({ redis, prefix: config.redisPrefix, retentionMs: config.retention.recordsMs }),
    // PII columns masked or hashed in every sample before it is stored or shown; the bot never
    // shows raw values. A `hash` catalog without CUTOVER_PII_KEY stops start-up here.
    protect: createCatalogSampleProtector(catalog, config.piiKey),
    publishAlert: catalog.alerts.snsTopicArn ? createSnsPublisher({ topicArn: catalog.alerts.snsTopicArn, region: config.aws.region, endpoint: config.aws.endpoints.sns }) : undefined,
    catalog,
    engines,
    slack,
    queues,
    redis,
    keys,
    logger,
    pollIntervalMs: config.pollIntervalMs,
    measureCost: working ? createRunCostMeter(config, { catalog, clients, metrics, now }) : undefined,
    costTiming: config.cost,
    now,
    crashPoint,
    datasets: working ? datasetAccess(config, metrics) : {},
  };
  const intake = new IntakeConsumer({ redis: intakeConnection, keys, queues, logger, consumer: `${hostname()}-${process.pid}`, onGroupLost: () => recoverWork(jobDeps) });

  // SNS in: verified, de-duplicated, routed to a pipeline, and durably enqueued before the 2xx.
  const sns = web
    ? createSnsListener({
        allowedTopics: catalog.alerts.inboundTopics,
        routes: catalog.alerts.routes,
        pipelines: Object.keys(catalog.pipelines),
        redis,
        keys: snsKeys(config.redisPrefix),
        enqueue: (alert) => queues.snsAlert(alert),
        logger,
        crashPoint,
      })
    : undefined;
  // `cutover doctor`'s checks, at start-up and every few minutes, for `/readyz` and the logs (not in the playground).
  const preflight = config.playground ? undefined : new PreflightMonitor({ catalog, config, logger, metrics });
  const server: Server = createHttpServer({
    slack: receiver?.requestListener,
    sns,
    redis,
    metrics,
    logger,
    preflight: () => preflight?.latest(),
  });

  return {
    metrics,
    logger,
    async start() {
      // A Socket Mode app token Slack refuses stops start-up before any work is taken.
      await socketMode?.verify();
      if (working) {
        // The start-up recovery below reads through the producer connection, which refuses commands until connected.
        await untilReady(redis);
        workers = startWorkers(jobDeps, { connection: workerConnection, prefix: keys.bullPrefix, lockDurationMs: config.jobLockMs, retryAfterCapMs: config.retryAfterCapMs });
        await intake.start();
        // Jobs a crash or a loss of Redis data took away: every unfinished run's submit or poll, every approved step's execution.
        await recoverWork(jobDeps);
        // The catalog may have changed while we were down: void approvals bound to an old plan, expire what ran out.
        for (const [name, p] of Object.entries(catalog.pipelines)) if (p.cutover) await queues.cutoverRevalidate(name);
        await queues.notify.add('cutover-expire', { v: 1 }, { jobId: `cexp-startup-${now()}` });
        if (config.retention.auditMaxLen > 0) await queues.scheduleAuditTrim();
      }
      if (boltApp && config.slack.appToken) await boltApp.start();
      await new Promise<void>((resolve) => server.listen(config.port, '0.0.0.0', resolve));
      const port = (server.address() as AddressInfo).port;
      logger.info({ port, role: config.role, mode: config.slack.appToken ? 'socket' : 'http' }, 'cutover started');
      preflight?.start();
      return { port };
    },
    async stop() {
      await preflight?.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      if (boltApp && config.slack.appToken) await boltApp.stop();
      if (working) await intake.stop();
      await Promise.all(workers.map((w) => w.close()));
      await queues.close();
      redis.disconnect();
      queueConnection.disconnect();
      workerConnection.disconnect();
      intakeConnection.disconnect();
    },
  };
}

/**
 * S3 for `path:` outputs; Glue and the Redshift Data API for `glue:` and `redshift:` outputs; Unity Catalog (table metadata and temporary credentials) for a `table:`
 * output beside a `path:`; the SQL warehouse for two `table:` outputs when one is configured.
 */
function datasetAccess(config: Config, metrics: Metrics): JobDeps['datasets'] {
  const s3 = createS3Access({ region: config.aws.region, endpoint: config.aws.endpoints.s3 });
  // Glue tables and Redshift tables as outputs (issue 18).
  const aws = { s3, ...awsDatasetClients(config) };
  const db = config.databricks;
  const tokens = databricksTokenSource(config);
  if (!db.host || !tokens) return { access: aws };
  const uc = new UnityCatalogClient({ host: db.host, getToken: () => tokens.token(), fetch: instrumentedFetch('databricks', metrics) });
  const access = { ...aws, unityCatalog: { client: uc, s3: { region: config.aws.region, endpoint: config.aws.endpoints.s3 } } };
  if (!db.warehouseId) return { access };
  const client = new SqlStatementClient({
    host: db.host,
    warehouseId: db.warehouseId,
    getToken: () => tokens.token(),
    fetch: instrumentedFetch('databricks-sql', metrics),
    timeoutMs: config.sqlStatementTimeoutMs,
  });
  return { access, warehouse: (sql, opts) => client.query(sql, opts) };
}

function registerGauges(metrics: Metrics, runs: RunStore, queues: Queues): void {
  new Gauge({
    name: 'cutover_runs',
    help: 'Runs by state',
    labelNames: ['state'] as const,
    registers: [metrics.registry],
    async collect() {
      const counts = await runs.countsByState();
      for (const state of RUN_STATES) this.set({ state }, counts[state]);
    },
  });
  new Gauge({
    name: 'cutover_queue_jobs',
    help: 'BullMQ jobs by queue and state',
    labelNames: ['queue', 'state'] as const,
    registers: [metrics.registry],
    async collect() {
      for (const queue of [queues.engine, queues.notify, queues.diff]) {
        const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
        for (const [state, n] of Object.entries(counts)) this.set({ queue: queue.name, state }, n);
      }
    },
  });
}
