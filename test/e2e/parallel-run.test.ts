import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE } from '../../src/jobs/queues.ts';
import { keyspace } from '../../src/store/redis.ts';
import { FakeDatabricks } from '../fakes/databricks-server.ts';
import { FakeAirflow } from '../fakes/airflow-server.ts';
import { FakeEmr } from '../fakes/emr-server.ts';
import { startFakeS3, type FakeS3 } from '../fakes/s3-server.ts';
import { FakeSlack, type FakeMessage } from '../fakes/slack-server.ts';
import { eventually, SIGNING_SECRET, startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../helpers/redis.ts';
import { postSigned, slashCommandBody } from '../helpers/slack-requests.ts';
import { tempDir, writeFiles } from '../unit/diff/helpers.ts';

const CHANNEL = 'C0PARALLEL';
const CATALOG = `
pipelines:
  incites-monthly:
    channel: ${CHANNEL}
    stage: parallel
    legacy:
      engine: emr
      clusterId: j-ABC123
      step: { name: incites, args: [spark-submit, s3://jobs/incites.py, --period, "{{period}}"] }
    target: { engine: databricks, jobId: 9, jobParameters: { period: "{{period}}" } }
    outputs:
      - name: insights
        key: [customer_id]
        legacy: { path: "s3://legacy/out/period={{period}}/", format: parquet }
        target: { path: "s3://lake/out/period={{period}}/", format: parquet }
        compare: { numeric: { abs: 0.001 } }
        checks:
          - not_null: [segment]
  billing-rollup:
    channel: ${CHANNEL}
    stage: parallel
    legacy: { engine: airflow, dagId: billing_rollup, conf: { period: "{{period}}" } }
    target: { engine: databricks, jobId: 9, jobParameters: { period: "{{period}}" } }
    outputs:
      - name: rollup
        key: [customer_id]
        legacy: { path: "s3://legacy/out/period={{period}}/", format: parquet }
        target: { path: "s3://lake/out/period={{period}}/", format: parquet }
`;

const slack = new FakeSlack();
const databricks = new FakeDatabricks({ tokens: ['dapi-par'] });
const redis = testRedis();
const prefix = uniquePrefix('e2e-parallel');
let emr: FakeEmr;
let airflow: FakeAirflow;
let s3: FakeS3;
let app: AppProcess;
let cleanup: () => Promise<void>;

/** Real Parquet objects in the fake S3: identical sides for 2026-07, planted differences for 2026-08. */
async function seedOutputs(): Promise<void> {
  const t = await tempDir();
  cleanup = t.cleanup;
  const rows = (extra = '') => `SELECT i AS customer_id, 'academic' AS segment, i * 1.5 AS revenue FROM range(1, 1001) t(i) ${extra}`;
  await writeFiles({
    [join(t.dir, 'same-legacy.parquet')]: rows(),
    [join(t.dir, 'same-target.parquet')]: `SELECT * FROM (${rows()}) ORDER BY customer_id DESC`,
    [join(t.dir, 'diff-legacy.parquet')]: rows(),
    [join(t.dir, 'diff-target.parquet')]: `SELECT customer_id, segment, CASE WHEN customer_id = 7 THEN revenue + 5 ELSE revenue END AS revenue FROM (${rows('WHERE i <> 500')})`,
  });
  const put = async (file: string, bucket: string, key: string) => s3.put(bucket, key, await readFile(join(t.dir, file)));
  await put('same-legacy.parquet', 'legacy', 'out/period=2026-07/part-0.parquet');
  await put('same-target.parquet', 'lake', 'out/period=2026-07/part-0.parquet');
  await put('diff-legacy.parquet', 'legacy', 'out/period=2026-08/part-0.parquet');
  await put('diff-target.parquet', 'lake', 'out/period=2026-08/part-0.parquet');
  await put('same-legacy.parquet', 'legacy', 'out/period=2026-09/part-0.parquet');
  await put('same-target.parquet', 'lake', 'out/period=2026-09/part-0.parquet');
  // A Parquet file cut short (as an interrupted copy leaves it): its footer is gone.
  const whole = await readFile(join(t.dir, 'same-target.parquet'));
  await put('same-legacy.parquet', 'legacy', 'out/period=2026-10/part-0.parquet');
  await s3.put('lake', 'out/period=2026-10/part-0.parquet', whole.subarray(0, whole.length - 64));
}

beforeAll(async () => {
  [emr, s3, airflow] = await Promise.all([FakeEmr.start({ clusters: ['j-ABC123'] }), startFakeS3(), FakeAirflow.start({ token: 'airflow-e2e', dags: ['billing_rollup'] })]);
  const [slackUrl, dbUrl] = await Promise.all([slack.start(), databricks.start()]);
  databricks.addJob({ jobId: 9, tasks: ['build'] });
  await seedOutputs();
  app = await startAppProcess({
    catalogYaml: CATALOG,
    prefix,
    env: { SLACK_API_URL: slackUrl, DATABRICKS_HOST: dbUrl, DATABRICKS_TOKEN: 'dapi-par', AWS_ENDPOINT_URL_EMR: emr.url, AWS_ENDPOINT_URL_S3: s3.url, AIRFLOW_URL: airflow.url, AIRFLOW_TOKEN: 'airflow-e2e' },
  });
});

afterAll(async () => {
  await app?.stop();
  await Promise.all([slack.stop(), databricks.stop(), emr?.close(), s3?.close(), airflow?.close()]);
  await cleanup?.();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

async function parallel(period: string, pipeline = 'incites-monthly'): Promise<{ id: string; message: () => FakeMessage | undefined }> {
  const res = await postSigned(`${app.url}/slack/events`, slashCommandBody({ text: `parallel ${pipeline} --period ${period}`, userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl(`par-${pipeline}-${period}`) }), { secret: SIGNING_SECRET });
  expect(res.status).toBe(200);
  const reply = await eventually(() => slack.responses.find((r) => r.id === `par-${pipeline}-${period}`)?.body as { text: string } | undefined, 10_000, 'reply');
  const id = /`(p-[a-z0-9]+-[a-f0-9]{6})`/.exec(reply.text)?.[1];
  expect(id, reply.text).toBeDefined();
  // The parallel run's own message: a failing DQ check of the same period posts its alert beside it,
  // sometimes first (finding 11's corrupt file does), and it names the pipeline and period too.
  const own = (m: FakeMessage) => m.channel === CHANNEL && !m.thread_ts && [period, pipeline, 'parallel run'].every((s) => (m.text ?? '').includes(s));
  return { id: id!, message: () => slack.messages.find(own) };
}

const threadOf = (m: FakeMessage) => slack.messages.filter((r) => r.thread_ts === m.ts);

describe('/pipeline parallel, end to end (EMR + Databricks + S3 Parquet)', () => {
  it('runs both engines, diffs the outputs, posts a clean report once and stores the verdict', async () => {
    emr.script('incites', { outcome: 'succeed' });
    const { message } = await parallel('2026-07');
    const final = await eventually(() => (/clean/.test(message()?.text ?? '') ? message() : undefined), 60_000, 'clean verdict');
    const add = emr.calls('AddJobFlowSteps');
    expect(add).toHaveLength(1);
    expect(JSON.stringify(add[0]!.body)).toContain('2026-07');
    expect(JSON.stringify(add[0]!.body)).toContain('command-runner.jar');
    expect(databricks.calls('/api/2.1/jobs/run-now')).toHaveLength(1);
    // One message for the whole parallel run (no separate status messages for its two runs).
    expect(slack.messages.filter((m) => m.channel === CHANNEL && !m.thread_ts && (m.text ?? '').includes('2026-07'))).toHaveLength(1);
    expect(JSON.stringify(final.blocks)).toMatch(/insights/);
    await eventually(() => slack.callsTo('files.completeUploadExternal').length >= 1, 20_000, 'report files');
  });

  it('reports planted differences exactly, with the mismatched rows in a CSV file', async () => {
    emr.script('incites', { outcome: 'succeed' });
    const { message } = await parallel('2026-08');
    const final = await eventually(() => (/different/.test(message()?.text ?? '') ? message() : undefined), 60_000, 'different verdict');
    const blocks = JSON.stringify(final.blocks);
    expect(blocks).toMatch(/revenue/);
    const details = await eventually(() => threadOf(final).find((m) => JSON.stringify(m.blocks ?? []).includes('revenue')), 20_000, 'details in thread');
    expect(JSON.stringify(details.blocks)).toContain('500'); // the key only in legacy
    const csv = await eventually(() => slack.files.find((f) => f.completed && f.filename.includes('2026-08') && f.filename.endsWith('.csv')), 20_000, 'csv file');
    const text = csv.bytes!.toString('utf8');
    expect(text).toMatch(/only_legacy.*500/);
    expect(text).toMatch(/changed.*7.*revenue/);
  });

  it('a failed EMR step gives verdict failed and its FailureDetails in the thread', async () => {
    emr.script('incites', { outcome: 'fail', failure: { Reason: 'Spark job failed', Message: 'Exception in thread main: java.io.FileNotFoundException s3://jobs/input', LogFile: 's3://logs/j-ABC123/steps/stderr.gz' } });
    const { message } = await parallel('2026-09');
    const final = await eventually(() => (/failed/.test(message()?.text ?? '') ? message() : undefined), 60_000, 'failed verdict');
    const alert = await eventually(() => threadOf(final).find((m) => JSON.stringify(m.blocks ?? []).includes('FileNotFoundException')), 20_000, 'EMR failure in thread');
    expect(JSON.stringify(alert.blocks)).toContain('s3://logs/j-ABC123/steps/stderr.gz');
    // Batched polling (issue 17, on by default): the step was seen active in its cluster's ListSteps
    // of active steps, and read on its own (FailureDetails) only once it had left that listing.
    const stepId = emr.steps('j-ABC123').find((s) => (s.Status as { State: string }).State === 'FAILED')?.Id; // the only failed step of the file
    expect(emr.calls('ListSteps').filter((r) => r.body.ClusterId === 'j-ABC123' && Array.isArray(r.body.StepStates)).length).toBeGreaterThanOrEqual(2);
    expect(emr.calls('DescribeStep').filter((r) => r.body.StepId === stepId)).toHaveLength(1);
  });

  it('finding 11: a corrupt Parquet file fails the diff at once instead of retrying for days', async () => {
    emr.script('incites', { outcome: 'succeed' });
    const { id, message } = await parallel('2026-10');
    // The old code retried the diff job (re-downloading both sides) with backoff for ~7 days: no verdict ever came.
    const final = await eventually(() => (/different/.test(message()?.text ?? '') ? message() : undefined), 60_000, 'a verdict despite the corrupt file');
    expect(JSON.stringify(final.blocks)).toMatch(/insights[^"]*could not be compared|No magic bytes/);
    const queue = new Queue(QUEUE.diff, { connection: redis, prefix: keyspace(prefix).bullPrefix });
    const job = await queue.getJob(`pdiff-${id}`);
    await queue.close();
    expect({ state: await job?.getState(), attemptsMade: job?.attemptsMade }).toEqual({ state: 'completed', attemptsMade: 1 });
  });

  it('runs an Airflow legacy DAG beside Databricks and compares their outputs', async () => {
    airflow.script('billing_rollup', { outcome: 'success' });
    const { message } = await parallel('2026-07', 'billing-rollup');
    await eventually(() => (/clean/.test(message()?.text ?? '') ? message() : undefined), 60_000, 'clean verdict for the Airflow pipeline');
    const triggers = airflow.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/dags/billing_rollup/dagRuns'));
    expect(triggers).toHaveLength(1);
    expect(JSON.stringify(triggers[0]!.body)).toMatch(/"dag_run_id":"cutover-r-[a-z0-9]+-[a-f0-9]{6}"/);
    expect(JSON.stringify(triggers[0]!.body)).toContain('"period":"2026-07"');
    // Batched polling (issue 17, on by default): the run was seen in its DAG's listing of active
    // runs, and read on its own only once it had left it (the fake ends it on its third look).
    const dagRunId = (triggers[0]!.body as { dag_run_id: string }).dag_run_id;
    expect(airflow.requests.filter((r) => r.method === 'GET' && r.path === '/dags/billing_rollup/dagRuns' && r.query.state).length).toBeGreaterThanOrEqual(2);
    expect(airflow.requests.filter((r) => r.method === 'GET' && r.path === `/dags/billing_rollup/dagRuns/${dagRunId}`)).toHaveLength(1);
  });

  it('lists the parallel runs with their verdicts in /pipeline history', async () => {
    await postSigned(`${app.url}/slack/events`, slashCommandBody({ text: 'history incites-monthly', userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl('hist') }), { secret: SIGNING_SECRET });
    const reply = await eventually(() => slack.responses.find((r) => r.id === 'hist')?.body as { text: string; blocks: unknown[] } | undefined, 10_000, 'history');
    const text = JSON.stringify(reply.blocks);
    expect(text).toMatch(/2026-07[\s\S]*clean|clean[\s\S]*2026-07/);
    expect(text).toMatch(/2026-08/);
    expect(text).toMatch(/failed/);
  });
});
