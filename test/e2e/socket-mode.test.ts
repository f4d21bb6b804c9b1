import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDatabricks } from '../fakes/databricks-server.ts';
import { FakeSlack, BOT, type FakeMessage } from '../fakes/slack-server.ts';
import { APP_ID, APP_TOKEN, FakeSocketMode, type Ack } from '../fakes/socket-mode-server.ts';
import { BOT_TOKEN, eventually, startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../helpers/redis.ts';
import { blockActionPayload, slashCommandPayload } from '../helpers/slack-requests.ts';

/**
 * The scenarios of run-lifecycle.test.ts, with Slack reaching the app over Socket Mode instead
 * of HTTP: commands, button clicks and events arrive as envelopes on WebSockets the app opened
 * with its app-level token (two of them, CUTOVER_SOCKET_CONNECTIONS' default), the app acks
 * each one on the connection it came on, and Slack asks it to reconnect in the middle (once
 * `refresh_requested`, once `warning` with a failed `apps.connections.open` on the way) without
 * a command or click going unserved.
 */
const CHANNEL = 'C0PIPELINES';
const CATALOG = `
pipelines:
  incites-monthly:
    channel: ${CHANNEL}
    stage: live
    target: { engine: databricks, jobId: 123, jobParameters: { period: "{{period}}", source: "s3://in/{{period}}/" } }
    params: { region: { pattern: "^[a-z]{2}$" } }
    environments: { prod: {} }
permissions:
  run: { prod: [U0ALICE, S0DATAENG] }
`;

const slack = new FakeSlack({ usergroups: { S0DATAENG: ['U0DAN'] } });
const socket = new FakeSocketMode(slack);
// Several polls per step, so a run lasts longer than the 2 s update window and `running` is shown.
const databricks = new FakeDatabricks({ tokens: ['dapi-e2e-token'], pollsPerStep: 5 });
const redis = testRedis();
const prefix = uniquePrefix('e2e-socket');
let app: AppProcess;

beforeAll(async () => {
  const [slackUrl, dbUrl] = await Promise.all([slack.start(), databricks.start(), socket.start()]);
  databricks.addJob({ jobId: 123, tasks: ['extract', 'transform', 'load'] });
  app = await startAppProcess({
    catalogYaml: CATALOG,
    prefix,
    // No signing secret: Socket Mode needs none, as nothing comes in over HTTP.
    env: { SLACK_API_URL: slackUrl!, SLACK_APP_TOKEN: APP_TOKEN, SLACK_SIGNING_SECRET: '', DATABRICKS_HOST: dbUrl!, DATABRICKS_TOKEN: 'dapi-e2e-token' },
  });
});

afterAll(async () => {
  await app?.stop();
  await Promise.all([slack.stop(), databricks.stop(), socket.stop()]);
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

let responseSeq = 0;
async function command(text: string, userId = 'U0ALICE') {
  const responseId = `cmd-${++responseSeq}`;
  const ack = await socket.command(slashCommandPayload({ text, userId, channelId: CHANNEL, responseUrl: slack.responseUrl(responseId) }));
  return { ack, responseId };
}

/** The confirmation of a run: in the ack's payload when it could be given at once, else via response_url. */
async function confirmation(c: { ack: Ack; responseId: string }): Promise<string> {
  if (c.ack.payload) return String(c.ack.payload.text);
  return (await replyTo(c.responseId)).text;
}
const replyTo = (responseId: string) => eventually(() => slack.responses.find((r) => r.id === responseId)?.body as { text: string } | undefined, 10_000, `reply ${responseId}`);
const runIdOf = (text: string) => /`(r-[a-z0-9]+-[a-f0-9]{6})`/.exec(text)?.[1];
const statusMessages = () => slack.messages.filter((m) => m.channel === CHANNEL && !m.thread_ts);
const statusOf = (runId: string) => statusMessages().find((m) => JSON.stringify(m.blocks ?? []).includes(runId));
const buttonsIn = (m: FakeMessage) => JSON.stringify(m.blocks ?? []).match(/"action_id":"(run_[a-z]+)"/g)?.map((s) => s.split('"')[3]) ?? [];
/** Resolves once the app has replaced a connection told to go away: `count` opened in all, two usable. */
const reconnected = (count: number) => eventually(() => socket.connections.length >= count && socket.usable.length === 2, 40_000, `Socket Mode connection ${count}`);

describe('Cutover over Socket Mode, end to end', () => {
  it('checks its app-level token, connects twice with it, and serves no Slack route over HTTP', async () => {
    // One apps.connections.open to check the token at start-up, then one per connection.
    const opens = slack.callsTo('apps.connections.open');
    expect(opens.map((c) => c.headers.authorization)).toEqual([`Bearer ${APP_TOKEN}`, `Bearer ${APP_TOKEN}`, `Bearer ${APP_TOKEN}`]);
    expect(socket.opens[0]).toMatchObject({ ok: true, url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=/) });
    expect(socket.usable).toHaveLength(2);
    const post = await fetch(`${app.url}/slack/events`, { method: 'POST', body: 'payload=%7B%7D', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(post.status).toBe(404);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${app.url}/metrics`)).text()).toMatch(/^cutover_slack_socket_connections 2$/m);
  });

  it('acks a /pipeline run envelope in under 3 s, calls run-now once, and updates one status message through to succeeded', async () => {
    const c = await command('run incites-monthly --on databricks --period 2026-07 --param region=eu');
    expect(c.ack.ms).toBeLessThan(3000);
    const runId = runIdOf(await confirmation(c))!;
    expect(runId).toBeDefined();

    const message = await eventually(() => {
      const m = statusOf(runId);
      return m && /succeeded/.test(m.text ?? '') ? m : undefined;
    }, 20_000, 'status message to reach succeeded');

    const runNow = databricks.calls('/api/2.1/jobs/run-now');
    expect(runNow).toHaveLength(1);
    expect(runNow[0]!.body).toEqual({
      job_id: 123,
      job_parameters: { period: '2026-07', source: 's3://in/2026-07/', region: 'eu' },
      idempotency_token: `cutover-${runId}`,
    });
    // One status message, edited in place: it went through running before succeeding.
    expect(statusMessages().filter((m) => JSON.stringify(m.blocks).includes(runId))).toHaveLength(1);
    const seen = [...message.history.map((h) => h.text ?? ''), message.text ?? ''].join('\n');
    expect(seen).toMatch(/running/);
    expect(JSON.stringify(message.blocks)).toMatch(/extract[\s\S]*transform[\s\S]*load/);
    const updates = slack.callsTo('chat.update').filter((call) => call.body.ts === message.ts).map((call) => call.at);
    for (let i = 1; i < updates.length; i++) expect(updates[i]! - updates[i - 1]!).toBeGreaterThanOrEqual(1900);
    // The bot's Web API calls (auth.test for Bolt's authorization included) keep the bot token; the app token is only for apps.connections.open.
    const botCalls = slack.calls.filter((c) => c.method !== 'apps.connections.open');
    expect(botCalls.map((c) => c.method)).toContain('auth.test');
    expect(botCalls.every((c) => c.headers.authorization === `Bearer ${BOT_TOKEN}`)).toBe(true);
  });

  it('opens the failure alert with its buttons, and a Repair click sent just after a refresh_requested disconnect is served and repairs', async () => {
    databricks.setOutcome(123, { fail: { task: 'transform', error: 'java.lang.RuntimeException: boom in transform', trace: 'at com.example.Transform.run(Transform.scala:42)\nat scala.Option.map' } }, 'next-run');
    const runId = runIdOf(await confirmation(await command('run incites-monthly --on databricks --period 2026-08')))!;
    const status = await eventually(() => statusOf(runId), 10_000, 'status message');
    const alert = await eventually(() => slack.messages.find((m) => m.thread_ts === status.ts && m.reply_broadcast), 20_000, 'alert thread');
    expect(JSON.stringify(alert.blocks)).toContain('java.lang.RuntimeException: boom in transform');
    expect(JSON.stringify(alert.blocks)).toContain('Transform.scala:42');
    expect(buttonsIn(alert)).toEqual(expect.arrayContaining(['run_repair', 'run_cancel', 'run_ack']));
    expect(await eventually(() => /failed/.test(statusOf(runId)?.text ?? ''), 5000, 'failed status')).toBe(true);

    // Slack recycles a connection; the click comes before the app has a replacement.
    const old = socket.requestReconnect('refresh_requested');
    const click = await socket.interactive(
      blockActionPayload({ actionId: 'run_repair', userId: 'U0ALICE', channelId: CHANNEL, messageTs: alert.ts, threadTs: status.ts, messageBlocks: alert.blocks, responseUrl: slack.responseUrl('repair-click') }),
    );
    expect(click.connection).not.toBe(old.id);
    expect(click.payload).toBeUndefined();
    await eventually(() => databricks.calls('/api/2.1/jobs/runs/repair').length === 1, 10_000, 'runs/repair');
    expect(databricks.calls('/api/2.1/jobs/runs/repair')[0]!.body).toMatchObject({ rerun_all_failed_tasks: true });
    await eventually(() => slack.messages.find((m) => m.thread_ts === status.ts && /repair/i.test(m.text ?? '') && /succeeded/.test(m.text ?? '')), 20_000, 'repair result in thread');
    await eventually(() => /succeeded/.test(statusOf(runId)?.text ?? ''), 10_000, 'status succeeded after repair');

    // The app closed the old connection itself (1000) and opened a replacement with a fresh ticket.
    await reconnected(3);
    expect(old.closeCode).toBe(1000);
    expect(slack.callsTo('apps.connections.open')).toHaveLength(4);
    expect(socket.opens.every((o) => o.ok === true)).toBe(true);
  });

  it('through a warning disconnect whose first reconnect Slack refuses, refuses a prod run from someone outside permissions.run.prod and accepts a member of an allowed user group', async () => {
    slack.failNext('apps.connections.open', [{ error: 'internal_error' }]);
    const old = socket.requestReconnect('warning');
    // The group is not cached yet: the answer comes through response_url after a usergroups.users.list lookup.
    const accepted = await command('run incites-monthly --env prod --period 2026-09', 'U0DAN');
    expect(accepted.ack.connection).not.toBe(old.id);
    expect(accepted.ack.payload).toBeUndefined();
    expect(await confirmation(accepted)).toMatch(/is queued on databricks/);
    const refused = await command('run incites-monthly --env prod', 'U0MALLORY');
    expect(await confirmation(refused)).toMatch(/not allowed to start prod runs/);
    // Now the group is cached, the next confirmation comes straight in the ack's payload.
    const again = await command('run incites-monthly --env prod --period 2026-10', 'U0DAN');
    expect(String(again.ack.payload?.text)).toMatch(/Starting run `r-/);

    // The SDK tried again after Slack's internal_error, and got a fourth connection.
    await reconnected(4);
    expect(slack.callsTo('apps.connections.open').map((c) => c.error ?? 'ok')).toEqual(['ok', 'ok', 'ok', 'ok', 'internal_error', 'ok']);
  });

  it('answers bad command text on the newest connection with an ephemeral usage reply in the ack payload', async () => {
    const { ack } = await command('run nope --period 2026-07');
    expect(ack.connection).toBe(4);
    expect(ack.payload).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/unknown pipeline "nope"/) });
    expect(String(ack.payload!.text)).toMatch(/\/pipeline run <pipeline>/);
  });

  it('publishes the App Home for an app_home_opened event envelope', async () => {
    const ack = await socket.event({
      token: 'unused-verification-token',
      team_id: BOT.team_id,
      api_app_id: APP_ID,
      event: { type: 'app_home_opened', user: 'U0ALICE', channel: 'D0ALICE', tab: 'home', event_ts: '1700000000.000100' },
      type: 'event_callback',
      event_id: 'Ev0HOME0001',
      event_time: 1_700_000_000,
      authorizations: [{ enterprise_id: null, team_id: BOT.team_id, user_id: BOT.user_id, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
    });
    expect(ack.payload).toBeUndefined();
    const home = await eventually(() => slack.views.find((v) => v.method === 'views.publish' && v.user_id === 'U0ALICE'), 10_000, 'views.publish');
    expect(JSON.stringify(home.view)).toContain('incites-monthly');
  });

  it('acked every envelope exactly once, on the connection it came on, and broke no rule of the protocol', () => {
    expect(socket.violations).toEqual([]);
    expect(socket.acks.map((a) => a.envelope_id).sort()).toEqual(socket.envelopes.map((e) => e.envelope_id).sort());
    for (const e of socket.envelopes) expect(socket.acks.find((a) => a.envelope_id === e.envelope_id)!.connection).toBe(e.connection);
    // Bolt's own WebClient never used the app token on a bot method.
    expect(slack.calls.filter((c) => c.error === 'not_allowed_token_type')).toEqual([]);
  });

  it('on SIGTERM closes its connections normally, so Slack stops sending to it at once', async () => {
    const open = socket.usable;
    expect(open).toHaveLength(2);
    await app.stop();
    expect(open.map((c) => c.closeCode)).toEqual([1000, 1000]);
  });
});

describe('Socket Mode start-up with an app token Slack refuses', () => {
  it('exits 1 naming SLACK_APP_TOKEN and Slack\'s error, before taking any work', async () => {
    const unscopedSlack = new FakeSlack();
    const unscoped = new FakeSocketMode(unscopedSlack);
    // An app-level token made without the connections:write scope.
    unscoped.appTokenScopes = ['authorizations:read'];
    const apiUrl = (await Promise.all([unscopedSlack.start(), unscoped.start()]))[0];
    const badPrefix = uniquePrefix('e2e-socket-bad');
    try {
      const started = startAppProcess({ catalogYaml: CATALOG, prefix: badPrefix, env: { SLACK_API_URL: apiUrl, SLACK_APP_TOKEN: APP_TOKEN, SLACK_SIGNING_SECRET: '', DATABRICKS_HOST: 'http://127.0.0.1:9', DATABRICKS_TOKEN: 'dapi-e2e-token' } });
      await expect(started).rejects.toThrow(/exited with 1 before starting[\s\S]*cutover: cannot start: SLACK_APP_TOKEN is invalid[\s\S]*missing_scope/);
      expect(unscoped.connections).toEqual([]);
      // Nothing was enqueued: the check comes before the workers start. (A BullMQ queue writes its
      // `meta` key when it connects, which may or may not happen before the exit: that is not work.)
      expect((await redis.keys(`${badPrefix}*`)).filter((k) => !k.endsWith(':meta'))).toEqual([]);
    } finally {
      await Promise.all([unscopedSlack.stop(), unscoped.stop()]);
      await deletePrefix(redis, badPrefix);
    }
  });
});
