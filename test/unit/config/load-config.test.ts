import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.ts';
import { ConfigError } from '../../../src/errors.ts';

describe('environment', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({ env: {} });
    expect(c).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      pipelinesFile: './pipelines.yaml',
      port: 3000,
      role: 'all',
      pollIntervalMs: 15000,
      playground: true,
      slack: { apiUrl: 'https://slack.com/api/' },
    });
  });

  it('reads every variable and normalises URLs', () => {
    const c = loadConfig({
      env: {
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_SIGNING_SECRET: 's',
        SLACK_API_URL: 'http://127.0.0.1:9/api',
        DATABRICKS_HOST: 'http://127.0.0.1:8/',
        DATABRICKS_TOKEN: 'dapi1',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:7',
        AWS_ENDPOINT_URL_EMR: 'http://127.0.0.1:6',
        AWS_ENDPOINT_URL_REDSHIFT_DATA: 'http://127.0.0.1:5',
        AWS_ENDPOINT_URL_SFN: 'http://127.0.0.1:4',
        AWS_ENDPOINT_URL_EMR_SERVERLESS: 'http://127.0.0.1:3',
        PORT: '0',
        CUTOVER_ROLE: 'worker',
        CUTOVER_POLL_INTERVAL_MS: '250',
        AWS_ENDPOINT_URL_COST_EXPLORER: 'http://127.0.0.1:2',
        CUTOVER_COST_RETRY_MS: '300',
      },
    });
    expect(c.slack.apiUrl).toBe('http://127.0.0.1:9/api/');
    expect(c.databricks.host).toBe('http://127.0.0.1:8');
    const fallback = 'http://127.0.0.1:7';
    expect(c.aws.endpoints).toEqual({
      s3: fallback,
      sns: fallback,
      emr: 'http://127.0.0.1:6',
      redshiftData: 'http://127.0.0.1:5',
      sfn: 'http://127.0.0.1:4',
      emrServerless: 'http://127.0.0.1:3',
      scheduler: fallback,
      eventbridge: fallback,
      glue: fallback,
      costExplorer: 'http://127.0.0.1:2',
    });
    expect(c.cost).toEqual({ retryMs: 300, waitMs: 48 * 3600_000 });
    expect(c).toMatchObject({ port: 0, role: 'worker', pollIntervalMs: 250, playground: false });
  });

  it('issue 15: without a bot token, only a laptop gets the playground', () => {
    expect(loadConfig({ env: {} })).toMatchObject({ playground: true, deployment: undefined });
    expect(loadConfig({ env: { NODE_ENV: 'development', CUTOVER_ROLE: '' } })).toMatchObject({ playground: true, deployment: undefined });
    expect(loadConfig({ env: { NODE_ENV: 'production' } })).toMatchObject({ playground: false, deployment: 'NODE_ENV=production' });
    expect(loadConfig({ env: { CUTOVER_ROLE: 'web' } })).toMatchObject({ playground: false, deployment: 'CUTOVER_ROLE=web' });
    // The CLI loads the same config in the container: no Slack token is needed there, so no error.
    expect(() => loadConfig({ env: { NODE_ENV: 'production', CUTOVER_ROLE: 'all' } })).not.toThrow();
  });

  it('names every bad variable at once', () => {
    try {
      loadConfig({ env: { SLACK_BOT_TOKEN: 'xoxp-user', PORT: 'eighty', CUTOVER_ROLE: 'both', REDIS_URL: 'localhost' } });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const vars = (err as ConfigError).problems.map((p) => p.split(':')[0]);
      expect(vars).toEqual(expect.arrayContaining(['SLACK_BOT_TOKEN', 'PORT', 'CUTOVER_ROLE', 'REDIS_URL']));
    }
  });

  it('requires a signing secret in HTTP mode, not in Socket Mode', () => {
    expect(() => loadConfig({ env: { SLACK_BOT_TOKEN: 'xoxb-1' } })).toThrow(/SLACK_SIGNING_SECRET/);
    expect(loadConfig({ env: { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' } }).slack.appToken).toBe('xapp-1');
  });

  it('holds two Socket Mode connections unless told otherwise, and no more than the 10 Slack allows', () => {
    const socket = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' };
    expect(loadConfig({ env: socket }).slack.socketConnections).toBe(2);
    expect(loadConfig({ env: { ...socket, CUTOVER_SOCKET_CONNECTIONS: '1' } }).slack.socketConnections).toBe(1);
    expect(() => loadConfig({ env: { ...socket, CUTOVER_SOCKET_CONNECTIONS: '11' } })).toThrow(/CUTOVER_SOCKET_CONNECTIONS.*at most 10/);
    expect(() => loadConfig({ env: { ...socket, CUTOVER_SOCKET_CONNECTIONS: '0' } })).toThrow(/CUTOVER_SOCKET_CONNECTIONS/);
    expect(() => loadConfig({ env: { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xoxb-2' } })).toThrow(/SLACK_APP_TOKEN.*xapp-/);
  });
});
