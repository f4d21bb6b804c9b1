import { SocketModeReceiver, type App, type Receiver } from '@slack/bolt';
import type { Logger as SlackLogger } from '@slack/logger';
import { WebAPIPlatformError, WebClient } from '@slack/web-api';
import { ConfigError } from '../errors.ts';

export interface SocketModeConnectionsOptions {
  /** The app-level token (`xapp-…`, scope `connections:write`). */
  appToken: string;
  /** Where `apps.connections.open` is called (`SLACK_API_URL`). */
  slackApiUrl: string;
  logger: SlackLogger;
  /** How many WebSocket connections to hold open; Slack allows 10 per app, across every process. */
  connections: number;
}

/** Slack's answers meaning the token itself is wrong; anything else (`internal_error`, …) may pass with a retry. */
const REFUSED_TOKEN = new Set(['not_authed', 'invalid_auth', 'account_inactive', 'token_revoked', 'token_expired', 'missing_scope', 'not_allowed_token_type', 'team_disabled', 'user_removed_from_team', 'forbidden_team']);

/**
 * Socket Mode over several WebSocket connections at once, each one Bolt's own
 * SocketModeReceiver feeding the same app.
 *
 * Why more than one: Slack renews every connection every few hours by sending it a
 * `disconnect` message. The SDK closes that connection at once and opens the next one about
 * 5 s later (its reconnect delay), and a command or click in between has nowhere to go: the
 * person gets `dispatch_failed`. Slack hands each envelope to one of the app's open
 * connections, so while one is being renewed the others take the traffic.
 */
export class SocketModeConnections implements Receiver {
  private readonly receivers: SocketModeReceiver[];
  /** Which connections have had their `hello` and not closed since. */
  private readonly open: boolean[];

  constructor(private readonly opts: SocketModeConnectionsOptions) {
    if (!Number.isInteger(opts.connections) || opts.connections < 1) throw new RangeError(`connections must be a positive integer, not ${opts.connections}`);
    this.open = Array.from({ length: opts.connections }, () => false);
    this.receivers = Array.from({ length: opts.connections }, (_, i) => {
      // Each client gets its own options object: the SDK writes its retry policy into it.
      const receiver = new SocketModeReceiver({ appToken: opts.appToken, logger: opts.logger, installerOptions: { clientOptions: { slackApiUrl: opts.slackApiUrl } } });
      const which = `Socket Mode connection ${i + 1} of ${opts.connections}`;
      receiver.client.on('connected', () => {
        this.open[i] = true;
        opts.logger.info(`${which} open`);
      });
      receiver.client.on('close', () => {
        this.open[i] = false;
      });
      receiver.client.on('reconnecting', () => opts.logger.info(`${which} reconnecting`));
      return receiver;
    });
  }

  /**
   * Asks Slack for one connection URL with the app token, once, so a token Slack refuses
   * (`invalid_auth`, `missing_scope` for a token without `connections:write`, …) stops start-up
   * naming SLACK_APP_TOKEN. The SDK would retry most of these for ever, logging each time.
   * Network failures, 5xx and other errors pass: the SDK's own retries deal with a Slack that is down.
   */
  async verify(): Promise<void> {
    const client = new WebClient(undefined, { slackApiUrl: this.opts.slackApiUrl, logger: this.opts.logger, retryConfig: { retries: 0 } });
    try {
      await client.apps.connections.open({ token: this.opts.appToken });
    } catch (err) {
      const reason = err instanceof WebAPIPlatformError ? err.data.error : undefined;
      if (!reason || !REFUSED_TOKEN.has(reason)) return;
      throw new ConfigError('SLACK_APP_TOKEN', [`Slack refused it for apps.connections.open: ${reason} (an app-level token of this app with the connections:write scope is needed)`]);
    }
  }

  /** How many connections can take envelopes now (for `cutover_slack_socket_connections`). */
  openConnections(): number {
    return this.open.filter(Boolean).length;
  }

  init(app: App): void {
    for (const r of this.receivers) r.init(app);
  }

  /** Resolves once every connection has had Slack's `hello`. */
  async start(): Promise<void> {
    await Promise.all(this.receivers.map((r) => r.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.receivers.map((r) => r.stop()));
  }
}
