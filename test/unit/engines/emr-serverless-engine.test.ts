import { EMRServerlessClient, StartJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LegacyEngineConfig } from '../../../src/config/catalog-schema.ts';
import { createEmrServerlessEngine } from '../../../src/engines/emr-serverless/index.ts';
import { renderEngineConfig } from '../../../src/engines/resolve-engine.ts';
import type { Engine, EngineRunStatus, SubmitRequest } from '../../../src/engines/types.ts';
import { ApiError } from '../../../src/errors.ts';
import { FakeEmrServerless } from '../../fakes/emr-serverless-server.ts';

const ROLE = 'arn:aws:iam::111122223333:role/emr-serverless-job';
const fake = new FakeEmrServerless();
let client: EMRServerlessClient;
let engine: Engine;
beforeAll(async () => {
  await fake.start();
  client = new EMRServerlessClient({ endpoint: fake.url, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' }, maxAttempts: 1 });
  engine = createEmrServerlessEngine({ client });
});
afterAll(() => fake.close());

const config = (applicationId: string, extra: Partial<Extract<LegacyEngineConfig, { engine: 'emr-serverless' }>> = {}): LegacyEngineConfig => ({
  engine: 'emr-serverless',
  applicationId,
  executionRoleArn: ROLE,
  sparkSubmit: { entryPoint: 's3://jobs/rollup.py', entryPointArguments: ['--period', '{{period}}', '--region', '{{param.region}}'], sparkSubmitParameters: '--conf spark.executor.cores=2' },
  ...extra,
});

function request(runId: string, c: LegacyEngineConfig): SubmitRequest {
  const rendered = renderEngineConfig(c, { period: '2026-07', params: { region: 'eu' } });
  return { runId, pipeline: 'rollup', config: rendered.config, period: '2026-07', params: rendered.params };
}

async function pollToEnd(externalId: string): Promise<EngineRunStatus[]> {
  const seen: EngineRunStatus[] = [];
  for (let i = 0; i < 10; i++) {
    seen.push(await engine.poll(externalId));
    if (['succeeded', 'failed', 'cancelled'].includes(seen.at(-1)!.state)) return seen;
  }
  throw new Error('job run never ended');
}

describe('emr-serverless engine', () => {
  it('starts one job run with a client token from the run id and the rendered arguments, then polls it to succeeded', async () => {
    const app = fake.addApplication('00fapp0001');
    const { externalId, url } = await engine.submit(request('r-es1-aaaaaa', config(app, { logUri: 's3://logs/emr/' })));
    const [start] = fake.callsTo('StartJobRun');
    expect(start!.input).toMatchObject({
      clientToken: 'cutover-r-es1-aaaaaa',
      executionRoleArn: ROLE,
      jobDriver: { sparkSubmit: { entryPoint: 's3://jobs/rollup.py', entryPointArguments: ['--period', '2026-07', '--region', 'eu'], sparkSubmitParameters: '--conf spark.executor.cores=2' } },
      configurationOverrides: { monitoringConfiguration: { s3MonitoringConfiguration: { logUri: 's3://logs/emr/' } } },
      tags: { 'cutover:run': 'r-es1-aaaaaa', 'cutover:pipeline': 'rollup' },
    });
    expect(externalId).toMatch(/^00fapp0001\/[0-9a-f]{16}$/);
    expect(url).toContain('eu-west-1.console.aws.amazon.com/emr');
    const states = (await pollToEnd(externalId)).map((s) => s.state);
    expect(states).toEqual(['pending', 'pending', 'running', 'succeeded']);
  });

  it('a retried submit gets the same job run: one job run per Cutover run', async () => {
    const app = fake.addApplication('00fapp0002');
    const a = await engine.submit(request('r-es2-bbbbbb', config(app)));
    const b = await engine.submit(request('r-es2-bbbbbb', config(app)));
    expect(b.externalId).toBe(a.externalId);
    expect(fake.jobRuns(app)).toHaveLength(1);
  });

  it('a failure carries stateDetails and a link to the driver log', async () => {
    const app = fake.addApplication('00fapp0003', { outcome: 'fail', stateDetails: 'Job failed: org.apache.spark.SparkException: Task 3 failed\nCaused by: java.lang.OutOfMemoryError' });
    const { externalId } = await engine.submit(request('r-es3-cccccc', config(app, { logUri: 's3://logs/emr/' })));
    const end = (await pollToEnd(externalId)).at(-1)!;
    expect(end.state).toBe('failed');
    expect(end.message).toContain('SparkException');
    const [failure] = await engine.failures(externalId, end);
    const jobRunId = externalId.split('/')[1];
    expect(failure).toMatchObject({
      task: 'cutover-r-es3-cccccc',
      error: 'Job failed: org.apache.spark.SparkException: Task 3 failed',
      logUrl: `s3://logs/emr/applications/${app}/jobs/${jobRunId}/SPARK_DRIVER/stderr.gz`,
    });
    expect(failure!.trace).toContain('OutOfMemoryError');
  });

  it('without a log location the alert links the application in the console', async () => {
    const app = fake.addApplication('00fapp0004', { outcome: 'fail', pollsToFinish: 1 });
    const { externalId } = await engine.submit(request('r-es4-dddddd', config(app)));
    const end = await engine.poll(externalId);
    const [failure] = await engine.failures(externalId, end);
    expect(failure!.logUrl).toContain('#/serverless-applications/00fapp0004');
  });

  it('cancel goes CANCELLING, then cancelled', async () => {
    const app = fake.addApplication('00fapp0005', { pollsToFinish: 100 });
    const { externalId } = await engine.submit(request('r-es5-eeeeee', config(app)));
    await engine.cancel(externalId);
    expect(fake.jobRuns(app)[0]!.state).toBe('CANCELLING');
    expect((await engine.poll(externalId)).state).toBe('cancelled');
  });

  it('an unknown application is permanent, a 500 is retryable', async () => {
    const err = await engine.submit(request('r-es6-ffffff', config('00fnothere'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ apiCode: 'ResourceNotFoundException', retryable: false, statusCode: 404, service: 'emr-serverless' });
    const app = fake.addApplication('00fapp0006');
    fake.failNext({ type: 'InternalServerException', status: 500, operation: 'StartJobRun' });
    await expect(engine.submit(request('r-es7-gggggg', config(app)))).rejects.toMatchObject({ retryable: true });
  });
});

describe('fake EMR Serverless refuses what the service refuses', () => {
  const start = (input: Record<string, unknown>) => client.send(new StartJobRunCommand(input as never)).then(() => 'ok', (e: { name: string }) => e.name);
  const driver = { sparkSubmit: { entryPoint: 's3://jobs/a.py' } };

  it('missing role or driver, a bad client token, a reused token with other parameters', async () => {
    const app = fake.addApplication('00fstrict');
    expect(await start({ applicationId: app, clientToken: 't1', jobDriver: driver })).toBe('ValidationException');
    expect(await start({ applicationId: app, clientToken: 't1', executionRoleArn: ROLE })).toBe('ValidationException');
    expect(await start({ applicationId: app, clientToken: 'bad token!', executionRoleArn: ROLE, jobDriver: driver })).toBe('ValidationException');
    expect(await start({ applicationId: app, clientToken: 't2', executionRoleArn: ROLE, jobDriver: driver })).toBe('ok');
    expect(await start({ applicationId: app, clientToken: 't2', executionRoleArn: ROLE, jobDriver: driver })).toBe('ok');
    expect(await start({ applicationId: app, clientToken: 't2', executionRoleArn: ROLE, jobDriver: { sparkSubmit: { entryPoint: 's3://jobs/b.py' } } })).toBe('ConflictException');
    expect(fake.jobRuns(app)).toHaveLength(1);
  });
});
