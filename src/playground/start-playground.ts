import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createApp, type CutoverApp } from '../app.ts';
import type { Config } from '../config/load-config.ts';
import { createSandboxEngine } from '../engines/sandbox/index.ts';
import { deletePrefix, ensureRedis, NoRedisError, type RedisForPlayground } from './ensure-redis.ts';
import { Interactions } from './interactions.ts';
import { loadPlaygroundCatalog } from './load-playground-catalog.ts';
import { createPlaygroundServer } from './playground-server.ts';
import { channelName, SlackEmulator } from './slack-emulator.ts';
import { PLAYGROUND_USERGROUPS, PLAYGROUND_USERS } from './users.ts';

export interface RunningPlayground {
  /** `http://localhost:<port>/` */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Without SLACK_BOT_TOKEN, `npm start` runs the playground: the real app (same Bolt handlers,
 * jobs and views) against a Slack Web API emulator served here, a page at `PORT` that shows
 * the channel and turns what people do into signed Slack requests, and the in-process
 * sandbox engine. Nothing leaves the machine.
 */
export async function startPlayground(config: Config, { handleSignals = true } = {}): Promise<RunningPlayground | undefined> {
  const { catalog, file, note } = loadPlaygroundCatalog(config.pipelinesFile);
  let redis: RedisForPlayground;
  try {
    redis = await ensureRedis(config.redisUrl);
  } catch (err) {
    if (!(err instanceof NoRedisError)) throw err;
    process.stderr.write(`cutover: cannot start the playground: ${err.message}\n`);
    process.exitCode = 2;
    return undefined;
  }

  // A fresh token, signing secret and key prefix per session: nothing to configure, nothing shared.
  const botToken = `xoxb-playground-${randomBytes(12).toString('hex')}`;
  const signingSecret = randomBytes(32).toString('hex');
  const redisPrefix = `${config.redisPrefix}-playground-${randomBytes(3).toString('hex')}`;
  const emulator = new SlackEmulator({ token: botToken, users: PLAYGROUND_USERS, usergroups: PLAYGROUND_USERGROUPS });
  // Filled in once the app is up: it needs the emulator's URL first.
  const live: { interactions?: Interactions; appPort?: number } = {};
  const channels = [...new Set(Object.values(catalog.pipelines).map((p) => p.channel))].map((id) => ({ id, name: channelName(id) }));
  const server = createPlaygroundServer({
    emulator,
    interactions: () => live.interactions,
    appPort: () => live.appPort,
    // The page treats links on the emulator's origin (the app's permalinks) as its own.
    info: () => ({ users: PLAYGROUND_USERS, channels, pipelines: Object.keys(catalog.pipelines), catalogFile: file, permalinkOrigin: emulator.origin }),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  emulator.origin = `http://127.0.0.1:${port}`;

  const appConfig: Config = {
    ...config,
    slack: { ...config.slack, botToken, signingSecret, appToken: undefined, apiUrl: `${emulator.origin}/api/` },
    redisUrl: redis.url,
    redisPrefix,
    port: 0,
    role: 'all',
    // Sandbox runs take seconds; poll often enough to watch them move.
    pollIntervalMs: Math.min(config.pollIntervalMs, 500),
    // The sandbox's cost appears seconds after a run: look again every second, not every 30 minutes.
    cost: { ...config.cost, retryMs: Math.min(config.cost.retryMs, 1000) },
  };
  const app: CutoverApp = createApp({ config: appConfig, catalog, engines: { sandbox: createSandboxEngine({ catalog }) } });
  live.appPort = (await app.start()).port;
  live.interactions = new Interactions({
    emulator,
    eventsUrl: `http://127.0.0.1:${live.appPort}/slack/events`,
    signingSecret,
    origin: emulator.origin,
    botToken,
    userName: (id) => emulator.users[id]?.name ?? id.toLowerCase(),
  });

  const url = `http://localhost:${port}/`;
  app.logger.info({ url, port, catalog: file, redis: redis.started ? 'started by the playground' : 'REDIS_URL' }, 'playground started');
  process.stderr.write(
    [
      '',
      `  Cutover playground: ${url}`,
      `  catalog ${file}${note ? `\n  (${note})` : ''}`,
      `  Redis ${redis.started ? `${redis.url} (started for this session, gone when it stops)` : redis.url}`,
      '  Ctrl-C to stop.',
      '',
      '',
    ].join('\n'),
  );

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.stop();
      if (!redis.started) await deletePrefix(redis.url, redisPrefix).catch(() => {});
      await redis.stop();
    })());
  if (handleSignals) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        const force = setTimeout(() => process.exit(1), 30_000);
        force.unref();
        void stop().then(() => process.exit(0), () => process.exit(1));
      });
    }
  }
  return { url, port, stop };
}
