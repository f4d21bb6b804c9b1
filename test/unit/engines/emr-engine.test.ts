import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { EMRClient } from '@aws-sdk/client-emr';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LegacyEngineConfig } from '../../../src/config/catalog-schema.ts';
import { createEmrEngine, emrStepName } from '../../../src/engines/emr/index.ts';
import type { Engine, EngineRunStatus, SubmitRequest } from '../../../src/engines/types.ts';
import { ApiError } from '../../../src/errors.ts';
import { FakeEmr } from '../../fakes/emr-server.ts';

const CLUSTER = 'j-ABC123';
const config: LegacyEngineConfig = {
  engine: 'emr',
  clusterId: CLUSTER,
  step: { name: 'incites', args: ['spark-submit', 's3://jobs/incites.py', '--period', '2026-07'] },
  executionRoleArn: 'arn:aws:iam::111122223333:role/emr-runtime',
};

let fake: FakeEmr;
beforeAll(async () => {
  fake = await FakeEmr.start();
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

/** The real SDK client pointed at the fake; `maxAttempts: 1` where a test wants to see the first error. */
function engineWith(maxAttempts = 1, extra: Partial<Parameters<typeof createEmrEngine>[0]> = {}): Engine {
  const client = new EMRClient({
    endpoint: fake.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDFAKEFAKEFAKE', secretAccessKey: 'fake-secret' },
    maxAttempts,
  });
  return createEmrEngine({ client, ...extra });
}

const request = (runId: string, signal?: AbortSignal): SubmitRequest => ({
  runId,
  pipeline: 'incites-monthly',
  config,
  period: '2026-07',
  params: {},
  signal,
});

async function pollUntilTerminal(engine: Engine, externalId: string): Promise<EngineRunStatus[]> {
  const seen: EngineRunStatus[] = [];
  for (let i = 0; i < 10; i++) {
    const status = await engine.poll(externalId);
    seen.push(status);
    if (['succeeded', 'failed', 'cancelled'].includes(status.state)) break;
  }
  return seen;
}

describe('emr engine: submit', () => {
  it('adds one command-runner step named after the run, with CONTINUE and the runtime role', async () => {
    const { externalId, url } = await engineWith().submit(request('r1'));
    const [add] = fake.calls('AddJobFlowSteps');
    expect(add?.body).toEqual({
      JobFlowId: CLUSTER,
      ExecutionRoleArn: config.executionRoleArn,
      Steps: [
        {
          Name: 'cutover-r1-incites',
          ActionOnFailure: 'CONTINUE',
          HadoopJarStep: { Jar: 'command-runner.jar', Args: ['spark-submit', 's3://jobs/incites.py', '--period', '2026-07'] },
        },
      ],
    });
    expect(add?.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
    const stepId = fake.steps(CLUSTER)[0]?.Id;
    expect(externalId).toBe(`${CLUSTER}/${stepId}`);
    expect(url).toBe(`https://eu-west-1.console.aws.amazon.com/emr/home?region=eu-west-1#/clusterDetails/${CLUSTER}`);
  });

  it('a retried submit finds its step with ListSteps instead of adding a second one', async () => {
    const engine = engineWith();
    const first = await engine.submit(request('r2'));
    const second = await engine.submit(request('r2'));
    expect(second.externalId).toBe(first.externalId);
    expect(fake.calls('AddJobFlowSteps')).toHaveLength(1);
    expect(fake.calls('ListSteps')).toHaveLength(2);
    expect(fake.steps(CLUSTER)).toHaveLength(1);
  });

  it('pages through ListSteps with Marker, newest first, to find an older step', async () => {
    const engine = engineWith();
    const first = await engine.submit(request('r3'));
    fake.seedSteps(CLUSTER, 60, { ageMs: -1000, namePrefix: 'newer' });
    const again = await engine.submit(request('r3'));
    expect(again.externalId).toBe(first.externalId);
    const lists = fake.calls('ListSteps').slice(1);
    expect(lists.map((r) => r.body.Marker === undefined)).toEqual([true, false]);
  });

  it('stops looking once steps are older than the lookback, then adds the step', async () => {
    fake.seedSteps(CLUSTER, 120, { ageMs: 30 * 24 * 3600_000, namePrefix: 'old' });
    await engineWith(1, { lookbackMs: 24 * 3600_000 }).submit(request('r4'));
    expect(fake.calls('ListSteps')).toHaveLength(1);
    expect(fake.calls('AddJobFlowSteps')).toHaveLength(1);
  });

  it('caps the number of ListSteps pages', async () => {
    fake.seedSteps(CLUSTER, 200, { namePrefix: 'recent' });
    await engineWith(1, { maxListPages: 2 }).submit(request('r5'));
    expect(fake.calls('ListSteps')).toHaveLength(2);
  });

  it('keeps the step name within 256 characters', () => {
    expect(emrStepName('r'.repeat(100), 'x'.repeat(200))).toHaveLength(256);
  });
});

describe('emr engine: poll, failures, cancel', () => {
  it('polls a step through PENDING and RUNNING to succeeded with its timeline', async () => {
    const engine = engineWith();
    const { externalId } = await engine.submit(request('p1'));
    const seen = await pollUntilTerminal(engine, externalId);
    expect(seen.map((s) => s.state)).toEqual(['pending', 'running', 'succeeded']);
    const done = seen.at(-1)!;
    expect(done.message).toBe('COMPLETED');
    expect(done.tasks).toHaveLength(1);
    expect(done.tasks[0]).toMatchObject({ key: 'cutover-p1-incites', state: 'succeeded', runId: externalId.split('/')[1] });
    expect(done.startedAt).toBeTypeOf('number');
    expect(done.endedAt).toBeGreaterThanOrEqual(done.startedAt!);
    expect(done.startedAt).toBeGreaterThan(Date.now() - 60_000);
    expect(await engine.failures(externalId, done)).toEqual([]);
  });

  it('turns a failed step’s FailureDetails into the alert content', async () => {
    const Message = 'Exception in thread "main" java.io.FileNotFoundException: s3://jobs/in/2026-07\n\tat App.main(App.scala:12)';
    fake.script('incites', {
      outcome: 'fail',
      afterPolls: 2,
      failure: { Reason: 'Input path does not exist', Message, LogFile: 's3://logs/j-ABC123/steps/s-1/stderr.gz' },
    });
    const engine = engineWith();
    const { externalId } = await engine.submit(request('f1'));
    const done = (await pollUntilTerminal(engine, externalId)).at(-1)!;
    expect(done.state).toBe('failed');
    expect(await engine.failures(externalId, done)).toEqual([
      {
        task: 'cutover-f1-incites',
        error: 'Input path does not exist: Exception in thread "main" java.io.FileNotFoundException: s3://jobs/in/2026-07',
        trace: Message,
        logUrl: 's3://logs/j-ABC123/steps/s-1/stderr.gz',
      },
    ]);
  });

  it('maps INTERRUPTED to failed with the state change reason', async () => {
    fake.script('incites', { outcome: 'interrupt', afterPolls: 1 });
    const engine = engineWith();
    const { externalId } = await engine.submit(request('i1'));
    const status = await engine.poll(externalId);
    expect(status.state).toBe('failed');
    expect(await engine.failures(externalId, status)).toEqual([{ task: 'cutover-i1-incites', error: 'Step was interrupted: instance lost' }]);
  });

  it('cancels with CancelSteps; the step goes through CANCEL_PENDING to cancelled', async () => {
    const engine = engineWith();
    const { externalId } = await engine.submit(request('c1'));
    await engine.poll(externalId);
    await engine.cancel(externalId);
    expect(fake.calls('CancelSteps')[0]?.body).toEqual({
      ClusterId: CLUSTER,
      StepIds: [externalId.split('/')[1]],
      StepCancellationOption: 'SEND_INTERRUPT',
    });
    const seen = await pollUntilTerminal(engine, externalId);
    expect(seen.map((s) => s.state)).toEqual(['cancelled']);
    await expect(engine.cancel(externalId)).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it('has no repair', () => {
    expect(engineWith().repair).toBeUndefined();
  });
});

describe('emr engine: errors', () => {
  it('a throttled call is a retryable ApiError', async () => {
    fake.failNext({ type: 'ThrottlingException', status: 400, message: 'Rate exceeded', operation: 'ListSteps' });
    const err = await engineWith().submit(request('e1')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ service: 'emr', statusCode: 400, apiCode: 'ThrottlingException', retryable: true });
  });

  it('a 500 InternalServerError is retryable', async () => {
    fake.failNext({ type: 'InternalServerError', status: 500 });
    await expect(engineWith().submit(request('e2'))).rejects.toMatchObject({ statusCode: 500, apiCode: 'InternalServerError', retryable: true });
  });

  it('a ValidationException is permanent', async () => {
    fake.failNext({ type: 'ValidationException', message: 'bad step', operation: 'AddJobFlowSteps' });
    await expect(engineWith().submit(request('e3'))).rejects.toMatchObject({ code: 'api_error', apiCode: 'ValidationException', retryable: false });
  });

  it('an unknown step id is a permanent InvalidRequestException', async () => {
    await expect(engineWith().poll(`${CLUSTER}/s-NOPE`)).rejects.toMatchObject({ apiCode: 'InvalidRequestException', retryable: false });
  });

  it('the SDK’s own retries absorb a single throttle', async () => {
    fake.failNext({ type: 'ThrottlingException', operation: 'AddJobFlowSteps' });
    await engineWith(3).submit(request('e4'));
    expect(fake.calls('AddJobFlowSteps')).toHaveLength(2);
    expect(fake.steps(CLUSTER)).toHaveLength(1);
  });

  it('passes the abort signal to the SDK and does not wrap the abort', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await engineWith().submit(request('e5', controller.signal)).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(ApiError);
    expect(fake.calls('AddJobFlowSteps')).toHaveLength(0);
  });
});

describe('FakeEmr', () => {
  it('rejects requests without an Authorization header', async () => {
    const res = await fetch(fake.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'ElasticMapReduce.ListSteps' },
      body: JSON.stringify({ ClusterId: CLUSTER }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
  });

  it('runs as its own process, driven over /__fake/control and read over /__fake/state', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fakes/emr-server-main.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next().then((r) => [r.value as string]);
      const { url, service } = JSON.parse(line!) as { url: string; service: string };
      expect(service).toBe('emr');
      const control = (body: unknown) => fetch(`${url}/__fake/control`, { method: 'POST', body: JSON.stringify(body) });
      expect((await control({ action: 'script', step: 'incites', outcome: 'fail', afterPolls: 1 })).status).toBe(200);
      const client = new EMRClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDX', secretAccessKey: 'x' } });
      const engine = createEmrEngine({ client });
      const { externalId } = await engine.submit(request('x1'));
      expect((await engine.poll(externalId)).state).toBe('failed');
      const state = (await (await fetch(`${url}/__fake/state`)).json()) as { clusters: Record<string, unknown[]>; requests: unknown[] };
      expect(state.clusters[CLUSTER]).toHaveLength(1);
      expect(state.requests).toHaveLength(3);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
