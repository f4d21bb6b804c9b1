import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LegacyEngineConfig } from '../../../src/config/catalog-schema.ts';
import { renderEngineConfig } from '../../../src/engines/resolve-engine.ts';
import { CANCEL_ERROR, createStepFunctionsEngine, sfnExecutionName } from '../../../src/engines/stepfunctions/index.ts';
import type { Engine, EngineRunStatus, SubmitRequest } from '../../../src/engines/types.ts';
import { ApiError, UnsupportedError } from '../../../src/errors.ts';
import { FakeStepFunctions } from '../../fakes/sfn-server.ts';

const fake = new FakeStepFunctions();
let client: SFNClient;
let engine: Engine;
beforeAll(async () => {
  await fake.start();
  client = new SFNClient({ endpoint: fake.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' }, maxAttempts: 1 });
  engine = createStepFunctionsEngine({ client });
});
afterAll(() => fake.close());

let seq = 0;
/** A fresh state machine per test, so executions never collide. */
function machine(script: Parameters<FakeStepFunctions['addStateMachine']>[1]): LegacyEngineConfig & { engine: 'stepfunctions' } {
  const arn = fake.addStateMachine(`billing-${++seq}`, script);
  return { engine: 'stepfunctions', stateMachineArn: arn, input: { period: '{{period}}', options: { region: '{{param.region}}', dryRun: false } } };
}

function request(runId: string, config: LegacyEngineConfig, params: Record<string, string> = { region: 'eu' }): SubmitRequest {
  const rendered = renderEngineConfig(config, { period: '2026-07', params });
  return { runId, pipeline: 'billing', config: rendered.config, period: '2026-07', params: rendered.params };
}

async function pollToEnd(externalId: string): Promise<EngineRunStatus> {
  for (let i = 0; i < 10; i++) {
    const s = await engine.poll(externalId);
    if (s.state !== 'running' && s.state !== 'pending') return s;
  }
  throw new Error('execution never ended');
}

describe('stepfunctions engine', () => {
  it('starts one execution named after the run with the rendered input, and polls it to succeeded', async () => {
    const config = machine({ states: ['Extract', 'Load'] });
    const { externalId, url } = await engine.submit(request('r-sfn1-aaaaaa', config));
    expect(externalId).toBe(`arn:aws:states:us-east-1:111122223333:execution:billing-${seq}:cutover-r-sfn1-aaaaaa`);
    expect(url).toContain('console.aws.amazon.com/states/home?region=us-east-1');
    const [start] = fake.callsTo('StartExecution');
    expect(start!.input.name).toBe('cutover-r-sfn1-aaaaaa');
    // The catalog's keys are rendered and win over a --param of the same name; others are added.
    expect(JSON.parse(start!.input.input as string)).toEqual({ region: 'eu', period: '2026-07', options: { region: 'eu', dryRun: false } });
    const first = await engine.poll(externalId);
    expect(first.state).toBe('running');
    const end = await pollToEnd(externalId);
    expect(end).toMatchObject({ state: 'succeeded', message: 'SUCCEEDED' });
    expect(end.endedAt).toBeGreaterThanOrEqual(end.startedAt!);
  });

  it('a retried submit gets the same execution, while it runs and after it closed', async () => {
    const config = machine({ states: ['Only'] });
    const before = fake.list().length;
    const a = await engine.submit(request('r-sfn2-bbbbbb', config));
    const b = await engine.submit(request('r-sfn2-bbbbbb', config)); // open, same input: the same answer
    expect(b.externalId).toBe(a.externalId);
    await pollToEnd(a.externalId);
    const c = await engine.submit(request('r-sfn2-bbbbbb', config)); // closed: ExecutionAlreadyExists, adopted
    expect(c.externalId).toBe(a.externalId);
    expect(fake.list().length - before).toBe(1);
    expect(fake.callsTo('StartExecution').filter((s) => s.input.name === sfnExecutionName('r-sfn2-bbbbbb'))).toHaveLength(3);
  });

  it('names the failing state, its error and the Lambda cause in the failures', async () => {
    const cause = JSON.stringify({ errorType: 'KeyError', errorMessage: "'customer_id'", stackTrace: ['  File "/var/task/handler.py", line 12, in handler', '    row["customer_id"]'] });
    const config = machine({ states: ['Extract', 'Transform', 'Load'], outcome: { fail: 'Transform', error: 'KeyError', cause } });
    const { externalId } = await engine.submit(request('r-sfn3-cccccc', config));
    const end = await pollToEnd(externalId);
    expect(end.state).toBe('failed');
    expect(end.message).toContain('KeyError');
    const [failure] = await engine.failures(externalId, end);
    expect(failure).toMatchObject({ task: 'Transform', error: "KeyError: 'customer_id'" });
    expect(failure!.trace).toContain('handler.py", line 12');
    expect(failure!.logUrl).toContain(encodeURIComponent(externalId));
    const history = fake.callsTo('GetExecutionHistory').at(-1)!;
    expect(history.input).toMatchObject({ reverseOrder: true, includeExecutionData: false });
  });

  it('reads history pages newest first until the failing state is named, and no further than allowed', async () => {
    const config = machine({ states: ['S0', 'S1', 'S2', 'S3', 'S4', 'S5'], outcome: { fail: 'S3', error: 'States.TaskFailed', cause: 'boom\nat line 2' } });
    const { externalId } = await engine.submit(request('r-sfn4-dddddd', config));
    const end = await pollToEnd(externalId);
    const calls = () => fake.callsTo('GetExecutionHistory').filter((c) => c.input.executionArn === externalId).length;
    // S3's events: entered 17 … ExecutionFailed 21; three a page, newest first: [21,20,19], [18,17,…].
    const [failure] = await createStepFunctionsEngine({ client, historyPageSize: 3 }).failures(externalId, end);
    expect(failure).toMatchObject({ task: 'S3', error: 'States.TaskFailed: boom', trace: 'boom\nat line 2' });
    expect(calls()).toBe(2);
    // One page allowed: the error and cause are known, the state is not; the execution stands in.
    const [bounded] = await createStepFunctionsEngine({ client, historyPageSize: 3, maxHistoryPages: 1 }).failures(externalId, end);
    expect(bounded).toMatchObject({ task: 'cutover-r-sfn4-dddddd', error: 'States.TaskFailed: boom' });
    expect(calls()).toBe(3);
  });

  it('maps TIMED_OUT to timed_out and a stop to cancelled, with Cutover named as the one who stopped it', async () => {
    const slow = machine({ states: ['Wait'], pollsToFinish: 100 });
    const { externalId } = await engine.submit(request('r-sfn5-eeeeee', slow));
    await engine.cancel(externalId);
    const stopped = await engine.poll(externalId);
    expect(stopped.state).toBe('cancelled');
    expect(fake.callsTo('StopExecution').at(-1)!.input).toMatchObject({ executionArn: externalId, error: CANCEL_ERROR });

    const timing = machine({ states: ['Wait'], outcome: { timeout: true } });
    const t = await engine.submit(request('r-sfn6-ffffff', timing));
    expect((await pollToEnd(t.externalId)).state).toBe('timed_out');
  });

  it('refuses an Express state machine by name before starting anything', async () => {
    const config = machine({ states: ['Fast'], type: 'EXPRESS' });
    const starts = fake.callsTo('StartExecution').length;
    await expect(engine.submit(request('r-sfn7-gggggg', config))).rejects.toBeInstanceOf(UnsupportedError);
    expect(fake.callsTo('StartExecution')).toHaveLength(starts);
  });

  it('an unknown state machine is a permanent error carrying the service code; throttling is retryable', async () => {
    const gone: LegacyEngineConfig = { engine: 'stepfunctions', stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:nope', input: {} };
    const err = await engine.submit(request('r-sfn8-hhhhhh', gone)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ apiCode: 'StateMachineDoesNotExist', retryable: false, service: 'sfn' });
    fake.failNext({ type: 'ThrottlingException', operation: 'DescribeExecution' });
    const config = machine({ states: ['A'] });
    const { externalId } = await engine.submit(request('r-sfn9-iiiiii', config));
    await expect(engine.poll(externalId)).rejects.toMatchObject({ retryable: true, apiCode: 'ThrottlingException' });
  });
});

describe('fake Step Functions refuses what the service refuses', () => {
  const start = (input: Record<string, unknown>) => client.send(new StartExecutionCommand(input as never)).catch((e: { name: string }) => e.name);

  it('a missing state machine ARN, a bad name, input that is not JSON, a reused name with other input', async () => {
    const arn = fake.addStateMachine('strict', { states: ['A'], pollsToFinish: 100 });
    expect(await start({ name: 'x' })).toBe('InvalidArn');
    expect(await start({ stateMachineArn: arn, name: 'has space' })).toBe('InvalidName');
    expect(await start({ stateMachineArn: arn, name: 'a:b' })).toBe('InvalidName');
    expect(await start({ stateMachineArn: arn, name: 'x'.repeat(81) })).toBe('InvalidName');
    expect(await start({ stateMachineArn: arn, name: 'ok', input: '{not json' })).toBe('InvalidExecutionInput');
    await client.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'dup', input: '{"a":1}' }));
    expect(await start({ stateMachineArn: arn, name: 'dup', input: '{"a":2}' })).toBe('ExecutionAlreadyExists');
  });
});
