import { App } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logger.ts';
import { boltLogger } from '../../../src/slack/bolt-logger.ts';
import { SocketModeConnections } from '../../../src/slack/socket-mode-receiver.ts';
import { FakeSlack } from '../../fakes/slack-server.ts';
import { APP_TOKEN, FakeSocketMode } from '../../fakes/socket-mode-server.ts';
import { eventually } from '../../helpers/app-process.ts';
import { slashCommandPayload } from '../../helpers/slack-requests.ts';

/** Bolt with SocketModeConnections against the Socket Mode fake: no envelope goes unserved while a connection is renewed. */
const slack = new FakeSlack();
const socket = new FakeSocketMode(slack);
let app: App;
let receiver: SocketModeConnections;

beforeAll(async () => {
  const [apiUrl] = await Promise.all([slack.start(), socket.start()]);
  const logger = boltLogger(createLogger({ level: 'silent', secrets: [] }));
  receiver = new SocketModeConnections({ appToken: APP_TOKEN, slackApiUrl: apiUrl, logger, connections: 2 });
  app = new App({ token: 'xoxb-receiver-test', receiver, clientOptions: { slackApiUrl: apiUrl }, logger });
  app.command('/pipeline', async ({ command, ack }) => ack({ response_type: 'ephemeral', text: `echo ${command.text}` }));
  await app.start();
});

afterAll(async () => {
  await app?.stop();
  await Promise.all([slack.stop(), socket.stop()]);
});

describe('SocketModeConnections', () => {
  it('opens as many connections as asked, each with its own apps.connections.open ticket', () => {
    expect(socket.usable).toHaveLength(2);
    expect(receiver.openConnections()).toBe(2);
    expect(slack.callsTo('apps.connections.open').map((c) => c.headers.authorization)).toEqual([`Bearer ${APP_TOKEN}`, `Bearer ${APP_TOKEN}`]);
  });

  it('serves a command sent right after Slack asks a connection to go away, then renews that connection', async () => {
    const leaving = socket.requestReconnect('refresh_requested');
    await eventually(() => receiver.openConnections() === 1, 5000, 'the leaving connection to close');
    // Before the SDK has reconnected (it waits about 5 s): the other connection takes it.
    const ack = await socket.command(slashCommandPayload({ text: 'during the refresh' }));
    expect(ack.payload).toEqual({ response_type: 'ephemeral', text: 'echo during the refresh' });
    expect(ack.connection).not.toBe(leaving.id);
    await eventually(() => socket.connections.length === 3 && socket.usable.length === 2, 30_000, 'a third connection');
    expect(leaving.closeCode).toBe(1000);
    // The fake counts a connection from its hello on; the client, once it has read it.
    await eventually(() => receiver.openConnections() === 2, 5000, 'the client to count the new connection');
    const after = await socket.command(slashCommandPayload({ text: 'after' }));
    expect(after.payload?.text).toBe('echo after');
    expect(socket.violations).toEqual([]);
  });

  it('verify() names SLACK_APP_TOKEN when Slack refuses the token, and lets transient failures through to the SDK', async () => {
    const apiUrl = `${slack.origin}/api/`;
    const logger = boltLogger(createLogger({ level: 'silent', secrets: [] }));
    const verify = (appToken: string) => new SocketModeConnections({ appToken, slackApiUrl: apiUrl, logger, connections: 1 }).verify();
    await expect(verify('xapp-1-A0OTHER-1-wrong')).rejects.toThrow(/SLACK_APP_TOKEN is invalid[\s\S]*invalid_auth/);
    slack.failNext('apps.connections.open', [{ error: 'internal_error' }, { status: 503 }]);
    await expect(verify(APP_TOKEN)).resolves.toBeUndefined();
    await expect(verify(APP_TOKEN)).resolves.toBeUndefined();
    await expect(verify(APP_TOKEN)).resolves.toBeUndefined();

    // An app-level token made without the connections:write scope.
    socket.appTokenScopes = ['authorizations:read'];
    try {
      await expect(verify(APP_TOKEN)).rejects.toThrow(/missing_scope[\s\S]*connections:write/);
    } finally {
      socket.appTokenScopes = ['connections:write'];
    }
  });

  it('closes every connection on stop', async () => {
    await app.stop();
    await eventually(() => socket.connections.every((c) => c.closedAt !== undefined), 10_000, 'every connection closed');
    expect(socket.connections.map((c) => c.closeCode)).toEqual([1000, 1000, 1000]);
    expect(receiver.openConnections()).toBe(0);
  });
});
