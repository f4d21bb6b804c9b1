import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hold } from '../fakes/aws-fake-server.ts';
import { FakeEmrServerless } from '../fakes/emr-serverless-server.ts';
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
`;

let web: AppProcess;
const workers: AppProcess[] = [];
let env: Record<string, string>;

beforeAll(async () => {
  const [slackUrl] = await Promise.all([slack.start(), sfn.start(), emrServerless.start()]);
  // A short job lock, so the killed worker's submit job is taken over within seconds.
  env = { SLACK_API_URL: slackUrl!, AWS_ENDPOINT_URL_SFN: sfn.url, AWS_ENDPOINT_URL_EMR_SERVERLESS: emrServerless.url, CUTOVER_JOB_LOCK_MS: '2000' };
  web = await startAppProcess({ catalogYaml: CATALOG, prefix, role: 'web', env });
});

afterAll(async () => {
  await Promise.all([web?.stop(), ...workers.map((w) => w.stop())]);
  await Promise.all([slack.stop(), sfn.close(), emrServerless.close()]);
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

async function startRun(pipeline: string): Promise<string> {
  const res = await postSigned(`${web.url}/slack/events`, slashCommandBody({ text: `run ${pipeline} --period 2026-03`, userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl(pipeline) }), { secret: SIGNING_SECRET });
  expect(res.status).toBe(200);
  const reply = (await res.json()) as { text: string };
  return /`(r-[a-z0-9]+-[a-f0-9]{6})`/.exec(reply.text)![1]!;
}

const statusOf = (runId: string) => slack.messages.find((m) => m.channel === CHANNEL && !m.thread_ts && JSON.stringify(m.blocks ?? []).includes(runId));

/** Starts a worker, starts the run, kills the worker once `hold` was reached, then starts another. */
async function crashAfterStart(pipeline: string, hold: Hold): Promise<string> {
  const first = await startAppProcess({ catalogYaml: CATALOG, prefix, role: 'worker', env });
  workers.push(first);
  const runId = await startRun(pipeline);
  await hold.reached;
  await first.kill();
  hold.release();
  const second = await startAppProcess({ catalogYaml: CATALOG, prefix, role: 'worker', env });
  workers.push(second);
  await eventually(() => /succeeded/.test(statusOf(runId)?.text ?? ''), 40_000, `${pipeline} succeeded after the restart`);
  // The next test's start must be made by its own first worker, the one it kills.
  await second.stop();
  return runId;
}

describe('a worker killed right after the start call', () => {
  it('Step Functions: the retried StartExecution finds the same execution; one execution in all', async () => {
    const runId = await crashAfterStart('crashy-sfn', sfn.hold('StartExecution'));
    const ours = sfn.callsTo('StartExecution').filter((c) => c.input.name === `cutover-${runId}`);
    expect(ours.length).toBeGreaterThanOrEqual(2); // the one whose answer was lost, and the retry
    expect(sfn.list().filter((e) => e.name === `cutover-${runId}`)).toHaveLength(1);
    expect(sfn.list()).toHaveLength(1);
  }, 90_000);

  it('EMR Serverless: the retried StartJobRun with the same client token gets the same job run; one job run in all', async () => {
    const runId = await crashAfterStart('crashy-serverless', emrServerless.hold('StartJobRun'));
    const ours = emrServerless.callsTo('StartJobRun').filter((c) => c.input.clientToken === `cutover-${runId}`);
    expect(ours.length).toBeGreaterThanOrEqual(2);
    expect(emrServerless.jobRuns('00fcrashapp')).toHaveLength(1);
  }, 90_000);
});
