import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { LogLevel, WebClient, type WebAPIPlatformError } from '@slack/web-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildFailureAlert, buildStatusView } from '../../../src/slack/index.ts';
import { FakeSlack } from '../../fakes/slack-server.ts';
import { T0, makeFailedRun } from './run-fixture.ts';

const fake = new FakeSlack({ usergroups: { S0DATAENG: ['U0ALICE', 'U0DAVE'] }, users: { U0BOB: { name: 'bob', real_name: 'Bob Jones' } } });
let apiUrl = '';

function client(options: ConstructorParameters<typeof WebClient>[1] = {}, token: string | null = 'xoxb-test'): WebClient {
  return new WebClient(token ?? undefined, { slackApiUrl: apiUrl, logLevel: LogLevel.ERROR, retryConfig: { retries: 0 }, ...options });
}

async function platformError(promise: Promise<unknown>): Promise<WebAPIPlatformError['data']> {
  const err = (await promise.then(() => undefined, (e: unknown) => e)) as WebAPIPlatformError | undefined;
  expect(err?.code).toBe('slack_webapi_platform_error');
  return err!.data;
}

beforeAll(async () => {
  apiUrl = await fake.start();
});
afterEach(() => fake.reset());
afterAll(() => fake.stop());

describe('FakeSlack with the real WebClient', () => {
  it('answers auth.test as the bot and records the bearer token', async () => {
    const res = await client().auth.test();
    expect(res).toMatchObject({ ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T0TEAM' });
    expect(apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
    expect(fake.callsTo('auth.test')[0]?.headers.authorization).toBe('Bearer xoxb-test');
  });

  it('posts, updates and threads messages, keeping each update in the history', async () => {
    const web = client();
    const run = makeFailedRun();
    const posted = await web.chat.postMessage({ channel: 'C0PIPELINES', ...buildStatusView({ ...run, state: 'running' }, T0) });
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    await web.chat.update({ channel: 'C0PIPELINES', ts: posted.ts!, ...buildStatusView(run, T0 + 1000) });
    const reply = await web.chat.postMessage({ channel: 'C0PIPELINES', thread_ts: posted.ts!, reply_broadcast: true, ...buildFailureAlert(run) });
    expect(Number(reply.ts)).toBeGreaterThan(Number(posted.ts));

    const message = fake.message('C0PIPELINES', posted.ts!);
    expect(message?.text).toContain('failed');
    expect(message?.history).toHaveLength(1);
    expect(message?.history[0]?.text).toContain('running');
    expect(Array.isArray(message?.blocks)).toBe(true);
    const [alert] = fake.threadReplies('C0PIPELINES', posted.ts!);
    expect(alert).toMatchObject({ reply_broadcast: true, thread_ts: posted.ts });
    expect(JSON.stringify(alert?.blocks)).toContain('run_repair');
  });

  it('keeps message metadata and reads it back in conversations.history and .replies, as Slack does', async () => {
    const web = client();
    const metadata = { event_type: 'cutover_status', event_payload: { slot: 'r-1', nonce: 'n-1' } };
    const parent = await web.chat.postMessage({ channel: 'C0HIST', text: 'status', metadata });
    await web.chat.update({ channel: 'C0HIST', ts: parent.ts!, text: 'status, edited' }); // no metadata: it keeps its own
    const reply = await web.chat.postMessage({ channel: 'C0HIST', thread_ts: parent.ts!, text: 'a reply', metadata: { ...metadata, event_payload: { slot: 'a-1', nonce: 'n-2' } } });
    const broadcast = await web.chat.postMessage({ channel: 'C0HIST', thread_ts: parent.ts!, reply_broadcast: true, text: 'to the channel too' });
    const later = await web.chat.postMessage({ channel: 'C0HIST', text: 'later' });

    const history = await web.conversations.history({ channel: 'C0HIST', oldest: parent.ts!, inclusive: true, include_all_metadata: true });
    // Newest first; thread replies only when broadcast.
    expect(history.messages?.map((m) => m.ts)).toEqual([later.ts, broadcast.ts, parent.ts]);
    expect(history.messages?.at(-1)).toMatchObject({ text: 'status, edited', metadata });
    expect((await web.conversations.history({ channel: 'C0HIST', oldest: parent.ts! })).messages?.map((m) => m.ts)).toEqual([later.ts, broadcast.ts]); // oldest is exclusive
    expect((await web.conversations.history({ channel: 'C0HIST' })).messages?.every((m) => !('metadata' in m))).toBe(true); // only when asked for

    const page1 = await web.conversations.history({ channel: 'C0HIST', limit: 2 });
    expect(page1).toMatchObject({ has_more: true, messages: [{ ts: later.ts }, { ts: broadcast.ts }] });
    const page2 = await web.conversations.history({ channel: 'C0HIST', limit: 2, cursor: page1.response_metadata!.next_cursor! });
    expect(page2).toMatchObject({ has_more: false, messages: [{ ts: parent.ts }] });

    const thread = await web.conversations.replies({ channel: 'C0HIST', ts: parent.ts!, include_all_metadata: true });
    expect(thread.messages?.map((m) => m.ts)).toEqual([parent.ts, reply.ts, broadcast.ts]);
    expect(thread.messages?.[1]).toMatchObject({ metadata: { event_payload: { slot: 'a-1' } } });
    expect((await platformError(web.conversations.replies({ channel: 'C0HIST', ts: '1.000001' }))).error).toBe('thread_not_found');
  });

  it('rejects what Slack rejects: unknown messages, missing token, too many blocks, long sections', async () => {
    expect((await platformError(client().chat.update({ channel: 'C1', ts: '1.000100', text: 'x' }))).error).toBe('message_not_found');
    expect((await platformError(client({}, null).chat.postMessage({ channel: 'C1', text: 'x' }))).error).toBe('not_authed');
    const many = Array.from({ length: 51 }, () => ({ type: 'divider' as const }));
    expect((await platformError(client().chat.postMessage({ channel: 'C1', text: 'x', blocks: many }))).error).toBe('invalid_blocks');
    const long = [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: 'x'.repeat(3001) } }];
    const data = await platformError(client().chat.postMessage({ channel: 'C1', text: 'x', blocks: long }));
    expect(data).toMatchObject({ error: 'invalid_blocks', errors: ['must be less than 3001 characters [json-pointer:/blocks/0/text/text]'] });
    expect(fake.calls.map((c) => c.error)).toEqual(['message_not_found', 'not_authed', 'invalid_blocks', 'invalid_blocks']);
  });

  it('accepts the views at their largest (a 10,000-character error in 60 failures)', async () => {
    const huge = 'E'.repeat(10_000);
    const failures = Array.from({ length: 60 }, (_, i) => ({ task: `t${i}`, error: huge, trace: huge, logUrl: 'https://logs.example.com' }));
    const run = makeFailedRun({ stateMessage: huge, failures });
    const web = client();
    const posted = await web.chat.postMessage({ channel: 'C0PIPELINES', ...buildStatusView(run, T0) });
    await web.chat.postMessage({ channel: 'C0PIPELINES', thread_ts: posted.ts!, ...buildFailureAlert(run) });
    expect(fake.calls.map((c) => c.error)).toEqual([undefined, undefined]);
  });

  it('answers 429 with Retry-After, which WebClient waits out and retries', async () => {
    fake.failNext('chat.postMessage', [{ status: 429, retryAfter: 1 }]);
    const started = Date.now();
    const res = await client({ retryConfig: { retries: 2 } }).chat.postMessage({ channel: 'C1', text: 'hello' });
    expect(res.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(fake.callsTo('chat.postMessage').map((c) => c.status)).toEqual([429, 200]);
  });

  it('injects ok:false errors one call at a time', async () => {
    fake.failNext('chat.postMessage', [{ error: 'ratelimited' }]);
    expect((await platformError(client().chat.postMessage({ channel: 'C1', text: 'a' }))).error).toBe('ratelimited');
    expect((await client().chat.postMessage({ channel: 'C1', text: 'b' })).ok).toBe(true);
  });

  it('round-trips filesUploadV2 into a thread', async () => {
    const web = client();
    const parent = await web.chat.postMessage({ channel: 'C0PIPELINES', text: 'diff' });
    const res = await web.filesUploadV2({ channel_id: 'C0PIPELINES', thread_ts: parent.ts!, content: 'key,legacy,target\n1,2,3\n', filename: 'diff.csv', title: 'Diff' });
    expect(res.ok).toBe(true);
    const [file] = fake.files;
    expect(file).toMatchObject({ filename: 'diff.csv', title: 'Diff', channel_id: 'C0PIPELINES', thread_ts: parent.ts, completed: true, length: 24 });
    expect(file?.bytes?.toString()).toBe('key,legacy,target\n1,2,3\n');
  });

  it('serves user groups, users, ephemerals, permalinks and views', async () => {
    const web = client();
    expect((await web.usergroups.users.list({ usergroup: 'S0DATAENG' })).users).toEqual(['U0ALICE', 'U0DAVE']);
    expect((await platformError(web.usergroups.users.list({ usergroup: 'S0NOPE' }))).error).toBe('no_such_subteam');
    expect((await web.users.info({ user: 'U0BOB' })).user).toMatchObject({ name: 'bob', real_name: 'Bob Jones' });
    await web.chat.postEphemeral({ channel: 'C1', user: 'U0BOB', text: 'only you' });
    expect(fake.ephemerals).toEqual([expect.objectContaining({ channel: 'C1', user: 'U0BOB', text: 'only you' })]);
    const posted = await web.chat.postMessage({ channel: 'C1', text: 'x' });
    expect((await web.chat.getPermalink({ channel: 'C1', message_ts: posted.ts! })).permalink).toBe(`https://fake-team.slack.com/archives/C1/p${posted.ts!.replace('.', '')}`);
    // A reply's permalink names its thread, as Slack's do, so following it opens the thread.
    const reply = await web.chat.postMessage({ channel: 'C1', text: 'y', thread_ts: posted.ts! });
    expect((await web.chat.getPermalink({ channel: 'C1', message_ts: reply.ts! })).permalink).toBe(`https://fake-team.slack.com/archives/C1/p${reply.ts!.replace('.', '')}?thread_ts=${posted.ts}&cid=C1`);
    const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Approve' }, blocks: [] };
    const opened = await web.views.open({ trigger_id: 't-1', view });
    expect((await platformError(web.views.open({ trigger_id: 't-1', view }))).error).toBe('exchanged_trigger_id');
    await web.views.update({ view_id: opened.view!.id!, view: { ...view, title: { type: 'plain_text', text: 'Approved' } } });
    await web.views.publish({ user_id: 'U0BOB', view: { type: 'home', blocks: [] } });
    expect(fake.views.map((v) => v.method)).toEqual(['views.open', 'views.publish']);
    expect(fake.views[0]?.history).toHaveLength(1);
  });

  it('records POSTs to response_urls', async () => {
    await fetch(fake.responseUrl('cmd-1'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hi","response_type":"ephemeral"}' });
    expect(fake.responses).toEqual([expect.objectContaining({ id: 'cmd-1', body: { text: 'hi', response_type: 'ephemeral' } })]);
  });

  it('is controllable over HTTP for apps in another process', async () => {
    const post = (body: unknown) => fetch(`${fake.origin}/__fake/control`, { method: 'POST', body: JSON.stringify(body) });
    await post({ failNext: { method: 'chat.postMessage', faults: [{ error: 'channel_not_found' }] }, usergroups: { S0NEW: ['U1'] } });
    expect((await platformError(client().chat.postMessage({ channel: 'C1', text: 'x' }))).error).toBe('channel_not_found');
    expect((await client().usergroups.users.list({ usergroup: 'S0NEW' })).users).toEqual(['U1']);
    const state = (await (await fetch(`${fake.origin}/__fake/state`)).json()) as { calls: unknown[] };
    expect(state.calls).toHaveLength(2);
    await post({ reset: true });
    expect(fake.calls).toEqual([]);
  });
});

describe('slack-server-main', () => {
  it('starts a fake in its own process and prints its URL as one JSON line', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fakes/slack-server-main.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
      const { url } = JSON.parse(line) as { url: string };
      expect((await new WebClient('xoxb-x', { slackApiUrl: url }).auth.test()).user_id).toBe('UBOT');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
