import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Interactions } from '../../../src/playground/interactions.ts';
import { SlackEmulator, type PlaygroundEvent } from '../../../src/playground/slack-emulator.ts';
import { PLAYGROUND_USERS } from '../../../src/playground/users.ts';

const TOKEN = 'xoxb-playground-test';
const SECRET = 'playground-test-secret';
const auth = `Bearer ${TOKEN}`;
const button = (text: string, action_id: string) => ({ type: 'actions', elements: [{ type: 'button', action_id, value: 'v-1', text: { type: 'plain_text', text } }] });

function emulator(): { slack: SlackEmulator; events: PlaygroundEvent[] } {
  const slack = new SlackEmulator({ token: TOKEN, users: PLAYGROUND_USERS });
  const events: PlaygroundEvent[] = [];
  slack.on('change', (e) => events.push(structuredClone(e))); // as sent: the page gets JSON at once
  return { slack, events };
}

describe('the Slack emulator', () => {
  it('answers the Web API like Slack, for the bot token only, and announces each change', () => {
    const { slack, events } = emulator();
    expect(slack.call('chat.postMessage', { channel: 'C0PIPELINES', text: 'x' }, undefined)).toEqual({ ok: false, error: 'not_authed' });
    expect(slack.call('chat.postMessage', { channel: 'C0PIPELINES', text: 'x' }, 'Bearer xoxb-other')).toEqual({ ok: false, error: 'invalid_auth' });
    const posted = slack.call('chat.postMessage', { channel: 'C0PIPELINES', text: 'hello' }, auth);
    slack.call('chat.update', { channel: 'C0PIPELINES', ts: posted.ts, text: 'edited' }, auth);
    expect(events.map((e) => e.type === 'message' && e.message.text)).toEqual(['hello', 'edited']);
    expect(slack.call('conversations.info', { channel: 'C0PIPELINES' }, auth)).toMatchObject({ ok: true, channel: { name: 'pipelines' } });
    expect(slack.call('users.info', { user: 'U0BOB' }, auth)).toMatchObject({ ok: true, user: { name: 'bob', real_name: 'Bob Example' } });
    expect(slack.call('chat.postMessage', { channel: 'C0PIPELINES', blocks: [{ type: 'section' }] }, auth)).toMatchObject({ ok: false, error: 'invalid_blocks' });
  });

  it('points permalinks at the playground page itself, and times each shared file like a message', () => {
    const { slack } = emulator();
    slack.origin = 'http://127.0.0.1:4321';
    const posted = slack.call('chat.postMessage', { channel: 'C0PIPELINES', text: 'x' }, auth);
    const link = slack.call('chat.getPermalink', { channel: 'C0PIPELINES', message_ts: posted.ts }, auth);
    expect(link.permalink).toBe(`http://127.0.0.1:4321/archives/C0PIPELINES/p${String(posted.ts).replace('.', '')}`);
    const upload = slack.call('files.getUploadURLExternal', { filename: 'a.csv', length: 1 }, auth);
    slack.files[0]!.bytes = Buffer.from('a');
    slack.call('files.completeUploadExternal', { files: [{ id: upload.file_id }], channel_id: 'C0PIPELINES' }, auth);
    const later = slack.call('chat.postMessage', { channel: 'C0PIPELINES', text: 'y' }, auth);
    const shared = String(slack.files[0]!.shared_ts);
    expect(Number(shared)).toBeGreaterThan(Number(posted.ts));
    expect(Number(shared)).toBeLessThan(Number(later.ts));
  });

  it('gives a modal to the person whose click made its trigger_id', () => {
    const { slack, events } = emulator();
    const trigger = slack.trigger('U0CAROL');
    const opened = slack.call('views.open', { trigger_id: trigger, view: { type: 'modal', title: { type: 'plain_text', text: 'Reject' }, blocks: [] } }, auth);
    expect(opened.ok).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'view', view: { user_id: 'U0CAROL' } });
    expect(slack.call('views.open', { trigger_id: trigger, view: { type: 'modal', blocks: [] } }, auth)).toMatchObject({ error: 'exchanged_trigger_id' });
  });
});

describe('interactions: signed requests to the app, and what Slack does with its answers', () => {
  let app: Server;
  let eventsUrl = '';
  const received: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    // A stand-in for the app's /slack/events: checks the signature as Bolt does, then answers.
    app = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        const expected = `v0=${createHmac('sha256', SECRET).update(`v0:${req.headers['x-slack-request-timestamp']}:${body}`).digest('hex')}`;
        const given = String(req.headers['x-slack-signature'] ?? '');
        if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected))) return void res.writeHead(401).end();
        const form = new URLSearchParams(body);
        const payload = form.get('payload') ? (JSON.parse(form.get('payload')!) as Record<string, unknown>) : Object.fromEntries(form);
        received.push(payload);
        if (payload.command) return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ response_type: 'ephemeral', text: `usage for ${String(payload.text)}` }));
        if (payload.type === 'view_submission') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ response_action: 'errors', errors: { reason: 'Say why' } }));
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    eventsUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/slack/events`;
  });
  afterAll(() => new Promise<void>((resolve) => app.close(() => resolve())));

  const interactions = (slack: SlackEmulator, secret = SECRET) =>
    new Interactions({ emulator: slack, eventsUrl, signingSecret: secret, origin: 'http://playground.test', botToken: TOKEN, userName: (id) => id.toLowerCase() });

  it('posts a signed slash command and shows the ack body as an ephemeral', async () => {
    const { slack } = emulator();
    await interactions(slack).command('U0ALICE', 'C0PIPELINES', 'status');
    expect(received.at(-1)).toMatchObject({ command: '/pipeline', text: 'status', user_id: 'U0ALICE', channel_id: 'C0PIPELINES' });
    expect(slack.ephemerals.map((e) => e.text)).toEqual(['/pipeline status', 'usage for status']);
  });

  it('shows a refused request the way Slack does', async () => {
    const { slack } = emulator();
    await interactions(slack, 'wrong-secret').command('U0ALICE', 'C0PIPELINES', 'help');
    expect(slack.ephemerals.at(-1)?.text).toContain('invalid_signature');
  });

  it('sends a button click with its message, and applies response_url answers', async () => {
    const { slack } = emulator();
    const parent = slack.call('chat.postMessage', { channel: 'C0PIPELINES', text: 'status' }, auth);
    const alert = slack.call('chat.postMessage', { channel: 'C0PIPELINES', thread_ts: parent.ts, text: 'alert', blocks: [button('Repair', 'run_repair')] }, auth);
    const ui = interactions(slack);
    await ui.click({ user: 'U0BOB', channel: 'C0PIPELINES', ts: String(alert.ts), blockIndex: 0, elementIndex: 0 });
    const payload = received.at(-1) as { type: string; actions: Array<Record<string, unknown>>; user: { id: string }; container: Record<string, unknown>; response_url: string };
    expect(payload).toMatchObject({ type: 'block_actions', user: { id: 'U0BOB' }, container: { message_ts: alert.ts, thread_ts: parent.ts } });
    expect(payload.actions[0]).toMatchObject({ action_id: 'run_repair', value: 'v-1', block_id: 'b0', type: 'button' });

    const id = payload.response_url.split('/').pop()!;
    expect(ui.respond(id, { response_type: 'ephemeral', replace_original: false, text: 'Repair requested' })).toBe(true);
    expect(slack.ephemerals.at(-1)).toMatchObject({ user: 'U0BOB', thread_ts: parent.ts, text: 'Repair requested' });
    ui.respond(id, { text: 'replaced' });
    expect(slack.message('C0PIPELINES', String(alert.ts))?.text).toBe('replaced');
    ui.respond(id, { response_type: 'in_channel', replace_original: false, text: 'for everyone' });
    expect(slack.messages.at(-1)).toMatchObject({ text: 'for everyone', thread_ts: parent.ts });
    ui.respond(id, { delete_original: true });
    expect(slack.message('C0PIPELINES', String(alert.ts))).toBeUndefined();
    expect(ui.respond('unknown', { text: 'x' })).toBe(false);
  });

  it('submits a modal with its input values and returns the errors the app answers', async () => {
    const { slack } = emulator();
    const view = { type: 'modal', callback_id: 'cutover_reject', private_metadata: 'c-1', title: { type: 'plain_text', text: 'Reject' }, blocks: [{ type: 'input', block_id: 'reason', label: { type: 'plain_text', text: 'Reason' }, element: { type: 'plain_text_input', action_id: 'reason_input' } }] };
    const opened = slack.call('views.open', { trigger_id: slack.trigger('U0BOB'), view }, auth) as { view: { id: string } };
    const answer = await interactions(slack).submit('U0BOB', opened.view.id, { reason: { reason_input: { type: 'plain_text_input', value: '' } } });
    expect(answer).toEqual({ errors: { reason: 'Say why' } });
    expect(received.at(-1)).toMatchObject({ type: 'view_submission', user: { id: 'U0BOB' }, view: { id: opened.view.id, callback_id: 'cutover_reject', private_metadata: 'c-1', state: { values: { reason: { reason_input: { value: '' } } } } } });
    expect(slack.views).toHaveLength(1); // still open, showing the error
  });
});
