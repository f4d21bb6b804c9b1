import { EMRServerlessClient, GetApplicationCommand, StartJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { DescribeRuleCommand, DisableRuleCommand, EventBridgeClient, ListTargetsByRuleCommand } from '@aws-sdk/client-eventbridge';
import { DescribeStatementCommand, ExecuteStatementCommand, RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { GetScheduleCommand, SchedulerClient, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeEmrServerless } from '../../fakes/emr-serverless-server.ts';
import { FakeEventBridge } from '../../fakes/eventbridge-server.ts';
import { FakeRedshiftData } from '../../fakes/redshift-data-server.ts';
import { FakeScheduler } from '../../fakes/scheduler-server.ts';
import { FakeStepFunctions } from '../../fakes/sfn-server.ts';

/**
 * The issue 18 fakes refuse a request whose shape the real service refuses (issue 18 "What must
 * be true"), each through the real SDK client, which sends what it is given: missing required
 * members, values outside the model's limits, a client token reused with other parameters.
 */
const scheduler = new FakeScheduler();
const events = new FakeEventBridge();
const sfn = new FakeStepFunctions();
const emrServerless = new FakeEmrServerless();
const redshift = new FakeRedshiftData();
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const clients: Array<{ destroy(): void }> = [];
const client = <T extends { destroy(): void }>(make: new (cfg: { endpoint: string; region: string; credentials: typeof credentials; maxAttempts: number }) => T, url: string): T => {
  const c = new make({ endpoint: url, region: 'us-east-1', credentials, maxAttempts: 1 });
  clients.push(c);
  return c;
};
const TARGET = { Arn: 'arn:aws:states:us-east-1:111122223333:stateMachine:billing', RoleArn: 'arn:aws:iam::111122223333:role/scheduler' };
const machine = sfn.addStateMachine('billing', { states: ['A'] });
emrServerless.addApplication('00fshapes');

beforeAll(async () => {
  await Promise.all([scheduler.start(), events.start(), sfn.start(), emrServerless.start(), redshift.start()]);
  scheduler.put({ Name: 'billing-monthly', GroupName: 'default', ScheduleExpression: 'cron(0 6 1 * ? *)', FlexibleTimeWindow: { Mode: 'OFF' }, Target: TARGET, State: 'ENABLED' });
  events.put({ Name: 'billing-rule', State: 'ENABLED', ScheduleExpression: 'rate(1 day)', Targets: [{ Id: 't1', Arn: TARGET.Arn }] });
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await Promise.all([scheduler.close(), events.close(), sfn.close(), emrServerless.close(), redshift.close()]);
});

const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as { name: string; message: string; $metadata: { httpStatusCode?: number } });

describe('EventBridge Scheduler', () => {
  const s = () => client(SchedulerClient, scheduler.url);
  const full = { Name: 'billing-monthly', ScheduleExpression: 'cron(0 6 1 * ? *)', FlexibleTimeWindow: { Mode: 'OFF' as const }, Target: TARGET, State: 'DISABLED' as const };

  it.each([
    ['no ScheduleExpression', { ...full, ScheduleExpression: undefined }, /ScheduleExpression/],
    ['no FlexibleTimeWindow', { ...full, FlexibleTimeWindow: undefined }, /FlexibleTimeWindow/],
    ['a FLEXIBLE window without its maximum', { ...full, FlexibleTimeWindow: { Mode: 'FLEXIBLE' as const } }, /MaximumWindowInMinutes/],
    ['a window over 1440 minutes', { ...full, FlexibleTimeWindow: { Mode: 'FLEXIBLE' as const, MaximumWindowInMinutes: 1441 } }, /maximumWindowInMinutes/],
    ['a Target without RoleArn', { ...full, Target: { Arn: TARGET.Arn } }, /RoleArn/],
    ['a State outside the enum', { ...full, State: 'PAUSED' }, /enum value set/],
  ])('UpdateSchedule with %s is a ValidationException, before the schedule is looked up', async (_what, input, message) => {
    const err = await refusal(s().send(new UpdateScheduleCommand(input as never)));
    expect(err).toMatchObject({ name: 'ValidationException' });
    expect(err!.message).toMatch(message);
    expect(await refusal(s().send(new UpdateScheduleCommand({ ...(input as object), Name: 'nope' } as never)))).toMatchObject({ name: 'ValidationException' });
    expect(scheduler.get('default', 'billing-monthly')!.State).toBe('ENABLED');
  });

  it('a name outside its pattern is a ValidationException; an unknown schedule or group a 404', async () => {
    expect(await refusal(s().send(new GetScheduleCommand({ Name: 'has space' })))).toMatchObject({ name: 'ValidationException' });
    expect(await refusal(s().send(new GetScheduleCommand({ Name: 'nope' })))).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    expect(await refusal(s().send(new GetScheduleCommand({ Name: 'billing-monthly', GroupName: 'other' })))).toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('EventBridge rules', () => {
  const e = () => client(EventBridgeClient, events.url);
  it('refuses a missing or malformed name, a bad bus, a limit out of range', async () => {
    expect(await refusal(e().send(new DescribeRuleCommand({} as never)))).toMatchObject({ name: 'ValidationException' });
    expect(await refusal(e().send(new DisableRuleCommand({ Name: 'has space' })))).toMatchObject({ name: 'ValidationException' });
    expect(await refusal(e().send(new DescribeRuleCommand({ Name: 'billing-rule', EventBusName: 'bad bus!' })))).toMatchObject({ name: 'ValidationException' });
    expect(await refusal(e().send(new ListTargetsByRuleCommand({ Rule: 'billing-rule', Limit: 101 })))).toMatchObject({ name: 'ValidationException' });
    expect(events.get('billing-rule')!.State).toBe('ENABLED');
    expect(await refusal(e().send(new DescribeRuleCommand({ Name: 'billing-rule', EventBusName: 'arn:aws:events:us-east-1:111122223333:event-bus/other' })))).toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('Step Functions', () => {
  const f = () => client(SFNClient, sfn.url);
  it('refuses a missing ARN, a bad name, input that is not JSON, a history page size out of range, a reused name with other input', async () => {
    expect(await refusal(f().send(new StartExecutionCommand({} as never)))).toMatchObject({ name: 'InvalidArn' });
    expect(await refusal(f().send(new StartExecutionCommand({ stateMachineArn: machine, name: 'a b' })))).toMatchObject({ name: 'InvalidName' });
    expect(await refusal(f().send(new StartExecutionCommand({ stateMachineArn: machine, name: 'x'.repeat(81) })))).toMatchObject({ name: 'InvalidName' });
    expect(await refusal(f().send(new StartExecutionCommand({ stateMachineArn: machine, name: 'ok', input: '{not json' })))).toMatchObject({ name: 'InvalidExecutionInput' });
    expect(await refusal(f().send(new DescribeExecutionCommand({} as never)))).toMatchObject({ name: 'InvalidArn' });
    const { executionArn } = await f().send(new StartExecutionCommand({ stateMachineArn: machine, name: 'shapes-1', input: '{}' }));
    expect(await refusal(f().send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1001 })))).toMatchObject({ name: 'ValidationException' });
    expect(await refusal(f().send(new StartExecutionCommand({ stateMachineArn: machine, name: 'shapes-1', input: '{"other":1}' })))).toMatchObject({ name: 'ExecutionAlreadyExists' });
  });
});

describe('EMR Serverless', () => {
  const m = () => client(EMRServerlessClient, emrServerless.url);
  const run = { applicationId: '00fshapes', clientToken: 'tok-1', executionRoleArn: 'arn:aws:iam::111122223333:role/emr', jobDriver: { sparkSubmit: { entryPoint: 's3://jobs/a.py' } } };
  it('refuses a bad application id, a missing role or driver, and a client token reused with other parameters', async () => {
    expect(await refusal(m().send(new GetApplicationCommand({ applicationId: 'Not-Valid' })))).toMatchObject({ name: 'ValidationException' });
    expect(await refusal(m().send(new GetApplicationCommand({ applicationId: '00fnothere' })))).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    expect(await refusal(m().send(new StartJobRunCommand({ ...run, executionRoleArn: undefined } as never)))).toMatchObject({ name: 'ValidationException' });
    expect(await refusal(m().send(new StartJobRunCommand({ ...run, jobDriver: {} } as never)))).toMatchObject({ name: 'ValidationException' });
    const first = await m().send(new StartJobRunCommand(run));
    expect((await m().send(new StartJobRunCommand(run))).jobRunId).toBe(first.jobRunId);
    expect(await refusal(m().send(new StartJobRunCommand({ ...run, name: 'other' })))).toMatchObject({ name: 'ConflictException', $metadata: { httpStatusCode: 409 } });
  });
});

describe('Redshift Data API', () => {
  const r = () => client(RedshiftDataClient, redshift.url);
  const base = { Sql: 'SELECT 1', ClusterIdentifier: 'finance-prod', Database: 'dev' };
  it('refuses a missing Sql or Database, both or neither target, a malformed statement id, and a reused token with other parameters', async () => {
    expect(await refusal(r().send(new ExecuteStatementCommand({ ...base, Sql: undefined } as never)))).toMatchObject({ name: 'ValidationException' });
    expect(await refusal(r().send(new ExecuteStatementCommand({ ...base, Database: undefined } as never)))).toMatchObject({ name: 'ValidationException' });
    expect(await refusal(r().send(new ExecuteStatementCommand({ ...base, WorkgroupName: 'finance' })))).toMatchObject({ name: 'ValidationException' });
    expect(await refusal(r().send(new ExecuteStatementCommand({ Sql: 'SELECT 1', Database: 'dev' })))).toMatchObject({ name: 'ValidationException' });
    expect(await refusal(r().send(new DescribeStatementCommand({ Id: 'not-a-uuid' })))).toMatchObject({ name: 'ValidationException' });
    await r().send(new ExecuteStatementCommand({ ...base, ClientToken: 'shapes-token' }));
    expect(await refusal(r().send(new ExecuteStatementCommand({ ...base, Sql: 'SELECT 2', ClientToken: 'shapes-token' })))).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/already used with different parameters/) });
  });
});
