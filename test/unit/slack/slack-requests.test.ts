import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
// Named imports: a default import of this CJS package differs between Node and vitest.
import { App, LogLevel, verifySlackRequest, type BlockButtonAction, type SlashCommand } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFailureAlert } from '../../../src/slack/index.ts';
import { FakeSlack } from '../../fakes/slack-server.ts';
import {
  blockActionBody,
  blockActionPayload,
  postSigned,
  signSlackBody,
  slashCommandBody,
  viewSubmissionPayload,
} from '../../helpers/slack-requests.ts';
import { makeFailedRun } from './run-fixture.ts';

const SECRET = 'test-signing-secret';

describe('signSlackBody', () => {
  it('signs as Slack does: Bolt verifies it, and rejects a tampered body', () => {
    const body = slashCommandBody({ text: 'list' });
    const headers = signSlackBody(SECRET, body, 1_700_000_000);
    expect(headers['x-slack-request-timestamp']).toBe('1700000000');
    expect(headers['x-slack-signature']).toMatch(/^v0=[0-9a-f]{64}$/);
    const verify = (raw: string) =>
      verifySlackRequest({
        signingSecret: SECRET,
        body: raw,
        headers: { ...headers, 'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']) },
        nowMilliseconds: 1_700_000_010_000,
      });
    expect(() => verify(body)).not.toThrow();
    expect(() => verify(`${body}x`)).toThrow();
  });
});

describe('payload builders', () => {
  it('builds a slash command body with every field Slack sends', () => {
    const fields = Object.fromEntries(new URLSearchParams(slashCommandBody({ text: 'run incites-monthly --period 2024-05', userId: 'U0BOB', responseUrl: 'http://127.0.0.1:1/response/c1' })));
    expect(Object.keys(fields).sort()).toEqual(
      ['api_app_id', 'channel_id', 'channel_name', 'command', 'is_enterprise_install', 'response_url', 'team_domain', 'team_id', 'text', 'token', 'trigger_id', 'user_id', 'user_name'],
    );
    expect(fields).toMatchObject({ command: '/pipeline', text: 'run incites-monthly --period 2024-05', user_id: 'U0BOB', user_name: 'u0bob' });
  });

  it('builds a block_actions click from the rendered alert, taking the button from its blocks', () => {
    const alert = buildFailureAlert(makeFailedRun());
    const payload = blockActionPayload({ actionId: 'run_repair', userId: 'U0BOB', channelId: 'C0PIPELINES', messageTs: '1700000000.000200', threadTs: '1700000000.000100', messageBlocks: alert.blocks });
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0BOB' },
      container: { type: 'message', message_ts: '1700000000.000200', thread_ts: '1700000000.000100', channel_id: 'C0PIPELINES', is_ephemeral: false },
      channel: { id: 'C0PIPELINES' },
      message: { ts: '1700000000.000200', type: 'message', blocks: alert.blocks },
      actions: [{ type: 'button', action_id: 'run_repair', block_id: 'alert_actions_0', value: 'r-m3k9x2-4f7a', text: { text: 'Repair failed tasks' } }],
    });
    expect(new URLSearchParams(blockActionBody({ actionId: 'run_ack', value: 'r-1' })).get('payload')).toContain('"action_id":"run_ack"');
  });

  it('builds a view_submission with state values', () => {
    const values = { reason: { text: { type: 'plain_text_input', value: 'looks good' } } };
    expect(viewSubmissionPayload({ callbackId: 'cutover_approve', values, privateMetadata: '{"step":"switch-primary"}' })).toMatchObject({
      type: 'view_submission',
      view: { callback_id: 'cutover_approve', private_metadata: '{"step":"switch-primary"}', state: { values } },
    });
  });
});

describe('a real Bolt app accepts the signed requests', () => {
  const fake = new FakeSlack();
  const seen: { command?: SlashCommand; action?: BlockButtonAction } = {};
  let app: App;
  let events = '';

  beforeAll(async () => {
    const slackApiUrl = await fake.start();
    app = new App({ token: 'xoxb-test', signingSecret: SECRET, logLevel: LogLevel.ERROR, clientOptions: { slackApiUrl } });
    app.command('/pipeline', async ({ ack, command, respond }) => {
      seen.command = command;
      await ack();
      await respond({ text: `got ${command.text}` });
    });
    app.action<BlockButtonAction>('run_ack', async ({ ack, body }) => {
      seen.action = body;
      await ack();
    });
    const server = (await app.start(0)) as Server;
    events = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });
  afterAll(async () => {
    await app.stop();
    await fake.stop();
  });

  it('routes a slash command and its respond() reaches the fake response_url', async () => {
    const res = await postSigned(events, slashCommandBody({ text: 'status', responseUrl: fake.responseUrl('cmd-1') }), { secret: SECRET });
    expect(res.status).toBe(200);
    expect(seen.command).toMatchObject({ command: '/pipeline', text: 'status', user_id: 'U0ALICE' });
    await fake.waitFor(() => fake.responses.find((r) => r.id === 'cmd-1'));
    expect(fake.responses[0]?.body).toMatchObject({ text: 'got status' });
  });

  it('routes a button click by action_id', async () => {
    const res = await postSigned(events, blockActionBody({ actionId: 'run_ack', value: 'r-42' }), { secret: SECRET });
    expect(res.status).toBe(200);
    expect(seen.action?.actions[0]).toMatchObject({ action_id: 'run_ack', value: 'r-42' });
  });

  it('rejects a stale timestamp', async () => {
    const res = await postSigned(events, slashCommandBody({ text: 'help' }), { secret: SECRET, timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(res.status).toBe(401);
  });
});
