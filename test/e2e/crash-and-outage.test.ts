import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDatabricks } from '../fakes/databricks-server.ts';
import { FakeSlack } from '../fakes/slack-server.ts';
import { eventually, SIGNING_SECRET, startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../helpers/redis.ts';
import { postSigned, slashCommandBody } from '../helpers/slack-requests.ts';

const CHANNEL = 'C0PIPELINES';
const CATALOG = `
pipelines:
  incites-monthly:
    channel: ${CHANNEL}
    stage: live
    target: { engine: databricks, jobId: 7, jobParameters: { period: "{{period}}" } }
`;

const slack = new FakeSlack();
const databricks = new FakeDatabricks({ tokens: ['dapi-crash'], pollsPerStep: 6 });
const redis = testRedis();
const prefix = uniquePrefix('e2e-crash');
let web: AppProcess;
const workers: AppProcess[] = [];
let env: Record<string, string>;

beforeAll(async () => {
  const [slackUrl, dbUrl] = await Promise.all([slack.start(), databricks.start()]);
  databricks.addJob({ jobId: 7, tasks: ['ingest', 'aggregate'] });
  // A short job lock so a job held by the killed worker is taken over within seconds.
  env = { SLACK_API_URL: slackUrl, DATABRICKS_HOST: dbUrl, DATABRICKS_TOKEN: 'dapi-crash', CUTOVER_JOB_LOCK_MS: '2000' };
  web = await startAppProcess({ catalogYaml: CATALOG, prefix, role: 'web', env });
});

afterAll(async () => {
  await Promise.all([web?.stop(), ...workers.map((w) => w.stop())]);
  await Promise.all([slack.stop(), databricks.stop()]);
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

async function startRun(text: string): Promise<string> {
  const id = `r${Math.random()}`;
  const res = await postSigned(`${web.url}/slack/events`, slashCommandBody({ text, userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl(id) }), { secret: SIGNING_SECRET });
  expect(res.status).toBe(200);
  const reply = (await res.json()) as { text: string };
  return /`(r-[a-z0-9]+-[a-f0-9]{6})`/.exec(reply.text)![1]!;
}

const statusOf = (runId: string) => slack.messages.find((m) => m.channel === CHANNEL && !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(runId));
/** Reads of run state: one job's runs are polled together with runs/list, an ended run with runs/get. */
const polls = () => databricks.calls('/api/2.1/jobs/runs/get').length + databricks.calls('/api/2.1/jobs/runs/list').length;
const runNowsFor = (runId: string) => databricks.calls('/api/2.1/jobs/run-now').filter((c) => (c.body as { idempotency_token?: string }).idempotency_token === `cutover-${runId}`);

describe('crash safety and API outages', () => {
  it('a worker killed with SIGKILL while polling is replaced, the run reaches its final state, and run-now was called once', async () => {
    workers.push(await startAppProcess({ catalogYaml: CATALOG, prefix, role: 'worker', env }));
    const runId = await startRun('run incites-monthly --period 2026-05');
    await eventually(() => polls() >= 3, 15_000, 'polling to start');
    await workers[0]!.kill();
    const pollsAtKill = polls();
    await new Promise((r) => setTimeout(r, 500));
    expect(polls()).toBe(pollsAtKill); // nobody is polling now

    workers.push(await startAppProcess({ catalogYaml: CATALOG, prefix, role: 'worker', env }));
    await eventually(() => /succeeded/.test(statusOf(runId)?.text ?? ''), 30_000, 'succeeded after restart');
    expect(runNowsFor(runId)).toHaveLength(1);
    expect(databricks.timeline.filter((t) => t.jobId === 7)).toHaveLength(1);
    expect(slack.messages.filter((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(runId))).toHaveLength(1);
  }, 90_000); // two worker starts, each 10-30 s on a busy machine

  it('429 with Retry-After and then 503s on run-now and runs/get neither lose nor duplicate the run', async () => {
    databricks.failNext('/api/2.1/jobs/run-now', [{ status: 429, retryAfter: '1' }, { status: 503 }, { status: 503 }]);
    databricks.failNext('/api/2.1/jobs/runs/get', [{ status: 503 }, { status: 429, retryAfter: '1' }, { status: 500 }]);
    const runsBefore = databricks.timeline.length;
    const runId = await startRun('run incites-monthly --period 2026-06');
    await eventually(() => /succeeded/.test(statusOf(runId)?.text ?? ''), 40_000, 'succeeded despite the outage');

    const attempts = runNowsFor(runId);
    expect(attempts.length).toBe(4); // 429, 503, 503, then 200
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(950); // Retry-After: 1 honoured
    expect(databricks.timeline.length - runsBefore).toBe(1); // exactly one Databricks run
    expect(slack.messages.filter((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(runId))).toHaveLength(1);
  }, 60_000);
});
