import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDatabricks } from '../fakes/databricks-server.ts';
import { FakeEmrServerless } from '../fakes/emr-serverless-server.ts';
import { FakeRedshiftData } from '../fakes/redshift-data-server.ts';
import { startFakeS3, type FakeS3 } from '../fakes/s3-server.ts';
import { FakeStepFunctions } from '../fakes/sfn-server.ts';
import { FakeSlack, type FakeMessage } from '../fakes/slack-server.ts';
import { eventually, SIGNING_SECRET, startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../helpers/redis.ts';
import { postSigned, slashCommandBody } from '../helpers/slack-requests.ts';
import { tempDir, writeFiles } from '../unit/diff/helpers.ts';

/**
 * `/pipeline parallel` with the legacy engines of issue 18 against fakes that speak their wire
 * protocols, a Databricks job as the target, and real Parquet outputs in the fake S3: the run in
 * Slack, the diff and the verdict, through the real app in its own process.
 */
const CHANNEL = 'C0LEGACY';
const slack = new FakeSlack();
const databricks = new FakeDatabricks({ tokens: ['dapi-legacy'] });
const sfn = new FakeStepFunctions();
const emrServerless = new FakeEmrServerless();
const redshift = new FakeRedshiftData();
/** The procedure's own PostgreSQL schema, unique to this run of the file. */
const schema = `cutover_e2e_${randomBytes(4).toString('hex')}`;
const redis = testRedis();
const prefix = uniquePrefix('e2e-legacy');
let s3: FakeS3;
let app: AppProcess;
let cleanup: () => Promise<void>;

const machineArn = sfn.addStateMachine('billing-monthly', { states: ['Extract', 'Aggregate', 'Publish'] });
const failingArn = sfn.addStateMachine('billing-broken', {
  states: ['Extract', 'Aggregate', 'Publish'],
  outcome: { fail: 'Aggregate', error: 'Lambda.Unknown', cause: JSON.stringify({ errorType: 'ValueError', errorMessage: 'negative revenue in 2026-05', stackTrace: ['  File "/var/task/aggregate.py", line 40'] }) },
});
emrServerless.addApplication('00flegacyapp');
emrServerless.addApplication('00fbrokenapp', { outcome: 'fail', stateDetails: 'Job failed: java.io.FileNotFoundException: s3://raw/events/2026-05/ does not exist' });

const output = (name: string) => `
    outputs:
      - name: ${name}
        key: [customer_id]
        legacy: { path: "s3://legacy/${name}/period={{period}}/", format: parquet }
        target: { path: "s3://lake/${name}/period={{period}}/", format: parquet }
        checks:
          - not_null: [segment]`;
const CATALOG = `
pipelines:
  billing-sfn:
    channel: ${CHANNEL}
    stage: parallel
    legacy: { engine: stepfunctions, stateMachineArn: "${machineArn}", input: { period: "{{period}}", mode: full } }
    target: { engine: databricks, jobId: 21, jobParameters: { period: "{{period}}" } }
${output('billing')}
  billing-sfn-broken:
    channel: ${CHANNEL}
    stage: parallel
    legacy: { engine: stepfunctions, stateMachineArn: "${failingArn}", input: { period: "{{period}}" } }
    target: { engine: databricks, jobId: 21, jobParameters: { period: "{{period}}" } }
${output('billing')}
  rollup-serverless:
    channel: ${CHANNEL}
    stage: parallel
    legacy:
      engine: emr-serverless
      applicationId: 00flegacyapp
      executionRoleArn: arn:aws:iam::111122223333:role/emr-serverless-job
      sparkSubmit: { entryPoint: "s3://jobs/rollup.py", entryPointArguments: [--period, "{{period}}"] }
      logUri: s3://logs/emr-serverless/
    target: { engine: databricks, jobId: 22, jobParameters: { period: "{{period}}" } }
${output('rollup')}
  rollup-serverless-broken:
    channel: ${CHANNEL}
    stage: parallel
    legacy:
      engine: emr-serverless
      applicationId: 00fbrokenapp
      executionRoleArn: arn:aws:iam::111122223333:role/emr-serverless-job
      sparkSubmit: { entryPoint: "s3://jobs/rollup.py", entryPointArguments: [--period, "{{period}}"] }
      logUri: s3://logs/emr-serverless/
    target: { engine: databricks, jobId: 22, jobParameters: { period: "{{period}}" } }
${output('rollup')}
  finance-redshift:
    channel: ${CHANNEL}
    stage: parallel
    legacy:
      engine: redshift
      clusterIdentifier: finance-prod
      database: dev
      secretArn: arn:aws:secretsmanager:us-east-1:111122223333:secret:finance-etl
      sql: "CALL ${schema}.build_revenue({{period}})"
    target: { engine: databricks, jobId: 23, jobParameters: { period: "{{period}}" } }
${output('revenue')}
  finance-redshift-broken:
    channel: ${CHANNEL}
    stage: parallel
    legacy: { engine: redshift, workgroupName: finance, database: dev, sql: "CALL ${schema}.broken({{period}})" }
    target: { engine: databricks, jobId: 23, jobParameters: { period: "{{period}}" } }
${output('revenue')}
`;

/** Identical sides for 2026-04, one changed revenue and one missing customer for 2026-05. */
async function seedOutputs(): Promise<void> {
  const t = await tempDir();
  cleanup = t.cleanup;
  const rows = (where = '') => `SELECT i AS customer_id, 'academic' AS segment, i * 2.5 AS revenue FROM range(1, 501) t(i) ${where}`;
  await writeFiles({
    [join(t.dir, 'same.parquet')]: rows(),
    [join(t.dir, 'changed.parquet')]: `SELECT customer_id, segment, CASE WHEN customer_id = 42 THEN revenue + 1 ELSE revenue END AS revenue FROM (${rows('WHERE i <> 77')})`,
  });
  for (const name of ['billing', 'rollup', 'revenue']) {
    s3.put('legacy', `${name}/period=2026-04/part-0.parquet`, await readFile(join(t.dir, 'same.parquet')));
    s3.put('lake', `${name}/period=2026-04/part-0.parquet`, await readFile(join(t.dir, 'same.parquet')));
    s3.put('legacy', `${name}/period=2026-05/part-0.parquet`, await readFile(join(t.dir, 'same.parquet')));
    s3.put('lake', `${name}/period=2026-05/part-0.parquet`, await readFile(join(t.dir, 'changed.parquet')));
  }
}

beforeAll(async () => {
  s3 = await startFakeS3();
  const [slackUrl, dbUrl] = await Promise.all([slack.start(), databricks.start(), sfn.start(), emrServerless.start(), redshift.start()]);
  databricks.addJob({ jobId: 21, tasks: ['billing'] });
  databricks.addJob({ jobId: 22, tasks: ['rollup'] });
  databricks.addJob({ jobId: 23, tasks: ['revenue'] });
  await redshift.pool.query(`
    CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.builds (period varchar, built_at timestamptz DEFAULT now());
    CREATE PROCEDURE ${schema}.build_revenue(p_period varchar) LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO ${schema}.builds (period) VALUES (p_period); END $$;
    CREATE PROCEDURE ${schema}.broken(p_period varchar) LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'division by zero in revenue for %', p_period; END $$;`);
  await seedOutputs();
  app = await startAppProcess({
    catalogYaml: CATALOG,
    prefix,
    env: {
      SLACK_API_URL: slackUrl!,
      DATABRICKS_HOST: dbUrl!,
      DATABRICKS_TOKEN: 'dapi-legacy',
      AWS_ENDPOINT_URL_S3: s3.url,
      AWS_ENDPOINT_URL_SFN: sfn.url,
      AWS_ENDPOINT_URL_EMR_SERVERLESS: emrServerless.url,
      AWS_ENDPOINT_URL_REDSHIFT_DATA: redshift.url,
    },
  });
});

afterAll(async () => {
  await app?.stop();
  await redshift.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await Promise.all([slack.stop(), databricks.stop(), sfn.close(), emrServerless.close(), redshift.close(), s3?.close()]);
  await cleanup?.();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

/** Starts `/pipeline parallel` and returns a getter for its one channel message. */
async function parallel(pipeline: string, period: string): Promise<() => FakeMessage | undefined> {
  const id = `par-${pipeline}-${period}`;
  const res = await postSigned(`${app.url}/slack/events`, slashCommandBody({ text: `parallel ${pipeline} --period ${period}`, userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl(id) }), { secret: SIGNING_SECRET });
  expect(res.status).toBe(200);
  const reply = await eventually(() => slack.responses.find((r) => r.id === id)?.body as { text: string } | undefined, 10_000, 'reply');
  expect(reply.text).toMatch(/p-[a-z0-9]+-[a-f0-9]{6}/);
  return () => slack.messages.find((m) => m.channel === CHANNEL && !m.thread_ts && (m.text ?? '').includes(pipeline) && (m.text ?? '').includes(period) && !(m.text ?? '').includes(`${pipeline}-broken`));
}

const verdict = (message: () => FakeMessage | undefined, word: string) =>
  eventually(() => (new RegExp(word).test(message()?.text ?? '') ? message() : undefined), 60_000, `${word} verdict`);
const threadOf = (m: FakeMessage) => slack.messages.filter((r) => r.thread_ts === m.ts);

describe('/pipeline parallel with a Step Functions legacy', () => {
  it('runs one execution and the Databricks job, diffs the outputs and says clean', async () => {
    const final = await verdict(await parallel('billing-sfn', '2026-04'), 'clean');
    const blocks = JSON.stringify(final.blocks);
    expect(blocks).toContain('Step Functions');
    expect(blocks).toMatch(/succeeded[\s\S]*succeeded/);
    expect(blocks).toMatch(/billing[\s\S]*rows 500 legacy \/ 500 target/);
    const starts = sfn.callsTo('StartExecution').filter((c) => c.input.stateMachineArn === machineArn);
    expect(starts).toHaveLength(1);
    expect(JSON.parse(starts[0]!.input.input as string)).toEqual({ period: '2026-04', mode: 'full' });
    expect(starts[0]!.input.name).toMatch(/^cutover-r-[a-z0-9]+-[a-f0-9]{6}$/);
  });

  it('reports the planted differences as different', async () => {
    const final = await verdict(await parallel('billing-sfn', '2026-05'), 'different');
    expect(JSON.stringify(final.blocks)).toMatch(/only legacy 1[\s\S]*changed 1/);
  });

  it('a failed execution gives verdict failed, with the failing state, error and cause in the thread', async () => {
    const final = await verdict(await parallel('billing-sfn-broken', '2026-05'), 'failed');
    const alert = await eventually(() => threadOf(final).find((m) => JSON.stringify(m.blocks ?? []).includes('negative revenue')), 20_000, 'failure in thread');
    const text = JSON.stringify(alert.blocks);
    expect(text).toContain('Aggregate');
    expect(text).toContain('ValueError: negative revenue in 2026-05');
    expect(text).toContain('aggregate.py');
  });
});

describe('/pipeline parallel with an EMR Serverless legacy', () => {
  it('runs one job run and the Databricks job, diffs the outputs and says clean', async () => {
    const final = await verdict(await parallel('rollup-serverless', '2026-04'), 'clean');
    const blocks = JSON.stringify(final.blocks);
    expect(blocks).toContain('EMR Serverless');
    expect(blocks).toMatch(/rollup[\s\S]*rows 500 legacy \/ 500 target/);
    const runs = emrServerless.jobRuns('00flegacyapp');
    expect(runs).toHaveLength(1);
    expect(runs[0]!.body.jobDriver).toEqual({ sparkSubmit: { entryPoint: 's3://jobs/rollup.py', entryPointArguments: ['--period', '2026-04'] } });
    expect(runs[0]!.state).toBe('SUCCESS');
  });

  it('a failed job run gives verdict failed, with stateDetails and the driver log link in the thread', async () => {
    const final = await verdict(await parallel('rollup-serverless-broken', '2026-05'), 'failed');
    const alert = await eventually(() => threadOf(final).find((m) => JSON.stringify(m.blocks ?? []).includes('FileNotFoundException')), 20_000, 'failure in thread');
    const [run] = emrServerless.jobRuns('00fbrokenapp');
    expect(JSON.stringify(alert.blocks)).toContain(`s3://logs/emr-serverless/applications/00fbrokenapp/jobs/${run!.jobRunId}/SPARK_DRIVER/stderr.gz`);
  });
});

describe('/pipeline parallel with a Redshift procedure as legacy', () => {
  it('calls the procedure once with the period bound, runs the Databricks job, diffs and says clean', async () => {
    const final = await verdict(await parallel('finance-redshift', '2026-04'), 'clean');
    const blocks = JSON.stringify(final.blocks);
    expect(blocks).toContain('Redshift');
    expect(blocks).toMatch(/revenue[\s\S]*rows 500 legacy \/ 500 target/);
    const builds = await redshift.pool.query(`SELECT period FROM ${schema}.builds`);
    expect(builds.rows).toEqual([{ period: '2026-04' }]);
    const [call] = redshift.callsTo('ExecuteStatement');
    expect(call!.input).toMatchObject({ Sql: `CALL ${schema}.build_revenue(:period)`, Parameters: [{ name: 'period', value: '2026-04' }], ClusterIdentifier: 'finance-prod' });
  });

  it('a failing procedure gives verdict failed, with Redshift\'s error text in the thread', async () => {
    const final = await verdict(await parallel('finance-redshift-broken', '2026-05'), 'failed');
    const alert = await eventually(() => threadOf(final).find((m) => JSON.stringify(m.blocks ?? []).includes('division by zero')), 20_000, 'failure in thread');
    expect(JSON.stringify(alert.blocks)).toContain('ERROR: division by zero in revenue for 2026-05');
  });
});
