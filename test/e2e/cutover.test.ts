import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAirflow } from '../fakes/airflow-server.ts';
import { FakeDatabricks } from '../fakes/databricks-server.ts';
import { FakeSlack, type FakeMessage } from '../fakes/slack-server.ts';
import { eventually, SIGNING_SECRET, startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../helpers/redis.ts';
import { blockActionBody, postSigned, slashCommandBody, viewSubmissionBody } from '../helpers/slack-requests.ts';
import { tempDir, writeFiles } from '../unit/diff/helpers.ts';

/**
 * Issue 5 end to end: gates, four-eyes approvals under concurrent clicks, actions against fake
 * Databricks and Airflow, voiding on a catalog change, expiry, rejection with a reason, a
 * failed action and its rollback. Real app process, signed requests, fakes on 127.0.0.1.
 */
const CHANNEL = 'C0CUT';
const PERIOD = '2026-09';
const CRON = { quartz_cron_expression: '0 0 6 2 * ?', timezone_id: 'Europe/London' };

const slack = new FakeSlack();
const databricks = new FakeDatabricks({ tokens: ['dapi-cut'], pollsPerStep: 1 });
const redis = testRedis();
const prefix = uniquePrefix('e2e-cutover');
let airflow: FakeAirflow;
let app: AppProcess;
let dir: { dir: string; cleanup: () => Promise<void> };
let env: Record<string, string>;

function catalog({ decommission = '{ airflow.pauseDag: retired_dag }' } = {}) {
  return `
pipelines:
  go-live:
    channel: ${CHANNEL}
    stage: parallel
    legacy: { engine: airflow, dagId: go_live_legacy }
    target: { engine: databricks, jobId: 42 }
    environments: { prod: {} }
    outputs:
      - name: facts
        key: [id]
        legacy: { path: "${dir.dir}/legacy/{{period}}.parquet" }
        target: { path: "${dir.dir}/target/{{period}}.parquet" }
    cutover:
      approvers: { users: [U0BOB, U0CAROL, U0DAVE], min: 2 }
      steps:
        - id: parallel-clean
          gate: { cleanParallelRuns: 1 }
        - id: switch-primary
          actions: [{ databricks.schedule: UNPAUSED }, { airflow.pauseDag: go_live_legacy }, { stage: live }]
          rollback: [{ databricks.schedule: PAUSED }, { airflow.unpauseDag: go_live_legacy }, { stage: parallel }]
        - id: decommission
          actions: [${decommission}]
          rollback: [{ stage: live }]
  quick-expiry:
    channel: ${CHANNEL}
    target: { engine: databricks, jobId: 43 }
    cutover:
      approvers: { users: [U0BOB], min: 1 }
      requestTtlHours: 0.0005
      steps:
        - id: only-step
permissions:
  run: { prod: [U0ALICE] }
`;
}

beforeAll(async () => {
  dir = await tempDir();
  for (const side of ['legacy', 'target']) mkdirSync(join(dir.dir, side), { recursive: true });
  const rows = `SELECT i AS id, i * 2 AS value FROM range(1, 101) t(i)`;
  await writeFiles({ [join(dir.dir, 'legacy', `${PERIOD}.parquet`)]: rows, [join(dir.dir, 'target', `${PERIOD}.parquet`)]: `${rows} ORDER BY id DESC` });
  airflow = await FakeAirflow.start({ token: 'af-cut', dags: ['go_live_legacy'] });
  const [slackUrl, dbUrl] = await Promise.all([slack.start(), databricks.start()]);
  databricks.addJob({ jobId: 42, tasks: ['build'], schedule: { ...CRON, pause_status: 'PAUSED' } });
  env = { SLACK_API_URL: slackUrl, DATABRICKS_HOST: dbUrl, DATABRICKS_TOKEN: 'dapi-cut', AIRFLOW_URL: airflow.url, AIRFLOW_TOKEN: 'af-cut' };
  app = await startAppProcess({ catalogYaml: catalog(), prefix, env });
});

afterAll(async () => {
  await app?.stop();
  await Promise.all([slack.stop(), databricks.stop(), airflow?.close()]);
  await deletePrefix(redis, prefix);
  redis.disconnect();
  await dir?.cleanup();
});

let seq = 0;
/** Runs a slash command and returns its reply (from the ack body or the response_url). */
async function command(text: string, userId = 'U0ALICE'): Promise<string> {
  const id = `c-${++seq}`;
  const res = await postSigned(`${app.url}/slack/events`, slashCommandBody({ text, userId, channelId: CHANNEL, responseUrl: slack.responseUrl(id) }), { secret: SIGNING_SECRET });
  expect(res.status).toBe(200);
  const ack = await res.text();
  if (ack) return (JSON.parse(ack) as { text: string }).text;
  const reply = await eventually(() => slack.responses.find((r) => r.id === id)?.body as { text: string; blocks?: unknown[] } | undefined, 15_000, `reply to ${text}`);
  return `${reply.text}\n${JSON.stringify(reply.blocks ?? [])}`;
}

/** Clicks a button of a message as `userId`; resolves with the ephemeral answer, if any. */
async function click(message: FakeMessage, actionId: string, userId: string, wait = true, value?: string): Promise<string | undefined> {
  const id = `b-${++seq}`;
  const current = slack.message(message.channel, message.ts)!;
  const res = await postSigned(
    `${app.url}/slack/events`,
    blockActionBody({ actionId, value, userId, channelId: message.channel, messageTs: message.ts, messageBlocks: current.blocks, responseUrl: slack.responseUrl(id), triggerId: `trig-${id}` }),
    { secret: SIGNING_SECRET },
  );
  expect(res.status).toBe(200);
  if (!wait) return undefined;
  return (await eventually(() => slack.responses.find((r) => r.id === id)?.body as { text: string } | undefined, 15_000, `answer to ${actionId}`)).text;
}

/** The request message of a request id (posted by a notify job in the pipeline channel). */
const requestMessage = (requestId: string) => eventually(() => slack.messages.find((m) => m.channel === CHANNEL && !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(requestId)), 15_000, `message of ${requestId}`);
const requestIdOf = (text: string) => /`(c-[a-z0-9]+-[a-f0-9]{6})`/.exec(text)?.[1];
const request = async (id: string) => redis.hgetall(`${prefix}:cutover:request:${id}`);
const stepState = async (step: string) => (await redis.hget(`${prefix}:cutover:step:go-live:${step}`, 'state')) ?? 'ready';
const auditEvents = async (action: string) =>
  (await redis.xrange(`${prefix}:audit:go-live`, '-', '+')).map(([, f]) => JSON.parse(f[1]!) as { action: string; actor: string; subject: string; detail?: Record<string, unknown>; after?: unknown }).filter((e) => e.action === action);

async function requestStep(step: string, kind: 'request' | 'rollback' = 'request', pipeline = 'go-live'): Promise<{ id: string; message: FakeMessage }> {
  const reply = await command(`cutover ${pipeline} ${kind} ${step}`);
  const id = requestIdOf(reply);
  expect(id, reply).toBeDefined();
  return { id: id!, message: await requestMessage(id!) };
}

describe('cutover', () => {
  it('refuses a request while its gate is unmet, saying why', async () => {
    const reply = await command('cutover go-live request parallel-clean');
    expect(reply).toMatch(/cannot be requested/);
    expect(reply).toMatch(/parallel run/i);
    expect(await stepState('parallel-clean')).toBe('ready');
  });

  it('after a clean parallel run, 20 simultaneous clicks of two approvers count exactly twice, never the requester', async () => {
    await command(`parallel go-live --period ${PERIOD}`);
    await eventually(() => slack.messages.find((m) => m.channel === CHANNEL && !m.thread_ts && /clean/.test(m.text ?? '') && (m.text ?? '').includes(PERIOD)), 60_000, 'clean parallel run');
    // The plan shows the gate's evidence with a link to the parallel run that counts.
    const plan = await command('cutover go-live');
    expect(plan).toMatch(/<https:\/\/[^|>]+\/archives\/C0CUT\/p\d+\|p-[a-z0-9]+-[a-f0-9]{6}>/);
    const { id, message } = await requestStep('parallel-clean');
    expect(JSON.stringify(message.blocks)).toContain('cutover_approve');
    expect(JSON.stringify(message.blocks)).toMatch(/archives\/C0CUT\/p\d+\|p-/);

    expect(await click(message, 'cutover_approve', 'U0ALICE')).toMatch(/You made this request/);
    expect(await click(message, 'cutover_approve', 'U0ERIN')).toMatch(/not an approver/);
    await Promise.all(Array.from({ length: 20 }, (_, i) => click(message, 'cutover_approve', i % 2 ? 'U0BOB' : 'U0CAROL', false)));
    await eventually(async () => (await stepState('parallel-clean')) === 'done', 20_000, 'step done');
    const r = await request(id);
    expect(r.state).toBe('approved');
    expect(JSON.parse(r.approvals!).map((a: { user: string }) => a.user).sort()).toEqual(['U0BOB', 'U0CAROL']);
    const approvals = (await auditEvents('cutover.approve')).filter((e) => e.detail?.requestId === id);
    expect(approvals.map((e) => e.actor).sort()).toEqual(['U0BOB', 'U0CAROL']);
    // The decided request's buttons are gone; a stale click is refused.
    await eventually(() => !JSON.stringify(slack.message(CHANNEL, message.ts)!.blocks).includes('cutover_approve'), 15_000, 'buttons removed');
    // A click on the old button (still on someone's screen) names the request: refused.
    expect(await click(message, 'cutover_approve', 'U0DAVE', true, id)).toMatch(/already \*approved\*/);
  });

  it('two approvers run the actions: Databricks schedule unpaused with its cron kept, the Airflow DAG paused, the stage live', async () => {
    const { id, message } = await requestStep('switch-primary');
    expect(await click(message, 'cutover_approve', 'U0BOB')).toMatch(/counted: 1 of 2/);
    expect(await click(message, 'cutover_approve', 'U0BOB')).toMatch(/already approved/);
    expect(JSON.parse((await request(id)).approvals!)).toHaveLength(1);
    expect(await click(message, 'cutover_approve', 'U0CAROL')).toMatch(/Approved/);
    await eventually(async () => (await stepState('switch-primary')) === 'done', 20_000, 'switch-primary done');
    expect(databricks.jobSettings(42)!.schedule).toEqual({ ...CRON, pause_status: 'UNPAUSED' });
    const updates = databricks.calls('/api/2.1/jobs/update');
    expect(updates).toHaveLength(1);
    expect(Object.keys((updates[0]!.body as { new_settings: object }).new_settings)).toEqual(['schedule']);
    expect(airflow.dag('go_live_legacy')!.is_paused).toBe(true);
    expect(await redis.get(`${prefix}:stage:go-live`)).toBe('live');
    const progress = await eventually(() => slack.messages.find((m) => m.thread_ts === message.ts && /done/.test(m.text ?? '')), 15_000, 'progress in thread');
    expect(progress.text).toMatch(/Cutover of go-live · switch-primary: done/);
    // Issue 15 item 4: the request itself says it was executed, not "the step executes now".
    const final = await eventually(() => {
      const m = slack.message(CHANNEL, message.ts)!;
      return /: executed$/.test(m.text ?? '') ? m : undefined;
    }, 15_000, 'request message says executed');
    expect(JSON.stringify(final.blocks)).toContain(':white_check_mark: *executed*: all 3 actions done');
    expect(JSON.stringify(final.blocks)).not.toContain('executes now');
  });

  it('a change of the step config voids pending approvals', async () => {
    const { id, message } = await requestStep('decommission');
    expect(await click(message, 'cutover_approve', 'U0BOB')).toMatch(/counted: 1 of 2/);
    await app.stop();
    app = await startAppProcess({ catalogYaml: catalog({ decommission: '{ airflow.pauseDag: retired_dag }, { stage: live }' }), prefix, env });
    await eventually(async () => (await request(id)).state === 'void', 20_000, 'request voided at start-up');
    expect(await click(message, 'cutover_approve', 'U0CAROL', true, id)).toMatch(/already \*void\*/);
    await eventually(() => /void|changed/i.test(JSON.stringify(slack.message(CHANNEL, message.ts)!.blocks)) && !JSON.stringify(slack.message(CHANNEL, message.ts)!.blocks).includes('cutover_approve'), 15_000, 'message says void');
    expect((await auditEvents('cutover.void')).map((e) => e.detail?.requestId)).toContain(id);
  });

  it('a failed action leaves the step failed with the error, and its rollback works', async () => {
    const { message } = await requestStep('decommission');
    await click(message, 'cutover_approve', 'U0BOB');
    await click(message, 'cutover_approve', 'U0DAVE');
    await eventually(async () => (await stepState('decommission')) === 'failed', 20_000, 'decommission failed');
    const progress = await eventually(() => slack.messages.find((m) => m.thread_ts === message.ts && /failed/.test(m.text ?? '')), 15_000, 'failure in thread');
    expect(JSON.stringify(progress.blocks)).toMatch(/retired_dag|404|not found/i);
    // The request says it failed, with the error, instead of promising an execution that is over.
    const failed = await eventually(() => {
      const m = slack.message(CHANNEL, message.ts)!;
      return /: failed$/.test(m.text ?? '') ? m : undefined;
    }, 15_000, 'request message says failed');
    expect(JSON.stringify(failed.blocks)).toMatch(/:x: \*failed\* after \d+ of \d+ actions?: [^"]*(retired_dag|404|not found)/i);

    const rollback = await requestStep('decommission', 'rollback');
    expect(await click(rollback.message, 'cutover_approve', 'U0CAROL')).toMatch(/Approved \(1 of 1\)/);
    await eventually(async () => (await stepState('decommission')) === 'rolled_back', 20_000, 'rolled back');
  });

  it('a rejection needs a reason, and is audited with it', async () => {
    const { id, message } = await requestStep('switch-primary', 'rollback');
    await click(message, 'cutover_reject', 'U0DAVE', false);
    const modal = await eventually(() => slack.views.find((v) => JSON.stringify(v).includes(id)), 15_000, 'reject modal');
    const submit = (reason: string) =>
      postSigned(`${app.url}/slack/events`, viewSubmissionBody({ callbackId: 'cutover_reject_modal', privateMetadata: id, userId: 'U0DAVE', values: { reason: { reason_input: { type: 'plain_text_input', value: reason } } } }), { secret: SIGNING_SECRET });
    const blank = await submit('   ');
    expect(await blank.json()).toMatchObject({ response_action: 'errors', errors: { reason: expect.any(String) } });
    expect((await request(id)).state).toBe('pending');
    const ok = await submit('legacy still feeds finance');
    expect(ok.status).toBe(200);
    await eventually(async () => (await request(id)).state === 'rejected', 15_000, 'rejected');
    const rejects = (await auditEvents('cutover.reject')).filter((e) => e.detail?.requestId === id);
    expect(rejects).toHaveLength(1);
    expect(rejects[0]!.actor).toBe('U0DAVE');
    expect(JSON.stringify(rejects[0])).toContain('legacy still feeds finance');
    expect(JSON.stringify(modal)).toContain('cutover_reject_modal');
    expect(await stepState('switch-primary')).toBe('done');
  });

  it('an expired request cannot be approved and loses its buttons', async () => {
    const { id, message } = await requestStep('only-step', 'request', 'quick-expiry');
    await new Promise((r) => setTimeout(r, 2500));
    // The request id as the button carried it: the sweeper may already have removed the buttons.
    expect(await click(message, 'cutover_approve', 'U0BOB', true, id)).toMatch(/expired/);
    expect(await redis.hget(`${prefix}:cutover:request:${id}`, 'state')).toBe('expired');
    await eventually(() => !JSON.stringify(slack.message(CHANNEL, message.ts)!.blocks).includes('cutover_approve'), 15_000, 'buttons removed');
  });

  it('App Home shows the board and the approvals waiting for the viewer', async () => {
    const { id } = await requestStep('decommission');
    const event = (user: string) =>
      JSON.stringify({
        token: 'x',
        team_id: 'T0TEAM',
        api_app_id: 'A0APP',
        type: 'event_callback',
        event_id: `Ev${++seq}`,
        event_time: Math.floor(Date.now() / 1000),
        event: { type: 'app_home_opened', user, channel: 'D0HOME', tab: 'home', event_ts: `${Date.now() / 1000}` },
      });
    const res = await postSigned(`${app.url}/slack/events`, event('U0BOB'), { secret: SIGNING_SECRET, contentType: 'application/json' });
    expect(res.status).toBe(200);
    const home = await eventually(() => slack.views.find((v) => v.method === 'views.publish' && v.user_id === 'U0BOB'), 15_000, 'home published');
    const board = JSON.stringify(home.view);
    expect((home.view as { type: string }).type).toBe('home');
    expect(board).toContain(id);
    expect(board).toContain('go-live');
    expect(board).toContain('quick-expiry');
    // go-live reached `live` through switch-primary's stage action; quick-expiry is still `legacy`.
    expect(board).toContain('*go-live* · :rocket: `live`');
    expect(board).toContain('*quick-expiry* · ');
    expect(board).toMatch(/\*quick-expiry\* · :[a-z_]+: `legacy`/);
    // Open is a link button: its click is still acked at once (without an ack Bolt answers after 3 s).
    const started = performance.now();
    const open = await postSigned(`${app.url}/slack/events`, blockActionBody({ actionId: 'cutover_open_request', value: id, userId: 'U0BOB', channelId: 'D0HOME', messageBlocks: (home.view as { blocks: unknown[] }).blocks }), { secret: SIGNING_SECRET });
    expect(open.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(2000);
    // The requester sees the board without their own request waiting for them.
    await postSigned(`${app.url}/slack/events`, event('U0ALICE'), { secret: SIGNING_SECRET, contentType: 'application/json' });
    const own = await eventually(() => slack.views.find((v) => v.method === 'views.publish' && v.user_id === 'U0ALICE'), 15_000, 'home of the requester');
    expect(JSON.stringify(own.view)).not.toContain(id);
  });
});
