import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDatabricks } from '../fakes/databricks-server.ts';
import { FakeSlack } from '../fakes/slack-server.ts';
import { eventually, SIGNING_SECRET, startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { CANARY, INJECTIONS, plantSecrets, randomInjections, withSecrets } from '../helpers/injection-shapes.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../helpers/redis.ts';
import { postSigned, slashCommandBody } from '../helpers/slack-requests.ts';
import { tempDir, writeFiles } from '../unit/diff/helpers.ts';

/**
 * Issue 14 finding 1, the whole way through a running bot: "no sample, error or log line ever
 * contains data from outside the output". A pipeline declares `region` with no pattern, so only
 * binding stands between a value and the SQL; its checks put `{{param.region}}` in SQL and in a
 * path. Every injection shape goes in as `/pipeline run --param`, the fake Databricks run
 * succeeds, the bot runs the checks on the local output, and nothing it sends to Slack or writes
 * to its log may hold the canary planted beside the output.
 */
const CHANNEL = 'C0INJECT';
const SEED = Number(process.env.FUZZ_SEED ?? 20261121);

const slack = new FakeSlack();
const databricks = new FakeDatabricks({ tokens: ['dapi-inj'], pollsPerStep: 1 });
const redis = testRedis();
const prefix = uniquePrefix('e2e-inject');
let app: AppProcess;
let dir: { dir: string; cleanup: () => Promise<void> };

beforeAll(async () => {
  dir = await tempDir();
  await mkdir(join(dir.dir, 'out', 'eu'), { recursive: true });
  // Row 2 breaks `amount >= 0`: each run's DQ alert carries a sample, so samples are really sent.
  await writeFiles({ [join(dir.dir, 'out', 'eu', 'orders.parquet')]: `SELECT * FROM (VALUES (1, 'eu', 10.0), (2, 'eu', -3.0)) t(id, region, amount)` });
  await plantSecrets(dir.dir);
  const [slackUrl, dbUrl] = await Promise.all([slack.start(), databricks.start()]);
  databricks.addJob({ jobId: 41, tasks: ['load'] });
  app = await startAppProcess({
    prefix,
    catalogYaml: `
pipelines:
  orders:
    channel: ${CHANNEL}
    stage: live
    target: { engine: databricks, jobId: 41 }
    params: { region: {} }
    outputs:
      - name: orders
        key: [id]
        legacy: { path: "${dir.dir}/legacy/orders.parquet" }
        target: { path: "${dir.dir}/out/eu/orders.parquet" }
        checks:
          - sql: "select * from {{output}} where region = {{param.region}}"
          - sql: "select id, {{param.region}} as asked, {{period}} as period from {{output}} where amount < 0"
      - name: by_region
        key: [id]
        legacy: { path: "${dir.dir}/legacy/by_region.parquet" }
        target: { path: "${dir.dir}/out/{{param.region}}/orders.parquet" }
        checks:
          - sql: "select id, region from {{output}} where amount < 0"
`,
    env: {
      SLACK_API_URL: slackUrl,
      DATABRICKS_HOST: dbUrl,
      DATABRICKS_TOKEN: 'dapi-inj',
      // One channel gets every run's messages: Slack's one post a second per channel would make
      // this test take minutes; the fake Slack here enforces no tiers.
      CUTOVER_SLACK_RATE_LIMITS: JSON.stringify({ 'chat.postMessage': { rate: 6000, burst: 50, perChannel: true }, 'chat.update': { rate: 6000, burst: 50 } }),
    },
  });
});

afterAll(async () => {
  await app?.stop();
  await Promise.all([slack.stop(), databricks.stop()]);
  await deletePrefix(redis, prefix);
  redis.disconnect();
  await dir?.cleanup();
});

/** A distinct month per value, so no run waits for another of the same period. */
const periodOf = (i: number) => `${2015 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;

describe('finding 1 through the bot', () => {
  it('no Slack message, reply or log line holds data from outside the output, for every injection shape', { timeout: 240_000 }, async () => {
    // The tokenizer ends a quoted word at `"`: such values are sent without it.
    const values = withSecrets([...INJECTIONS, ...randomInjections(SEED)], dir.dir).map((v) => v.replaceAll('"', ''));
    const acks: string[] = [];
    for (const [i, v] of values.entries()) {
      const text = `run orders --on databricks --period ${periodOf(i)} --param "region=${v}"`;
      const res = await postSigned(`${app.url}/slack/events`, slashCommandBody({ text, userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl(`inj-${i}`) }), { secret: SIGNING_SECRET });
      expect(res.status, v).toBe(200);
      acks.push(await res.text());
    }
    // Every value either started a run (a run-now with its run's idempotency token) or was refused in the ack.
    const runsStarted = () => new Set(databricks.calls('/api/2.1/jobs/run-now').map((c) => (c.body as { idempotency_token: string }).idempotency_token));
    const refused = values.filter((_, i) => /usage/i.test(acks[i]!)).length;
    await eventually(() => runsStarted().size + refused >= values.length || undefined, 60_000, `every command answered (${runsStarted().size} started, ${refused} refused)`);
    const started = runsStarted().size;
    // A value that would take the by_region path out of its folder is refused before any run starts.
    const climbing = values.findIndex((v) => v === '../secret');
    expect(acks[climbing]).toMatch(/usage/i);
    expect(acks[climbing]).toContain('is not allowed');
    expect(started, 'most shapes are legal values of a pattern-less param and really run').toBeGreaterThan(values.length / 2);
    // Each started run succeeds and its checks run: the `amount < 0` check fails on row 2, so a DQ
    // alert with samples is posted for each period that ran.
    const dqAlerts = () => slack.messages.filter((m) => m.channel === CHANNEL && /DQ failing/.test(m.text ?? ''));
    await eventually(() => dqAlerts().length >= started || undefined, 120_000, `a DQ alert per run (${dqAlerts().length} of ${started})`);
    // The bound value came back as data: each run's alert samples the row with the value the
    // bot was given (values that JSON or mrkdwn would escape are left out of this comparison).
    const echoable = values.map((v, i) => ({ v, period: periodOf(i), started: !/usage/i.test(acks[i]!) })).filter((x) => x.started && /^[^&<>"\\\n]+$/.test(x.v));
    expect(echoable.length).toBeGreaterThan(20);
    for (const { v, period } of echoable) {
      const alert = dqAlerts().find((m) => (m.text ?? '').includes(`orders ${period}:`));
      // As the command's tokenizer reads it: Slack clients curl quotes, so curly ones are straightened.
      expect(JSON.stringify(alert?.blocks), v).toContain(`asked=${v.replace(/[\u2018\u2019]/g, "'")}, period=${period}`);
    }
    const everything = JSON.stringify({ calls: slack.calls, responses: slack.responses, files: slack.files });
    expect(everything).not.toContain(CANARY);
    expect(JSON.stringify(app.logs)).not.toContain(CANARY);
    expect(acks.join('\n')).not.toContain(CANARY);
    expect(app.proc.exitCode).toBeNull();
  });
});
