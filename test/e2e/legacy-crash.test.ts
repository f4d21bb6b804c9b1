import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hold } from '../fakes/aws-fake-server.ts';
import { FakeEmrServerless } from '../fakes/emr-serverless-server.ts';
import { FakeRedshiftData } from '../fakes/redshift-data-server.ts';
import { FakeStepFunctions } from '../fakes/sfn-server.ts';
import { FakeSlack } from '../fakes/slack-server.ts';
import { eventually, SIGNING_SECRET, startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../helpers/redis.ts';
import { postSigned, slashCommandBody } from '../helpers/slack-requests.ts';

/**
 * A worker SIGKILLed right after the start call reached the service (the fake carried it out and
 * holds the answer back, so the worker dies not knowing) is replaced, and the retried submit
 * adopts what was started: the service holds exactly one execution / job run for the run.
 */
const CHANNEL = 'C0LEGCRASH';
const slack = new FakeSlack();
const sfn = new FakeStepFunctions();
const emrServerless = new FakeEmrServerless();
const redshift = new FakeRedshiftData();
const schema = `cutover_crash_${randomBytes(4).toString('hex')}`;
const redis = testRedis();
const prefix = uniquePrefix('e2e-legacy-crash');
const machineArn = sfn.addStateMachine('crashy-machine', { states: ['Only'], pollsToFinish: 3 });
emrServerless.addApplication('00fcrashapp', { pollsToFinish: 3 });

const CATALOG = `
pipelines:
  crashy-sfn:
    channel: ${CHANNEL}
    stage: legacy
    legacy: { engine: stepfunctions, stateMachineArn: "${machineArn}", input: { period: "{{period}}" } }
    target: { engine: databricks, jobId: 1 }
  crashy-serverless:
    channel: ${CHANNEL}
    stage: legacy
    legacy:
      engine: emr-serverless
      applicationId: 00fcrashapp
      executionRoleArn: arn:aws:iam::111122223333:role/emr-serverless-job
      sparkSubmit: { entryPoint: "s3://jobs/crashy.py", entryPointArguments: ["{{period}}"] }
    target: { engine: databricks, jobId: 1 }
  crashy-redshift:
    channel: ${CHANNEL}
    stage: legacy
    legacy: { engine: redshift, clusterIdentifier: crashy, database: dev, dbUser: etl, sql: "CALL ${schema}.load({{period}})" }
    target: { engine: databricks, jobId: 1 }
`;

let web: AppProcess;
const workers: AppProcess[] = [];
let env: Record<string, string>;

beforeAll(async () => {
  const [slackUrl] = await Promise.all([slack.start(), sfn.start(), emrServerless.start(), redshift.start()]);
  await redshift.pool.query(`
    CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.loads (period varchar);
    CREATE PROCEDURE ${schema}.load(p_period varchar) LANGUAGE plpgsql AS $$ BEGIN INSERT INTO ${schema}.loads VALUES (p_period); END $$;`);
  // A short job lock, so the killed worker's submit job is taken over within seconds.
  env = { SLACK_API_URL: slackUrl!, AWS_ENDPOINT_URL_SFN: sfn.url, AWS_ENDPOINT_URL_EMR_SERVERLESS: emrServerless.url, AWS_ENDPOINT_URL_REDSHIFT_DATA: redshift.url, CUTOVER_JOB_LOCK_MS: '2000',
    // Only the legacy side runs here; the Databricks target just has to be configured for start-up.
    DATABRICKS_HOST: 'http://127.0.0.1:9', DATABRICKS_TOKEN: 'dapi-unused' };
  web = await startAppProcess({ catalogYaml: CATALOG, prefix, role: 'web', env });
});

afterAll(async () => {
  await Promise.all([web?.stop(), ...workers.map((w) => w.stop())]);
  await redshift.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await Promise.all([slack.stop(), sfn.close(), emrServerless.close(), redshift.close()]);
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

async function startRun(pipeline: string): Promise<string> {
  const res = await postSigned(`${web.url}/slack/events`, slashCommandBody({ text: `run ${pipeline} --period 2026-03`, userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl(pipeline) }), { secret: SIGNING_SECRET });
  expect(res.status).toBe(200);
  const reply = (await res.json()) as { text: string };
  return /`(r-[a-z0-9]+-[a-f0-9]{6})`/.exec(reply.text)![1]!;
}

const statusMessagesOf = (runId: string) => slack.messages.filter((m) => m.channel === CHANNEL && !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(runId));
const statusOf = (runId: string) => statusMessagesOf(runId)[0];

const runIds: Record<string, string> = {};

/**
 * One crash for all three engines: a worker takes the three submits, each start call is carried
 * out and its answer held; once all three arrived the worker is SIGKILLed, and a new one retries.
 */
beforeAll(async () => {
  const holds: Hold[] = [sfn.hold('StartExecution'), emrServerless.hold('StartJobRun'), redshift.hold('ExecuteStatement')];
  const first = await startAppProcess({ catalogYaml: CATALOG, prefix, role: 'worker', env });
  workers.push(first);
  for (const pipeline of ['crashy-sfn', 'crashy-serverless', 'crashy-redshift']) runIds[pipeline] = await startRun(pipeline);
  await Promise.all(holds.map((h) => h.reached));
  await first.kill();
  for (const h of holds) h.release();
  workers.push(await startAppProcess({ catalogYaml: CATALOG, prefix, role: 'worker', env }));
  for (const [pipeline, runId] of Object.entries(runIds)) {
    await eventually(() => /succeeded/.test(statusOf(runId)?.text ?? ''), 100_000, `${pipeline} succeeded after the restart`);
  }
}, 200_000);

describe('a worker killed right after the start call', () => {
  it('Step Functions: the retried StartExecution finds the same execution; one execution in all', () => {
    const name = `cutover-${runIds['crashy-sfn']}`;
    expect(sfn.callsTo('StartExecution').filter((c) => c.input.name === name).length).toBeGreaterThanOrEqual(2); // the lost answer, and the retry
    expect(sfn.list()).toEqual([expect.objectContaining({ name, status: 'SUCCEEDED' })]);
  });

  it('EMR Serverless: the retried StartJobRun with the same client token gets the same job run; one job run in all', () => {
    const token = `cutover-${runIds['crashy-serverless']}`;
    expect(emrServerless.callsTo('StartJobRun').filter((c) => c.input.clientToken === token).length).toBeGreaterThanOrEqual(2);
    expect(emrServerless.jobRuns()).toEqual([expect.objectContaining({ state: 'SUCCESS' })]);
  });

  it('Redshift: the retried ExecuteStatement with the same ClientToken gets the same statement; the procedure ran once', async () => {
    const token = `cutover-${runIds['crashy-redshift']}`;
    expect(redshift.callsTo('ExecuteStatement').filter((c) => c.input.ClientToken === token).length).toBeGreaterThanOrEqual(2);
    expect(redshift.list().map((s) => s.token)).toEqual([token]);
    expect((await redshift.pool.query(`SELECT period FROM ${schema}.loads`)).rows).toEqual([{ period: '2026-03' }]);
  });

  it('each run has one status message, whatever the kill interrupted (a post the killed worker made is adopted)', () => {
    for (const [pipeline, runId] of Object.entries(runIds)) expect(statusMessagesOf(runId), pipeline).toHaveLength(1);
  });
});
