import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDatabricks } from '../fakes/databricks-server.ts';
import { FakeSlack, type FakeMessage } from '../fakes/slack-server.ts';
import { eventually, SIGNING_SECRET, startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../helpers/redis.ts';
import { blockActionBody, postSigned, slashCommandBody } from '../helpers/slack-requests.ts';

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
// Several polls per step, so a run lasts longer than the 2 s update window and `running` is shown.
const databricks = new FakeDatabricks({ tokens: ['dapi-e2e-token'], pollsPerStep: 5 });
const redis = testRedis();
const prefix = uniquePrefix('e2e-run');
let app: AppProcess;

beforeAll(async () => {
  const [slackUrl, dbUrl] = await Promise.all([slack.start(), databricks.start()]);
  databricks.addJob({ jobId: 123, tasks: ['extract', 'transform', 'load'] });
  app = await startAppProcess({
    catalogYaml: CATALOG,
    prefix,
    env: { SLACK_API_URL: slackUrl, DATABRICKS_HOST: dbUrl, DATABRICKS_TOKEN: 'dapi-e2e-token' },
  });
});

afterAll(async () => {
  await app?.stop();
  await Promise.all([slack.stop(), databricks.stop()]);
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

let responseSeq = 0;
async function command(text: string, userId = 'U0ALICE') {
  const responseId = `cmd-${++responseSeq}`;
  const started = performance.now();
  const res = await postSigned(`${app.url}/slack/events`, slashCommandBody({ text, userId, channelId: CHANNEL, responseUrl: slack.responseUrl(responseId) }), { secret: SIGNING_SECRET });
  const ackMs = performance.now() - started;
  const ackBody = await res.text();
  return { res, ackMs, ackBody, responseId };
}

/** The confirmation of a run: in the ack body when it could be given at once, else via response_url. */
async function confirmation(c: { ackBody: string; responseId: string }): Promise<string> {
  if (c.ackBody) return (JSON.parse(c.ackBody) as { text: string }).text;
  return (await replyTo(c.responseId)).text;
}
const replyTo = (responseId: string) => eventually(() => slack.responses.find((r) => r.id === responseId)?.body as { text: string } | undefined, 10_000, `reply ${responseId}`);
const runIdOf = (text: string) => /`(r-[a-z0-9]+-[a-f0-9]{6})`/.exec(text)?.[1];
const statusMessages = () => slack.messages.filter((m) => m.channel === CHANNEL && !m.thread_ts);
const statusOf = (runId: string) => statusMessages().find((m) => JSON.stringify(m.blocks ?? []).includes(runId));
const buttonsIn = (m: FakeMessage) => JSON.stringify(m.blocks ?? []).match(/"action_id":"(run_[a-z]+)"/g)?.map((s) => s.split('"')[3]) ?? [];

describe('/pipeline run on Databricks, end to end', () => {
  it('acks a signed command in under 3 s, calls run-now once, and updates one status message through to succeeded', async () => {
    const c = await command('run incites-monthly --on databricks --period 2026-07 --param region=eu');
    expect(c.res.status).toBe(200);
    expect(c.ackMs).toBeLessThan(3000);
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
    expect(runNow[0]!.headers.authorization).toBe('Bearer dapi-e2e-token');
    // One status message, edited in place: it went through running before succeeding.
    expect(statusMessages().filter((m) => JSON.stringify(m.blocks).includes(runId))).toHaveLength(1);
    const seen = [...message.history.map((h) => h.text ?? ''), message.text ?? ''].join('\n');
    expect(seen).toMatch(/running/);
    expect(JSON.stringify(message.blocks)).toMatch(/extract[\s\S]*transform[\s\S]*load/);
    // Coalesced: never two chat.update calls for this message within 2 s of each other.
    const updates = slack.callsTo('chat.update').filter((c) => c.body.ts === message.ts).map((c) => c.at);
    for (let i = 1; i < updates.length; i++) expect(updates[i]! - updates[i - 1]!).toBeGreaterThanOrEqual(1900);
  });

  it('opens a failure thread with the task error and Repair/Cancel/Acknowledge; a signed Repair click repairs, reports back, and closes the alert', async () => {
    databricks.setOutcome(123, { fail: { task: 'transform', error: 'java.lang.RuntimeException: boom in transform', trace: 'at com.example.Transform.run(Transform.scala:42)\nat scala.Option.map' } }, 'next-run');
    const runId = runIdOf(await confirmation(await command('run incites-monthly --on databricks --period 2026-08')))!;
    const status = await eventually(() => statusOf(runId), 10_000, 'status message');
    const alert = await eventually(() => slack.messages.find((m) => m.thread_ts === status.ts && m.reply_broadcast), 20_000, 'alert thread');
    expect(JSON.stringify(alert.blocks)).toContain('java.lang.RuntimeException: boom in transform');
    expect(JSON.stringify(alert.blocks)).toContain('Transform.scala:42');
    expect(buttonsIn(alert)).toEqual(expect.arrayContaining(['run_repair', 'run_cancel', 'run_ack']));
    expect(await eventually(() => /failed/.test(statusOf(runId)?.text ?? ''), 5000, 'failed status')).toBe(true);
    // get-output was asked for the failed task's run id, never the parent run's.
    const outputs = databricks.calls('/api/2.1/jobs/runs/get-output');
    expect(outputs.length).toBeGreaterThan(0);

    const click = await postSigned(
      `${app.url}/slack/events`,
      blockActionBody({ actionId: 'run_repair', userId: 'U0ALICE', channelId: CHANNEL, messageTs: alert.ts, threadTs: status.ts, messageBlocks: alert.blocks, responseUrl: slack.responseUrl('repair-click') }),
      { secret: SIGNING_SECRET },
    );
    expect(click.status).toBe(200);
    await eventually(() => databricks.calls('/api/2.1/jobs/runs/repair').length === 1, 10_000, 'runs/repair');
    expect(databricks.calls('/api/2.1/jobs/runs/repair')[0]!.body).toMatchObject({ rerun_all_failed_tasks: true });
    const finished = await eventually(() => slack.messages.find((m) => m.thread_ts === status.ts && /repair/i.test(m.text ?? '') && /succeeded/.test(m.text ?? '')), 20_000, 'repair result in thread');
    expect(finished).toBeDefined();
    await eventually(() => /succeeded/.test(statusOf(runId)?.text ?? ''), 10_000, 'status succeeded after repair');

    // Issue 15 item 4: the alert itself is edited to say how it ended, and its buttons are gone
    // (a Repair click on it could only be refused now).
    const closed = await eventually(() => {
      const m = slack.message(alert.channel, alert.ts);
      return m && /repaired and succeeded/.test(m.text ?? '') ? m : undefined;
    }, 15_000, 'alert edited to its ending');
    expect(buttonsIn(closed)).toEqual([]);
    expect(JSON.stringify(closed.blocks)).toContain('*Resolved*: repaired and succeeded (repair #1)');
    expect(JSON.stringify(closed.blocks)).toContain('Re-ran: `transform`');
    // While the repair ran, the status said so, never "pending" beside the failure that started it.
    const statusSeen = [...statusOf(runId)!.history.map((h) => JSON.stringify(h.blocks)), JSON.stringify(statusOf(runId)!.blocks)];
    expect(statusSeen.some((b) => b.includes('*repairing* (repair #1)'))).toBe(true);
    expect(statusSeen.filter((b) => b.includes('*pending*') && b.includes('Task transform failed'))).toEqual([]);
  });

  it('issue 14 finding 14: a Repair after a refused repair repairs again, and a double click repairs once', async () => {
    databricks.setOutcome(123, { fail: { task: 'load', error: 'java.io.IOException: disk full' } }, 'next-run');
    const runId = runIdOf(await confirmation(await command('run incites-monthly --on databricks --period 2026-11')))!;
    const status = await eventually(() => statusOf(runId), 10_000, 'status message');
    const alert = await eventually(() => slack.messages.find((m) => m.thread_ts === status.ts && m.reply_broadcast), 20_000, 'alert thread');
    await eventually(() => /failed/.test(statusOf(runId)?.text ?? ''), 5000, 'failed status');
    const repairCalls = () => databricks.calls('/api/2.1/jobs/runs/repair').length;
    const before = repairCalls();
    const click = (responseId: string) =>
      postSigned(
        `${app.url}/slack/events`,
        blockActionBody({ actionId: 'run_repair', userId: 'U0ALICE', channelId: CHANNEL, messageTs: alert.ts, threadTs: status.ts, messageBlocks: alert.blocks, responseUrl: slack.responseUrl(responseId) }),
        { secret: SIGNING_SECRET },
      );

    // Databricks refuses the first repair: the thread says so.
    databricks.failNext('/api/2.1/jobs/runs/repair', [{ status: 400, errorCode: 'INVALID_STATE', message: 'The run is being cleaned up; try again' }]);
    expect((await click('f14-first')).status).toBe(200);
    await eventually(() => slack.messages.find((m) => m.thread_ts === status.ts && /Repair failed: INVALID_STATE/.test(m.text ?? '')), 20_000, 'repair refusal in thread');
    expect(repairCalls()).toBe(before + 1);

    // Clicked again, twice at once: one new request, one repair.
    const [a, b] = await Promise.all([click('f14-second'), click('f14-third')]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await eventually(() => slack.messages.find((m) => m.thread_ts === status.ts && /repair/i.test(m.text ?? '') && /succeeded/.test(m.text ?? '')), 30_000, 'repair result in thread');
    await eventually(() => /succeeded/.test(statusOf(runId)?.text ?? ''), 10_000, 'status succeeded after repair');
    const replies = await Promise.all(['f14-second', 'f14-third'].map((id) => replyTo(id)));
    expect(replies.filter((r) => /Repair of `r-.*` requested/.test(r.text))).toHaveLength(1);
    expect(replies.filter((r) => /already under way|only a failed run can be repaired/.test(r.text))).toHaveLength(1);
    expect(repairCalls()).toBe(before + 2);
  }, 90_000);

  it('refuses a prod run from someone outside permissions.run.prod, and accepts a member of an allowed user group', async () => {
    // The group is not cached yet: the answer comes after a usergroups.users.list lookup.
    const accepted = await command('run incites-monthly --env prod --period 2026-09', 'U0DAN');
    expect(accepted.ackBody).toBe('');
    expect(await confirmation(accepted)).toMatch(/is queued on databricks/);
    const refused = await command('run incites-monthly --env prod', 'U0MALLORY');
    expect(await confirmation(refused)).toMatch(/not allowed to start prod runs/);
    // Now the group is cached, the next confirmation comes straight in the ack.
    const again = await command('run incites-monthly --env prod --period 2026-10', 'U0DAN');
    expect(JSON.parse(again.ackBody).text).toMatch(/Starting run `r-/);
    expect(slack.callsTo('usergroups.users.list').some((c) => c.body.usergroup === 'S0DATAENG')).toBe(true);
    // Both runs post and finish before the next test: a late status post under load would take
    // the 429 the Retry-After test plants for its own run.
    const ids = [runIdOf(await confirmation(accepted))!, runIdOf(JSON.parse(again.ackBody).text)!];
    await eventually(() => ids.every((id) => /succeeded/.test(statusOf(id)?.text ?? '')), 30_000, 'both prod runs succeeded');
  });

  it('answers bad command text with an ephemeral usage reply naming the problem', async () => {
    const { res, ackBody } = await command('run nope --period 2026-07');
    expect(res.status).toBe(200);
    const body = JSON.parse(ackBody) as { response_type: string; text: string };
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toMatch(/unknown pipeline "nope"/);
    expect(body.text).toMatch(/\/pipeline run <pipeline>/);

    // Issue 15 item 6: a future period is refused, and a run id is looked up as a run, never as a pipeline.
    const future = await command('run incites-monthly --period 2099-01');
    expect((JSON.parse(future.ackBody) as { text: string }).text).toMatch(/--period 2099-01 is in the future/);
    const status = await command('status r-nope-0000');
    const statusText = status.ackBody ? (JSON.parse(status.ackBody) as { text: string }).text : (await replyTo(status.responseId)).text;
    expect(statusText).toMatch(/No run with id `r-nope-0000`/);
    expect(statusText).not.toMatch(/unknown pipeline/);
  });

  it('issue 17: answers /pipeline status and /pipeline list in the ack itself, with nothing sent to response_url', async () => {
    for (const [text, shows] of [['status r-nope-0001', /No run with id `r-nope-0001`/], ['list', /incites-monthly/]] as const) {
      const c = await command(text);
      expect(c.res.status).toBe(200);
      const body = JSON.parse(c.ackBody || '{}') as { response_type?: string; text?: string; blocks?: unknown[] };
      expect(body, text).toMatchObject({ response_type: 'ephemeral' });
      expect(`${body.text ?? ''} ${JSON.stringify(body.blocks ?? [])}`, text).toMatch(shows);
      await new Promise((r) => setTimeout(r, 300));
      expect(slack.responses.find((r) => r.id === c.responseId), text).toBeUndefined();
    }
  });

  it('rejects a forged signature and a stale timestamp with 401, and starts nothing', async () => {
    const body = slashCommandBody({ text: 'run incites-monthly --period 2025-03', userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl('forged') });
    const forged = await postSigned(`${app.url}/slack/events`, body, { secret: 'not-the-secret' });
    expect(forged.status).toBe(401);
    const stale = await postSigned(`${app.url}/slack/events`, body, { secret: SIGNING_SECRET, timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(stale.status).toBe(401);
    await new Promise((r) => setTimeout(r, 1000));
    const forgedRuns = databricks.calls('/api/2.1/jobs/run-now').filter((c) => JSON.stringify(c.body).includes('2025-03'));
    expect(forgedRuns).toEqual([]);
    expect(statusMessages().filter((m) => (m.text ?? '').includes('2025-03'))).toEqual([]);
    expect(slack.responses.find((r) => r.id === 'forged')).toBeUndefined();
  });

  it('retries Slack 429s honouring Retry-After without posting the status message twice', async () => {
    slack.failNext('chat.postMessage', [{ status: 429, retryAfter: 1 }]);
    const runId = runIdOf(await confirmation(await command('run incites-monthly --on databricks --period 2025-12')))!;
    await eventually(() => /succeeded/.test(statusOf(runId)?.text ?? ''), 30_000, 'succeeded after a Slack 429');
    const posts = slack.callsTo('chat.postMessage').filter((c) => JSON.stringify(c.body).includes(runId));
    expect(posts.map((c) => c.status)).toEqual([429, 200]);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(950);
    expect(statusMessages().filter((m) => JSON.stringify(m.blocks).includes(runId))).toHaveLength(1);
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${app.url}/readyz`);
    expect(await ready.json()).toMatchObject({ ok: true, redis: 'up' });
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/cutover_runs\{state="succeeded"\} [1-9]/);
    expect(metrics).toMatch(/cutover_queue_jobs\{queue="engine",state="delayed"\}/);
    expect(metrics).toMatch(/cutover_api_calls_total\{service="databricks",operation="\/api\/2\.1\/jobs\/run-now",status="200"\} [1-9]/);
    expect(metrics).toMatch(/cutover_api_call_duration_seconds_bucket\{.*service="slack"/);
  });
});
