import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDatabricks } from '../fakes/databricks-server.ts';
import { FakeSlack, PUBLISHED_RATE_LIMITS, type FakeRateLimit } from '../fakes/slack-server.ts';
import { SLACK_TIERS } from '../../src/slack/rate-limits.ts';
import { eventually, SIGNING_SECRET, startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../helpers/redis.ts';
import { postSigned, slashCommandBody } from '../helpers/slack-requests.ts';

/**
 * Issue 17 at test size: many runs in flight at once, a fake Slack that enforces per-method
 * tiers (429 + Retry-After) scaled to seconds, one web process and two worker processes
 * sharing the Slack buckets through Redis.
 */
const PIPELINES = 6;
const CHANNELS = ['C0SCALE0', 'C0SCALE1', 'C0SCALE2'];
const CATALOG = `
pipelines:
${Array.from({ length: PIPELINES }, (_, i) => `  scale-${i}:
    channel: ${CHANNELS[i % CHANNELS.length]}
    stage: live
    target: { engine: databricks, jobId: ${100 + i}, jobParameters: { period: "{{period}}" } }
`).join('')}`;

// Slack's published tiers sped up 6x, in the fake and in the app alike (same bursts): the fake
// allows a quarter minute's burst, the app's own buckets are smaller (src/slack/rate-limits.ts).
const SPEED_UP = 6;
const faster = <T extends { rate: number }>(limits: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(limits).map(([method, l]) => [method, { ...l, rate: l.rate * SPEED_UP }]));
const FAKE_TIERS: Record<string, FakeRateLimit> = faster(PUBLISHED_RATE_LIMITS);
const APP_TIERS = faster(SLACK_TIERS);

const slack = new FakeSlack({ rateLimits: FAKE_TIERS });
// Each run: pending, three tasks running one after another, a final state: 4 steps of 1.5 s.
const databricks = new FakeDatabricks({ tokens: ['dapi-scale'], msPerStep: 1500 });
const redis = testRedis();
const prefix = uniquePrefix('e2e-scale');
let web: AppProcess;
const workers: AppProcess[] = [];

beforeAll(async () => {
  const [slackUrl, dbUrl] = await Promise.all([slack.start(), databricks.start()]);
  for (let i = 0; i < PIPELINES; i++) databricks.addJob({ jobId: 100 + i, tasks: ['extract', 'transform', 'load'] });
  const env = {
    SLACK_API_URL: slackUrl,
    DATABRICKS_HOST: dbUrl,
    DATABRICKS_TOKEN: 'dapi-scale',
    CUTOVER_POLL_INTERVAL_MS: '1000',
    // A job held by a killed worker is taken over within seconds.
    CUTOVER_JOB_LOCK_MS: '3000',
    CUTOVER_SLACK_RATE_LIMITS: JSON.stringify(APP_TIERS),
  };
  // One after another: three tsx start-ups at once can outlast the start timeout on a busy machine.
  web = await startAppProcess({ catalogYaml: CATALOG, prefix, role: 'web', env });
  for (let i = 0; i < 2; i++) workers.push(await startAppProcess({ catalogYaml: CATALOG, prefix, role: 'worker', env }));
}, 200_000);

afterAll(async () => {
  await Promise.all([web?.stop(), ...workers.map((w) => w.stop())]);
  await Promise.all([slack.stop(), databricks.stop()]);
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

async function startRun(pipeline: string, period: string): Promise<string> {
  const id = `r-${pipeline}-${period}`;
  const channel = CHANNELS[Number(pipeline.split('-')[1]) % CHANNELS.length]!;
  const res = await postSigned(`${web.url}/slack/events`, slashCommandBody({ text: `run ${pipeline} --period ${period}`, userId: 'U0ALICE', channelId: channel, responseUrl: slack.responseUrl(id) }), {
    secret: SIGNING_SECRET,
  });
  expect(res.status).toBe(200);
  const body = await res.text();
  const text = body ? (JSON.parse(body) as { text: string }).text : ((await eventually(() => slack.responses.find((r) => r.id === id)?.body, 15_000, `reply ${id}`)) as { text: string }).text;
  const runId = /`(r-[a-z0-9]+-[a-f0-9]{6})`/.exec(text)?.[1];
  expect(runId, text).toBeDefined();
  return runId!;
}

/** Top-level messages (not thread replies) that show `runId`. */
const statusMessagesOf = (runId: string) => slack.messages.filter((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(runId));
const finalIn = (runId: string) => statusMessagesOf(runId).some((m) => /succeeded|failed/.test(m.text ?? ''));

/** Starts `count` runs spread over the pipelines, with `failing` of them failing in their second task. */
async function startLoad(count: number, firstMonth: number, failing: number): Promise<Array<{ runId: string; fails: boolean }>> {
  const started: Array<Promise<{ runId: string; fails: boolean }>> = [];
  for (let n = 0; n < count; n++) {
    const i = n % PIPELINES;
    const month = firstMonth + Math.floor(n / PIPELINES);
    const period = `${2000 + Math.floor(month / 12)}-${String((month % 12) + 1).padStart(2, '0')}`;
    const fails = n < failing;
    if (fails) databricks.setOutcomeFor(100 + i, { period }, { fail: { task: 'transform', error: 'java.lang.RuntimeException: bad row' } });
    started.push(startRun(`scale-${i}`, period).then((runId) => ({ runId, fails })));
  }
  return Promise.all(started);
}

describe('500 runs in flight, at test size: 60 runs against tiered fake Slack, two workers', () => {
  it('delivers every run’s final state to Slack exactly once, with at most one 429 per bucket', async () => {
    const runs = await startLoad(60, 0, 2);
    await eventually(() => runs.every((r) => finalIn(r.runId)), 150_000, 'every final state in Slack');
    for (const { runId, fails } of runs) {
      const messages = statusMessagesOf(runId);
      expect(messages, runId).toHaveLength(1);
      expect(messages[0]!.text, runId).toMatch(fails ? /failed/ : /succeeded/);
    }
    // The failed runs' alerts went out too (a new alert is urgent).
    for (const { runId } of runs.filter((r) => r.fails)) {
      const m = statusMessagesOf(runId)[0]!;
      await eventually(() => slack.threadReplies(m.channel, m.ts).length > 0, 30_000, `alert of ${runId}`);
    }
    const limited = slack.rateLimited();
    for (const [bucket, count] of Object.entries(limited)) expect(count, bucket).toBeLessThanOrEqual(1);
    // Polling was batched: far fewer run reads than polls of 60 runs one by one would make.
    expect(databricks.calls('/api/2.1/jobs/runs/list').length).toBeGreaterThan(0);
  }, 200_000);

  it('a worker killed during the load: every run still reaches its final state in Slack, once', async () => {
    const runs = await startLoad(30, 24, 1);
    // Kill while runs are mid-way: some status messages exist, none of the new runs has ended yet.
    await eventually(() => runs.filter((r) => statusMessagesOf(r.runId).length > 0).length >= 10, 60_000, 'runs under way');
    await workers[0]!.kill();
    await eventually(() => runs.every((r) => finalIn(r.runId)), 150_000, 'every final state in Slack after the kill');
    for (const { runId, fails } of runs) {
      // One status message per run, showing its final state: a message the killed worker posted
      // but never recorded is found by its metadata and adopted, not posted again (src/jobs/post-once.ts).
      const messages = statusMessagesOf(runId);
      expect(messages, runId).toHaveLength(1);
      expect(messages[0]!.text, runId).toMatch(fails ? /failed/ : /succeeded/);
    }
    // Each run started exactly one Databricks run, whatever the kill interrupted.
    const periodsPerJob = new Map<string, number>();
    for (const t of databricks.timeline) {
      const key = `${t.jobId}/${t.params.period}`;
      periodsPerJob.set(key, (periodsPerJob.get(key) ?? 0) + 1);
    }
    expect([...periodsPerJob.values()].every((n) => n === 1)).toBe(true);
    for (const [bucket, count] of Object.entries(slack.rateLimited())) expect(count, bucket).toBeLessThanOrEqual(1);
  }, 200_000);
});
