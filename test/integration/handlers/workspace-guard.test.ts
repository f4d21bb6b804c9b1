import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appHomeOpened } from '../../../src/playground/slack-payloads.ts';
import { FakeSlack } from '../../fakes/slack-server.ts';
import { eventually, SIGNING_SECRET, startAppProcess, type AppProcess } from '../../helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';
import { blockActionPayload, postSigned, slashCommandBody, viewSubmissionPayload } from '../../helpers/slack-requests.ts';

/**
 * Issue 14 finding 2: guests, Slack Connect users of another team and requests with an
 * unexpected team id are refused for every command, button, modal and App Home event, by one
 * middleware in front of every handler, through the real app and signed requests.
 */
const slack = new FakeSlack({
  usergroups: { S0DATAENG: ['U0DAN'] },
  users: {
    U0GUEST: { name: 'guest', is_restricted: true },
    U0SINGLE: { name: 'single', is_ultra_restricted: true },
    U0EXT: { name: 'partner', team_id: 'T0OTHER' },
  },
});
const redis = testRedis();
const prefix = uniquePrefix('guard');
let app: AppProcess;

beforeAll(async () => {
  const slackUrl = await slack.start();
  app = await startAppProcess({ catalogYaml: readFileSync('examples/pipelines.yaml', 'utf8'), prefix, role: 'web', env: { SLACK_API_URL: slackUrl } });
});
afterAll(async () => {
  await app?.stop();
  await slack.stop();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

const command = async (text: string, userId: string, teamId?: string) => {
  const res = await postSigned(`${app.url}/slack/events`, slashCommandBody({ text, userId, teamId, channelId: 'C0PIPELINES', responseUrl: slack.responseUrl(`${userId}-${text.replaceAll(' ', '_')}`) }), { secret: SIGNING_SECRET });
  expect(res.status).toBe(200);
  return res.text();
};
const form = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
const runsRecorded = () => redis.zcard(`${prefix}:runs:pipeline:incites-monthly`);

describe('finding 2: one workspace guard for every request', () => {
  it('finding 2: guests and Slack Connect users are refused for commands; nothing is recorded', async () => {
    expect(await command('run incites-monthly', 'U0GUEST')).toContain('Guests cannot use Cutover');
    expect(await command('run incites-monthly', 'U0SINGLE')).toContain('Guests cannot use Cutover');
    expect(await command('run incites-monthly', 'U0EXT')).toContain('only acts for members of the workspace');
    expect(await command('audit incites-monthly', 'U0ALICE', 'T0OTHER')).toContain('only acts for members of the workspace');
    expect(await runsRecorded()).toBe(0);
    // A member of the bot's own workspace goes through.
    expect(await command('run incites-monthly', 'U0ALICE')).toMatch(/Starting run|queued/);
    await eventually(async () => (await runsRecorded()) === 1, 10_000, 'the member run recorded');
  });

  it('finding 2: buttons and modals from another team, or from a guest, are refused before any handler', async () => {
    const foreign = blockActionPayload({ actionId: 'run_cancel', value: 'r-abc-123456', userId: 'U0ALICE', responseUrl: slack.responseUrl('foreign-click') });
    (foreign.user as { team_id: string }).team_id = 'T0OTHER';
    await postSigned(`${app.url}/slack/events`, form(foreign), { secret: SIGNING_SECRET });
    const refused = await eventually(() => slack.responses.find((r) => r.id === 'foreign-click'), 10_000, 'refusal');
    expect(JSON.stringify(refused.body)).toContain('only acts for members of the workspace');
    const guest = blockActionPayload({ actionId: 'dq_ack', value: 'incites-monthly|2026-01', userId: 'U0GUEST', responseUrl: slack.responseUrl('guest-click') });
    await postSigned(`${app.url}/slack/events`, form(guest), { secret: SIGNING_SECRET });
    expect(JSON.stringify((await eventually(() => slack.responses.find((r) => r.id === 'guest-click'), 10_000, 'guest refusal')).body)).toContain('Guests cannot use Cutover');
    const modal = await postSigned(`${app.url}/slack/events`, form(viewSubmissionPayload({ callbackId: 'cutover_reject', userId: 'U0GUEST', privateMetadata: '{"requestId":"c-x-1"}' })), { secret: SIGNING_SECRET });
    expect(modal.status).toBe(200);
    expect(await modal.text()).toBe('');
  });

  it('finding 2: App Home is not rendered for a guest, and is for a member', async () => {
    const publishes = () => slack.calls.filter((c) => c.method === 'views.publish').map((c) => (c.body as { user_id?: string }).user_id);
    const post = (user: string) => postSigned(`${app.url}/slack/events`, JSON.stringify(appHomeOpened(user, undefined)), { secret: SIGNING_SECRET, contentType: 'application/json' });
    await post('U0GUEST');
    await post('U0ALICE');
    await eventually(() => publishes().includes('U0ALICE'), 10_000, 'member home published');
    expect(publishes()).not.toContain('U0GUEST');
    expect(app.logs.some((l) => l.msg === 'request refused by the workspace guard' && l.user === 'U0GUEST')).toBe(true);
  });
});

describe('finding 22: /pipeline run renders its templates before it acks', () => {
  it('finding 22: a missing --param gets the usage reply in the ack, not a promised run that never exists', async () => {
    const ack = await command('run billing-rollup --on databricks', 'U0ALICE');
    expect(ack).toContain('this pipeline needs --param region=');
    expect(ack).not.toContain('Starting run');
    expect(await redis.zcard(`${prefix}:runs:pipeline:billing-rollup`)).toBe(0);
    const ok = await command('run billing-rollup --on databricks --param region=us', 'U0ALICE');
    expect(ok).toContain('Starting run');
    await eventually(async () => (await redis.zcard(`${prefix}:runs:pipeline:billing-rollup`)) === 1, 10_000, 'the run recorded');
  });
});

describe('finding 9: /pipeline audit is gated', () => {
  it('finding 9: only owners, approvers and prod runners get the audit trail', async () => {
    const answer = async (user: string) => {
      await command('audit incites-monthly', user);
      return JSON.stringify((await eventually(() => slack.responses.find((r) => r.id === `${user}-audit_incites-monthly`), 10_000, `answer to ${user}`)).body);
    };
    expect(await answer('U0MALLORY')).toContain('The audit trail of incites-monthly is for its owners, its approvers');
    for (const user of ['U0ALICE', 'U0BOB']) expect(await answer(user)).not.toContain(':no_entry:');
  });
});
