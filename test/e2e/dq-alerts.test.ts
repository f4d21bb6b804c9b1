import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDatabricks } from '../fakes/databricks-server.ts';
import { FakeSlack, type FakeMessage } from '../fakes/slack-server.ts';
import { FakeSns } from '../fakes/sns-server.ts';
import { eventually, SIGNING_SECRET, startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../helpers/redis.ts';
import { blockActionBody, postSigned, slashCommandBody } from '../helpers/slack-requests.ts';
import { tempDir, writeFiles } from '../unit/diff/helpers.ts';

/**
 * Issue 4 end to end: a run whose output breaks two checks opens one DQ thread with both;
 * the same failures again post nothing new and edit the summary; Acknowledge is recorded in
 * the thread and the audit stream; fixed data resolves it; SNS gets each change with its
 * attributes, through the AWS query protocol.
 */
const CHANNEL = 'C0DQ';
const TOPIC = 'arn:aws:sns:us-east-1:111122223333:dq-alerts';
const PERIOD = '2026-09';
const BAD = `SELECT * FROM (VALUES (1, 10.0, 'a'), (NULL, 5.0, 'b'), (3, -2.5, 'c'), (4, 7.0, 'd')) t(customer_id, revenue, segment)`;
const GOOD = `SELECT * FROM (VALUES (1, 10.0, 'a'), (2, 5.0, 'b'), (3, 2.5, 'c'), (4, 7.0, 'd')) t(customer_id, revenue, segment)`;

const slack = new FakeSlack();
const databricks = new FakeDatabricks({ tokens: ['dapi-dq'], pollsPerStep: 1 });
const sns = new FakeSns([TOPIC]);
const redis = testRedis();
const prefix = uniquePrefix('e2e-dq');
let app: AppProcess;
let dir: { dir: string; cleanup: () => Promise<void> };
let dataFile: string;
let remindFile: string;

beforeAll(async () => {
  dir = await tempDir();
  mkdirSync(join(dir.dir, `target/period=${PERIOD}`), { recursive: true });
  dataFile = join(dir.dir, `target/period=${PERIOD}/part-0.parquet`);
  remindFile = join(dir.dir, 'remind.parquet');
  await writeFiles({ [dataFile]: BAD, [remindFile]: BAD });
  const [slackUrl, dbUrl, snsUrl] = await Promise.all([slack.start(), databricks.start(), sns.start()]);
  databricks.addJob({ jobId: 7, tasks: ['load'] });
  app = await startAppProcess({
    prefix,
    catalogYaml: `
pipelines:
  dq-monthly:
    channel: ${CHANNEL}
    owners: [U0CAROL]
    stage: live
    target: { engine: databricks, jobId: 7 }
    outputs:
      - name: customers
        key: [customer_id]
        legacy: { path: "${dir.dir}/legacy/period={{period}}/part-0.parquet" }
        target: { path: "${dir.dir}/target/period={{period}}/part-0.parquet" }
        checks:
          - not_null: [customer_id]
          - range: { column: revenue, min: 0 }
          - row_count: { min: 1 }
  dq-remind:
    channel: ${CHANNEL}
    stage: live
    target: { engine: databricks, jobId: 7 }
    alerts: { remindAfterHours: 0.0005 }
    outputs:
      - name: customers
        key: [customer_id]
        legacy: { path: "${dir.dir}/legacy/period={{period}}/part-0.parquet" }
        target: { path: "${remindFile}" }
        checks:
          - not_null: [customer_id]
permissions:
  dq: [U0BOB]
alerts:
  snsTopicArn: ${TOPIC}
`,
    env: { SLACK_API_URL: slackUrl, DATABRICKS_HOST: dbUrl, DATABRICKS_TOKEN: 'dapi-dq', AWS_ENDPOINT_URL_SNS: snsUrl },
  });
});

afterAll(async () => {
  await app?.stop();
  await Promise.all([slack.stop(), databricks.stop(), sns.stop()]);
  await deletePrefix(redis, prefix);
  redis.disconnect();
  await dir?.cleanup();
});

const command = (text: string, userId = 'U0ALICE', responseId = `r-${Math.random()}`) =>
  postSigned(`${app.url}/slack/events`, slashCommandBody({ text, userId, channelId: CHANNEL, responseUrl: slack.responseUrl(responseId) }), { secret: SIGNING_SECRET });

const dqSummaries = () => slack.messages.filter((m) => m.channel === CHANNEL && /DQ (failing|resolved)/.test(m.text ?? ''));
const threadOf = (summary: FakeMessage) => slack.messages.filter((m) => m.thread_ts === (summary.thread_ts ?? summary.ts) && m.ts !== summary.ts);
const runsSucceeded = () => slack.messages.filter((m) => m.channel === CHANNEL && !m.thread_ts && /succeeded/.test(m.text ?? '')).length;
const dqPublishes = () => sns.published.filter((p) => p.attributes.event?.value.startsWith('dq.'));

describe('DQ alert threads', () => {
  let summary: FakeMessage;

  it('a run whose output breaks two checks opens one thread with both, and publishes to SNS', async () => {
    // SNS is down for the first two attempts: the Slack alert must not wait, the publish must not be lost.
    sns.failNext(2);
    expect((await command(`run dq-monthly --period ${PERIOD}`)).status).toBe(200);
    summary = await eventually(() => dqSummaries()[0], 20_000, 'DQ summary');
    expect(dqSummaries()).toHaveLength(1);
    // On the run's status message, broadcast to the channel.
    const status = slack.messages.find((m) => m.channel === CHANNEL && !m.thread_ts && m.ts === summary.thread_ts);
    expect(status, 'the summary hangs on the status message').toBeDefined();
    expect(summary.reply_broadcast).toBe(true);
    const text = JSON.stringify(summary.blocks);
    expect(summary.text).toMatch(/DQ failing/);
    expect(text).toContain('not_null(customer_id)');
    expect(text).toMatch(/range\(revenue/);
    expect(text).not.toContain('row_count');
    expect(text).toContain('2 of 3 checks failing');

    const published = await eventually(() => dqPublishes()[0], 20_000, 'SNS publish');
    expect(sns.requests.filter((r) => r.Action === 'Publish').length).toBeGreaterThanOrEqual(3);
    expect(published.at).toBeGreaterThan(slack.calls.find((c) => c.method === 'chat.postMessage' && JSON.stringify(c.body).includes('DQ failing'))!.at);
    expect(published.topicArn).toBe(TOPIC);
    expect(published.attributes).toEqual({
      pipeline: { dataType: 'String', value: 'dq-monthly' },
      severity: { dataType: 'String', value: 'warning' },
      event: { dataType: 'String', value: 'dq.failed' },
      // Marks Cutover's own publishes, so POST /sns can ignore them when the topic is also inbound.
      cutover_origin: { dataType: 'String', value: 'cutover' },
    });
    expect(published.subject!.length).toBeLessThan(100);
    const body = JSON.parse(published.message) as Record<string, unknown>;
    expect(body).toMatchObject({ event: 'dq.failed', pipeline: 'dq-monthly', period: PERIOD });
    expect((body.failingChecks as unknown[]).length).toBe(2);
    expect(String(body.slack)).toContain(`/archives/${CHANNEL}/`);
  });

  it('the same failures on a re-run post nothing new and update the summary', async () => {
    const repliesBefore = threadOf(summary).length;
    const editsBefore = slack.message(CHANNEL, summary.ts)!.history.length;
    const succeeded = runsSucceeded();
    expect((await command(`run dq-monthly --period ${PERIOD}`)).status).toBe(200);
    await eventually(() => runsSucceeded() > succeeded, 20_000, 'second run');
    const edited = await eventually(() => {
      const m = slack.message(CHANNEL, summary.ts)!;
      return m.history.length > editsBefore && /2 evaluations/.test(JSON.stringify(m.blocks)) ? m : undefined;
    }, 20_000, 'summary edited');
    expect(JSON.stringify(edited.blocks)).toContain('2 of 3 checks failing');
    expect(dqSummaries()).toHaveLength(1);
    expect(threadOf(summary).length).toBe(repliesBefore);
    expect(dqPublishes()).toHaveLength(1);
  });

  it('finding 2: Acknowledge and Mute need the dq permission, not just an open dev rule', async () => {
    const current = slack.message(CHANNEL, summary.ts)!;
    for (const actionId of ['dq_ack', 'dq_mute']) {
      const id = `refused-${actionId}`;
      await postSigned(`${app.url}/slack/events`, blockActionBody({ actionId, userId: 'U0MALLORY', channelId: CHANNEL, messageTs: summary.ts, threadTs: summary.thread_ts, messageBlocks: current.blocks, responseUrl: slack.responseUrl(id) }), { secret: SIGNING_SECRET });
      const reply = await eventually(() => slack.responses.find((r) => r.id === id), 15_000, 'refusal');
      expect(JSON.stringify(reply.body)).toContain('not allowed to act on DQ alerts of dq-monthly');
    }
    const audit = await redis.xrange(`${prefix}:audit:dq-monthly`, '-', '+');
    expect(audit.map(([, f]) => (JSON.parse(f[1]!) as { actor: string }).actor)).not.toContain('U0MALLORY');
  });

  it('Acknowledge records the user in the thread and the audit stream', async () => {
    const current = slack.message(CHANNEL, summary.ts)!;
    const res = await postSigned(
      `${app.url}/slack/events`,
      blockActionBody({ actionId: 'dq_ack', userId: 'U0BOB', channelId: CHANNEL, messageTs: summary.ts, threadTs: summary.thread_ts, messageBlocks: current.blocks, responseUrl: slack.responseUrl('ack') }),
      { secret: SIGNING_SECRET },
    );
    expect(res.status).toBe(200);
    const note = await eventually(() => threadOf(summary).find((m) => /acknowledged/.test(m.text ?? '')), 15_000, 'ack note');
    expect(note.text).toContain('<@U0BOB>');
    await eventually(() => /Acknowledged by <@U0BOB>/.test(JSON.stringify(slack.message(CHANNEL, summary.ts)!.blocks)), 15_000, 'summary shows ack');
    const audit = await redis.xrange(`${prefix}:audit:dq-monthly`, '-', '+');
    const acks = audit.map(([, f]) => JSON.parse(f[1]!) as { action: string; actor: string }).filter((e) => e.action === 'dq.acknowledge');
    expect(acks).toEqual([expect.objectContaining({ action: 'dq.acknowledge', actor: 'U0BOB' })]);
  });

  it('fixed data marks the thread resolved, and SNS hears of the recovery', async () => {
    await writeFiles({ [dataFile]: GOOD });
    expect((await command(`dq dq-monthly --period ${PERIOD}`)).status).toBe(200);
    const resolvedNote = await eventually(() => threadOf(summary).find((m) => /Resolved/.test(m.text ?? '')), 20_000, 'resolved note');
    expect(resolvedNote.text).toContain('all 3 checks pass');
    await eventually(() => /DQ resolved/.test(slack.message(CHANNEL, summary.ts)!.text ?? ''), 15_000, 'summary resolved');
    const recovered = await eventually(() => dqPublishes().find((p) => p.attributes.event?.value === 'dq.recovered'), 15_000, 'recovery publish');
    expect(recovered.attributes.severity?.value).toBe('info');
    // The person who asked hears the outcome too.
    await eventually(() => slack.ephemerals.find((e) => e.user === 'U0ALICE' && /All 3 DQ checks/.test(e.text ?? '')), 15_000, 'ephemeral answer');
    expect(dqSummaries()).toHaveLength(1);
  });

  it('/pipeline audit shows an owner the latest events and sends the whole trail as JSON Lines to their DM', async () => {
    expect((await command('audit dq-monthly', 'U0ALICE', 'audit-0')).status).toBe(200);
    const refused = await eventually(() => slack.responses.find((r) => r.id === 'audit-0')?.body as { text: string } | undefined, 15_000, 'audit refusal');
    expect(refused.text).toMatch(/is for its owners/);
    expect((await command('audit dq-monthly', 'U0CAROL', 'audit-1')).status).toBe(200);
    const reply = await eventually(() => slack.responses.find((r) => r.id === 'audit-1')?.body as { blocks: unknown[]; response_type: string } | undefined, 15_000, 'audit reply');
    expect(reply.response_type).toBe('ephemeral');
    const shown = JSON.stringify(reply.blocks);
    expect(shown).toContain('dq.acknowledge');
    expect(shown).toContain('<@U0BOB>');
    const file = await eventually(() => slack.files.find((f) => f.completed && f.filename.startsWith('audit-dq-monthly')), 15_000, 'audit file');
    expect(file.channel_id).toBe('D0CAROL'); // the asker's DM, never the channel
    const lines = file.bytes!.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; action: string });
    const stored = await redis.xrange(`${prefix}:audit:dq-monthly`, '-', '+');
    // Every event, oldest first, nothing rewritten (the audit command itself adds none).
    expect(lines.map((l) => l.id)).toEqual(stored.map(([id]) => id));
    expect(lines.map((l) => l.action)).toEqual(expect.arrayContaining(['run.created', 'dq.failed', 'dq.acknowledge', 'dq.passed']));
  });

  it('reminds about an unacknowledged failure (remindAfterHours) until someone acknowledges it', async () => {
    expect((await command(`dq dq-remind --period ${PERIOD}`)).status).toBe(200);
    const summary = await eventually(() => slack.messages.find((m) => m.channel === CHANNEL && /DQ failing: dq-remind/.test(m.text ?? '')), 20_000, 'DQ summary');
    const reminders = () => threadOf(summary).filter((m) => /Reminder/.test(m.text ?? ''));
    await eventually(() => reminders().length >= 2, 20_000, 'two reminders');
    const current = slack.message(CHANNEL, summary.ts)!;
    await postSigned(`${app.url}/slack/events`, blockActionBody({ actionId: 'dq_ack', userId: 'U0BOB', channelId: CHANNEL, messageTs: summary.ts, messageBlocks: current.blocks, responseUrl: slack.responseUrl('ack-remind') }), { secret: SIGNING_SECRET });
    await eventually(() => threadOf(summary).find((m) => /acknowledged/.test(m.text ?? '')), 15_000, 'ack note');
    const after = reminders().length;
    await new Promise((r) => setTimeout(r, 4500));
    expect(reminders().length).toBe(after);
  });
});

/**
 * Issue 15 item 6: a period without data is its own outcome. `/pipeline dq` says there was
 * nothing to check (and where it looked), `/pipeline diff` says which side had no data; neither
 * says "different" or "DQ failed", opens a DQ thread, or publishes to SNS. A future period is refused.
 */
describe('periods without data', () => {
  const EMPTY = '2025-02';
  const HALF = '2025-01'; // target data only: the legacy side is missing

  it('/pipeline dq on a period with no data answers "nothing to check" and opens no alert', async () => {
    const publishes = dqPublishes().length;
    expect((await command(`dq dq-monthly --period ${EMPTY}`, 'U0ALICE')).status).toBe(200);
    const reply = await eventually(() => slack.ephemerals.find((e) => e.user === 'U0ALICE' && (e.text ?? '').includes(EMPTY)), 20_000, 'ephemeral answer');
    expect(reply.text).toContain(`Nothing to check for *dq-monthly* ${EMPTY}`);
    expect(reply.text).toContain(`no target data for ${EMPTY} at ${dir.dir}/target/period=${EMPTY}/part-0.parquet`);
    expect(reply.text).toContain('No DQ alert was opened');
    expect(reply.text).not.toMatch(/failing|failed/);
    expect(slack.messages.filter((m) => m.channel === CHANNEL && JSON.stringify([m.text, m.blocks]).includes(EMPTY))).toEqual([]);
    expect(dqPublishes().length).toBe(publishes);
    expect(await redis.exists(`${prefix}:dq:alert:dq-monthly:${EMPTY}`)).toBe(0);
  });

  it('/pipeline diff names the side without data; the verdict is "missing", never "different" or "DQ failed"', async () => {
    mkdirSync(join(dir.dir, `target/period=${HALF}`), { recursive: true });
    await writeFiles({ [join(dir.dir, `target/period=${HALF}/part-0.parquet`)]: GOOD });
    const publishes = dqPublishes().length;
    expect((await command(`diff dq-monthly --period ${HALF}`, 'U0CAROL')).status).toBe(200);
    const message = await eventually(() => {
      const m = slack.messages.find((x) => x.channel === CHANNEL && !x.thread_ts && (x.text ?? '').includes(HALF));
      return m && /missing/.test(m.text ?? '') ? m : undefined;
    }, 30_000, 'diff message with its verdict');
    const shown = JSON.stringify(message.blocks);
    expect(shown).toContain(`no legacy data for ${HALF} at ${dir.dir}/legacy/period=${HALF}/part-0.parquet`);
    expect(shown).toContain(':file_folder: *missing*');
    expect(shown).not.toMatch(/\*different\*|DQ failed/);
    expect(shown).toContain('*DQ passed* (3 checks)');
    // No DQ thread for the period, in the message's thread or anywhere else.
    expect(dqSummaries().filter((m) => JSON.stringify([m.text, m.blocks]).includes(HALF))).toEqual([]);
    expect(dqPublishes().length).toBe(publishes);
  });

  it('refuses a --period in the future with a usage reply naming it', async () => {
    const res = await command('dq dq-monthly --period 2099-01', 'U0ALICE');
    const body = (await res.text()) || JSON.stringify((await eventually(() => slack.responses.find((r) => JSON.stringify(r.body).includes('2099-01'))?.body, 10_000, 'usage reply')));
    expect(body).toMatch(/--period 2099-01 is in the future/);
    expect(body).toMatch(/\/pipeline dq/);
  });
});
