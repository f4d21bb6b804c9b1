import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDatabricks, type TimelineEntry } from '../fakes/databricks-server.ts';
import { FakeSlack, type FakeMessage } from '../fakes/slack-server.ts';
import { eventually, SIGNING_SECRET, startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../helpers/redis.ts';
import { blockActionBody, postSigned, slashCommandBody } from '../helpers/slack-requests.ts';

const CHANNEL = 'C0BACKFILL';
const CRASH_CHANNEL = 'C0BFCRASH';
const CANCEL_CHANNEL = 'C0BFCANCEL';
const CATALOG = `
pipelines:
  monthly-facts:
    channel: ${CHANNEL}
    stage: live
    target: { engine: databricks, jobId: 31, jobParameters: { period: "{{period}}" } }
    environments: { prod: {} }
  crash-facts:
    channel: ${CRASH_CHANNEL}
    stage: live
    target: { engine: databricks, jobId: 32, jobParameters: { period: "{{period}}" } }
    environments: { prod: {} }
  cancel-facts:
    channel: ${CANCEL_CHANNEL}
    stage: live
    target: { engine: databricks, jobId: 33, jobParameters: { period: "{{period}}" } }
    environments: { prod: {} }
permissions:
  run: { prod: [U0ALICE] }
`;

const slack = new FakeSlack();
// Each run: 3 tasks, each state seen by 4 looks (a batched runs/list looks at every active run
// of the job at once); a failure in the first task ends a run in half the time. 2026-03 and
// 2026-04 start together, so the failure must be recorded before 2026-04's last two steps end:
// 4 looks a step gives that ~0.8 s at a 100 ms poll interval (2 looks, ~0.4 s, was short of it
// on a loaded CI machine once, and 2026-05 started: right for the bot, wrong for this test).
const databricks = new FakeDatabricks({ tokens: ['dapi-backfill'], pollsPerStep: 4 });
const redis = testRedis();
const prefix = uniquePrefix('e2e-backfill');
const apps: AppProcess[] = [];
let env: Record<string, string>;
const app = () => apps.at(-1)!;

beforeAll(async () => {
  const [slackUrl, dbUrl] = await Promise.all([slack.start(), databricks.start()]);
  databricks.addJob({ jobId: 31, tasks: ['extract', 'transform', 'load'] });
  databricks.addJob({ jobId: 32, tasks: ['extract', 'transform', 'load'] });
  databricks.addJob({ jobId: 33, tasks: ['a', 'b', 'c', 'd', 'e', 'f'] }); // long enough to cancel mid-run
  // A short job lock so the jobs a killed process held are taken over within seconds.
  env = { SLACK_API_URL: slackUrl, DATABRICKS_HOST: dbUrl, DATABRICKS_TOKEN: 'dapi-backfill', CUTOVER_POLL_INTERVAL_MS: '100', CUTOVER_JOB_LOCK_MS: '2000' };
  apps.push(await startAppProcess({ catalogYaml: CATALOG, prefix, env }));
});

afterAll(async () => {
  await Promise.all(apps.map((a) => a.stop()));
  await Promise.all([slack.stop(), databricks.stop()]);
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

let seq = 0;
async function command(text: string, channelId: string, userId = 'U0ALICE'): Promise<{ ack: string; reply: () => Promise<string> }> {
  const id = `bf-${++seq}`;
  const res = await postSigned(`${app().url}/slack/events`, slashCommandBody({ text, userId, channelId, responseUrl: slack.responseUrl(id) }), { secret: SIGNING_SECRET });
  expect(res.status).toBe(200);
  const ack = await res.text();
  // Read-only commands (status) answer in the ack itself; the others through response_url.
  const reply = async () => (ack ? (JSON.parse(ack) as { text: string }) : await eventually(() => slack.responses.find((r) => r.id === id)?.body as { text: string } | undefined, 10_000, `reply ${id}`)).text;
  return { ack, reply };
}

async function click(actionId: string, message: FakeMessage, userId = 'U0ALICE'): Promise<string> {
  const id = `click-${++seq}`;
  const body = blockActionBody({ actionId, userId, channelId: message.channel, messageTs: message.ts, messageBlocks: message.blocks, responseUrl: slack.responseUrl(id) });
  expect((await postSigned(`${app().url}/slack/events`, body, { secret: SIGNING_SECRET })).status).toBe(200);
  return (await eventually(() => slack.responses.find((r) => r.id === id)?.body as { text: string } | undefined, 10_000, `answer to ${actionId}`)).text;
}

const parentIn = (channel: string) => slack.messages.find((m) => m.channel === channel && !m.thread_ts && /backfill/.test(m.text ?? ''));
const topLevel = (channel: string) => slack.messages.filter((m) => m.channel === channel && !m.thread_ts);
const timeline = (jobId: number) => databricks.timeline.filter((t) => t.jobId === jobId);
const runNows = (jobId: number, period: string) =>
  databricks.calls('/api/2.1/jobs/run-now').filter((c) => (c.body as { job_id: number }).job_id === jobId && (c.body as { job_parameters: { period: string } }).job_parameters.period === period);
const tokens = (jobId: number, period: string) => new Set(runNows(jobId, period).map((c) => (c.body as { idempotency_token: string }).idempotency_token));
const buttonsIn = (m: FakeMessage) => JSON.stringify(m.blocks ?? []).match(/"action_id":"([a-z_]+)"/g)?.map((s) => s.split('"')[3]) ?? [];

/** The most runs of `entries` the engine had going at once: at each start, count the runs not yet ended. */
function maxConcurrent(entries: TimelineEntry[]): number {
  return Math.max(...entries.map((e) => entries.filter((o) => o.startedAt <= e.startedAt && (o.endedAt === undefined || o.endedAt > e.startedAt)).length));
}

/**
 * Oldest first: no period's run starts before an older period's. Runs started by one advance
 * (filling two free slots) reach the engine close together, in either order (a few hundred ms
 * apart on a loaded machine); the next advance waits for a run to end, seconds later.
 */
function expectOldestFirst(entries: TimelineEntry[]): void {
  for (const a of entries) for (const b of entries) if (a.params.period! < b.params.period!) expect(a.startedAt).toBeLessThanOrEqual(b.startedAt + 600);
}

describe('/pipeline backfill end to end', () => {
  it('answers a bad range with an ephemeral reply naming the problem', async () => {
    const { ack } = await command('backfill monthly-facts --from 2026-06 --to 2026-01', CHANNEL);
    expect(JSON.parse(ack)).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/--to 2026-01 is before --from 2026-06[\s\S]*\/pipeline backfill <pipeline>/) });
    const tooMany = JSON.parse((await command('backfill monthly-facts --from 2010-01 --to 2026-01', CHANNEL)).ack) as { text: string };
    expect(tooMany.text).toMatch(/193 periods is more than the 120/);
    const refused = await command('backfill monthly-facts --from 2026-01 --to 2026-02 --env prod', CHANNEL, 'U0MALLORY');
    expect(await refused.reply()).toMatch(/not allowed to start prod runs/);
    expect(timeline(31)).toEqual([]);
  });

  it('runs 6 periods oldest first, never more than 2 at once; a failure stops the rest; Retry failed periods re-runs it', async () => {
    databricks.setOutcomeFor(31, { period: '2026-03' }, { fail: { task: 'extract', error: 'java.lang.IllegalStateException: no input for 2026-03' } }, 1);
    const started = await command('backfill monthly-facts --from 2026-01 --to 2026-06 --on databricks', CHANNEL);
    const confirmation = await started.reply();
    expect(confirmation).toMatch(/Backfill `b-[a-z0-9]+-[a-f0-9]{6}` of \*monthly-facts\*: 6 periods from 2026-01 to 2026-06 on databricks \(dev\), at most 2 at a time/);

    const stopped = await eventually(() => {
      const m = parentIn(CHANNEL);
      return m && /: failed/.test(m.text ?? '') ? m : undefined;
    }, 30_000, 'the backfill to stop at the failure');
    await new Promise((r) => setTimeout(r, 800)); // room for a wrongly started period to show up
    const first = timeline(31);
    expect(first.map((t) => t.params.period).sort()).toEqual(['2026-01', '2026-02', '2026-03', '2026-04']);
    expect(first.every((t) => t.endedAt !== undefined)).toBe(true);
    expect(maxConcurrent(first)).toBe(2);
    expectOldestFirst(first);
    expect(stopped.text).toContain('3 succeeded, 1 failed, 2 skipped of 6 periods');
    expect(JSON.stringify(stopped.blocks)).toMatch(/2026-05\* skipped: not started[\s\S]*2026-06\* skipped: not started/);
    expect(buttonsIn(stopped)).toEqual(['backfill_retry']);

    // The failed period's alert is a broadcast reply on the parent, with the run's own buttons.
    const alert = await eventually(() => slack.messages.find((m) => m.thread_ts === stopped.ts && m.reply_broadcast), 10_000, 'the failure alert');
    expect(JSON.stringify(alert.blocks)).toContain('no input for 2026-03');
    expect(buttonsIn(alert)).toEqual(expect.arrayContaining(['run_repair', 'run_cancel', 'run_ack']));
    // One message for the whole backfill: no status message per period run.
    expect(topLevel(CHANNEL)).toHaveLength(1);

    const clickedAt = Date.now();
    expect(await click('backfill_retry', stopped)).toMatch(/Retrying 3 periods of `b-.*`: 2026-03, 2026-05 \(not started\), 2026-06 \(not started\)/);
    const done = await eventually(() => {
      const m = parentIn(CHANNEL);
      return m && /: succeeded/.test(m.text ?? '') ? m : undefined;
    }, 30_000, 'the backfill to succeed after the retry');
    expect(done.text).toContain('6 succeeded of 6 periods');
    expect(buttonsIn(done)).toEqual([]);
    expect(JSON.stringify(done.blocks)).toContain('attempt 2');

    const all = timeline(31);
    expect(maxConcurrent(all)).toBeLessThanOrEqual(2);
    const retried = all.filter((t) => t.startedAt >= clickedAt);
    expect(retried.map((t) => t.params.period).sort()).toEqual(['2026-03', '2026-05', '2026-06']);
    expectOldestFirst(retried);
    // Only the failed period ran twice; every other period once.
    for (const period of ['2026-01', '2026-02', '2026-04', '2026-05', '2026-06']) {
      expect(runNows(31, period), period).toHaveLength(1);
    }
    expect(runNows(31, '2026-03')).toHaveLength(2);
    expect(tokens(31, '2026-03').size).toBe(2);
    expect(topLevel(CHANNEL)).toHaveLength(1);
    // `/pipeline status <backfill-id>` shows the same view to whoever asks.
    const backfillId = /`(b-[a-z0-9]+-[a-f0-9]{6})`/.exec(confirmation)![1]!;
    expect(await (await command(`status ${backfillId}`, CHANNEL)).reply()).toContain('6 succeeded of 6 periods');
  }, 90_000);

  it('Cancel remaining (prod rules) cancels the running periods on the engine and starts no more', async () => {
    expect(await (await command('backfill cancel-facts --from 2026-01 --to 2026-04 --env prod', CANCEL_CHANNEL)).reply()).toMatch(/4 periods .* \(prod\)/);
    const parent = await eventually(() => {
      const m = parentIn(CANCEL_CHANNEL);
      return m && timeline(33).length === 2 && buttonsIn(m).includes('backfill_cancel') ? m : undefined;
    }, 15_000, 'two periods running');
    expect(await click('backfill_cancel', parent, 'U0MALLORY')).toMatch(/not allowed to act on prod runs of cancel-facts/);
    expect(timeline(33).every((t) => t.endedAt === undefined)).toBe(true);
    expect(await click('backfill_cancel', parent)).toMatch(/Cancelling the rest of backfill `b-.*`: 2 waiting periods will not start, 2 running cancelled/);

    const done = await eventually(() => {
      const m = parentIn(CANCEL_CHANNEL);
      return m && /: cancelled/.test(m.text ?? '') ? m : undefined;
    }, 15_000, 'the backfill to end cancelled');
    await new Promise((r) => setTimeout(r, 500));
    expect(timeline(33).map((t) => t.params.period).sort()).toEqual(['2026-01', '2026-02']);
    const cancelled = new Set(databricks.calls('/api/2.1/jobs/runs/cancel').map((c) => Number((c.body as { run_id: unknown }).run_id)));
    expect(timeline(33).every((t) => cancelled.has(t.runId) && t.endedAt !== undefined)).toBe(true);
    expect(done.text).toContain('4 cancelled of 4 periods');
    expect(JSON.stringify(done.blocks)).toContain('2026-03* cancelled: not started');
    expect(JSON.stringify(done.blocks)).toContain('Remaining periods cancelled by <@U0ALICE>');
    expect(buttonsIn(done)).toEqual(['backfill_retry']);
  }, 60_000);

  it('survives a SIGKILL mid-backfill: a new process resumes and starts no period twice', async () => {
    await command('backfill crash-facts --from 2025-07 --to 2025-12', CRASH_CHANNEL);
    // Kill the moment the engine reports the first run's end: the advance that follows is in flight.
    await eventually(() => timeline(32).some((t) => t.endedAt !== undefined), 30_000, 'a first period to end');
    await app().kill();
    const atKill = timeline(32).length;
    await new Promise((r) => setTimeout(r, 300));
    expect(timeline(32).length).toBe(atKill); // nobody is starting anything now

    apps.push(await startAppProcess({ catalogYaml: CATALOG, prefix, env }));
    const done = await eventually(() => {
      const m = parentIn(CRASH_CHANNEL);
      return m && /: succeeded/.test(m.text ?? '') ? m : undefined;
    }, 60_000, 'the backfill to finish after the restart');
    expect(done.text).toContain('6 succeeded of 6 periods');

    const all = timeline(32);
    expect(all.map((t) => t.params.period).sort()).toEqual(['2025-07', '2025-08', '2025-09', '2025-10', '2025-11', '2025-12']);
    for (const t of all) {
      // Every run-now call of a period carries one idempotency token, and the engine started one run
      // for it (the list above). A submit killed between run-now's answer and recording it may ask
      // again, with the same token, and gets the same run back: that is the designed retry.
      expect(runNows(32, t.params.period!).length, t.params.period).toBeGreaterThanOrEqual(1);
      expect(tokens(32, t.params.period!).size, t.params.period).toBe(1);
    }
    // A period counts against the limit from the write that starts it until its run has ended on the
    // engine, across the restart too. (Which of two periods started together reaches the engine first
    // after a crash depends on which job the dead process held, so the order is checked above only.)
    expect(maxConcurrent(all)).toBeLessThanOrEqual(2);
    expect(topLevel(CRASH_CHANNEL)).toHaveLength(1);
  }, 120_000);
});
