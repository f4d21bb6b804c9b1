import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDatabricks } from '../fakes/databricks-server.ts';
import { FakeEmr } from '../fakes/emr-server.ts';
import { startFakeS3, type FakeS3 } from '../fakes/s3-server.ts';
import { FakeSlack } from '../fakes/slack-server.ts';
import { eventually, SIGNING_SECRET, startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../helpers/redis.ts';
import { postSigned, slashCommandBody } from '../helpers/slack-requests.ts';
import { tempDir, writeFiles } from '../unit/diff/helpers.ts';

const CHANNEL = 'C0CRASH';
const CATALOG = `
pipelines:
  crashy:
    channel: ${CHANNEL}
    stage: parallel
    legacy: { engine: emr, clusterId: j-CRASH1, step: { name: crashy, args: [spark-submit, s3://jobs/c.py, "{{period}}"] } }
    target: { engine: databricks, jobId: 11, jobParameters: { period: "{{period}}" } }
    outputs:
      - name: facts
        key: [id]
        legacy: { path: "s3://legacy/facts/{{period}}/", format: parquet }
        target: { path: "s3://lake/facts/{{period}}/", format: parquet }
`;

const slack = new FakeSlack();
const databricks = new FakeDatabricks({ tokens: ['dapi-c'] });
const redis = testRedis();
const prefix = uniquePrefix('e2e-pcrash');
let emr: FakeEmr;
let s3: FakeS3;
let web: AppProcess;
const workers: AppProcess[] = [];
let env: Record<string, string>;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  // Every S3 GET is held 1.5 s, so the diff is still downloading when the worker is killed.
  [emr, s3] = await Promise.all([FakeEmr.start({ clusters: ['j-CRASH1'] }), startFakeS3({ getDelayMs: 1500 })]);
  const [slackUrl, dbUrl] = await Promise.all([slack.start(), databricks.start()]);
  databricks.addJob({ jobId: 11, tasks: ['main'] });
  emr.script('crashy', { outcome: 'succeed' });
  const t = await tempDir();
  cleanup = t.cleanup;
  await writeFiles({ [join(t.dir, 'l.parquet')]: 'SELECT i AS id, i * 2 AS v FROM range(100) t(i)', [join(t.dir, 't.parquet')]: 'SELECT i AS id, CASE WHEN i = 3 THEN -1 ELSE i * 2 END AS v FROM range(100) t(i)' });
  s3.put('legacy', 'facts/2026-04/a.parquet', await readFile(join(t.dir, 'l.parquet')));
  s3.put('lake', 'facts/2026-04/a.parquet', await readFile(join(t.dir, 't.parquet')));
  env = { SLACK_API_URL: slackUrl, DATABRICKS_HOST: dbUrl, DATABRICKS_TOKEN: 'dapi-c', AWS_ENDPOINT_URL_EMR: emr.url, AWS_ENDPOINT_URL_S3: s3.url, CUTOVER_JOB_LOCK_MS: '2000' };
  web = await startAppProcess({ catalogYaml: CATALOG, prefix, role: 'web', env });
});

afterAll(async () => {
  await Promise.all([web?.stop(), ...workers.map((w) => w.stop())]);
  await Promise.all([slack.stop(), databricks.stop(), emr?.close(), s3?.close()]);
  await cleanup?.();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

describe('a worker killed during the diff', () => {
  it('resumes after a restart and posts one report, not two', async () => {
    workers.push(await startAppProcess({ catalogYaml: CATALOG, prefix, role: 'worker', env }));
    await postSigned(`${web.url}/slack/events`, slashCommandBody({ text: 'parallel crashy --period 2026-04', userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl('c') }), { secret: SIGNING_SECRET });
    await eventually(() => s3.requests.some((r) => r.startsWith('GET /legacy/facts/2026-04/a.parquet') || r.startsWith('GET /lake/facts/2026-04/a.parquet')), 30_000, 'the diff to start downloading');
    await workers[0]!.kill();

    workers.push(await startAppProcess({ catalogYaml: CATALOG, prefix, role: 'worker', env }));
    const message = await eventually(() => slack.messages.find((m) => m.channel === CHANNEL && !m.thread_ts && /different/.test(m.text ?? '')), 60_000, 'the verdict after restart');
    await eventually(() => slack.callsTo('files.completeUploadExternal').length >= 1, 20_000, 'report files');
    await new Promise((r) => setTimeout(r, 1500)); // room for a duplicate to show up, if there were one
    expect(slack.callsTo('files.completeUploadExternal')).toHaveLength(1);
    const details = slack.messages.filter((m) => m.thread_ts === message.ts && JSON.stringify(m.blocks ?? []).includes('facts'));
    expect(details).toHaveLength(1);
    expect(slack.messages.filter((m) => m.channel === CHANNEL && !m.thread_ts)).toHaveLength(1);
    expect(emr.calls('AddJobFlowSteps')).toHaveLength(1);
    expect(databricks.calls('/api/2.1/jobs/run-now')).toHaveLength(1);
  }, 120_000);
});
