import { createApp } from './app.ts';
import { loadCatalog } from './config/load-catalog.ts';
import { loadConfig } from './config/load-config.ts';
import { ConfigError } from './errors.ts';

/**
 * `npm start`. A bad environment or catalog stops start-up here, naming every bad field.
 * SIGTERM/SIGINT stop taking work and let active jobs finish (BullMQ picks up anything
 * left over when a worker comes back).
 */
async function main(): Promise<void> {
  let app;
  try {
    const config = loadConfig();
    if (!config.slack.botToken && !config.playground) {
      // A container must not fall back to the playground: it binds 127.0.0.1, which the port
      // mapping cannot reach, so the deployment would look up and answer nothing (issue 15).
      throw new ConfigError('environment', [
        `SLACK_BOT_TOKEN: not set, and ${config.deployment} says this is a deployment, so the local playground is not started: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode); see docs/deploy.md`,
      ]);
    }
    if (config.playground) {
      const { startPlayground } = await import('./playground/start-playground.ts');
      await startPlayground(config);
      return;
    }
    const catalog = loadCatalog(config.pipelinesFile);
    app = createApp({ config, catalog });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`cutover: cannot start: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  try {
    await app.start();
  } catch (err) {
    // A credential Slack refuses at start-up (SLACK_APP_TOKEN) is a configuration error too.
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`cutover: cannot start: ${err.message}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    app.stop().then(
      () => process.exit(0),
      (err) => {
        app.logger.error({ err }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
