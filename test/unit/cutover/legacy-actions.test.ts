import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAction, executeAction, type ActionContext } from '../../../src/cutover/index.ts';
import { ApiError } from '../../../src/errors.ts';
import { FakeEventBridge, type RuleRecord } from '../../fakes/eventbridge-server.ts';
import { FakeScheduler, type ScheduleRecord } from '../../fakes/scheduler-server.ts';
import { pipeline } from './fixtures.ts';

const scheduler = new FakeScheduler();
const events = new FakeEventBridge();
const credentials = { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' };
let ctx: (over?: Partial<ActionContext>) => ActionContext;

beforeAll(async () => {
  await Promise.all([scheduler.start(), events.start()]);
  const schedulerClient = new SchedulerClient({ endpoint: scheduler.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  const eventbridge = new EventBridgeClient({ endpoint: events.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  ctx = (over = {}) => ({ pipeline: 'billing', step: 'switch-primary', config: pipeline(), actor: 'U0ALICE', scheduler: schedulerClient, eventbridge, ...over });
});
afterAll(() => Promise.all([scheduler.close(), events.close()]));

const STATE_MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:billing-monthly';
const schedule = (over: Partial<ScheduleRecord> = {}): ScheduleRecord => ({
  Name: 'billing-monthly',
  GroupName: 'etl',
  ScheduleExpression: 'cron(0 6 2 * ? *)',
  ScheduleExpressionTimezone: 'Europe/London',
  FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 15 },
  Target: { Arn: STATE_MACHINE, RoleArn: 'arn:aws:iam::111122223333:role/scheduler', Input: '{"period":"auto"}', RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 } },
  State: 'ENABLED',
  Description: 'Monthly billing, legacy',
  StartDate: new Date(Date.now() + 86_400_000),
  EndDate: new Date(Date.now() + 365 * 86_400_000),
  KmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd',
  ActionAfterCompletion: 'NONE',
  ...over,
});

describe('scheduler.schedule', () => {
  it('disables the schedule and sends back every field it had, with only State changed', async () => {
    const before = schedule();
    scheduler.put(before);
    const result = await executeAction({ 'scheduler.schedule': { name: 'billing-monthly', group: 'etl', state: 'DISABLED' } }, ctx());
    expect(result).toEqual({ action: 'scheduler.schedule', changed: true, text: `EventBridge Scheduler schedule etl/billing-monthly disabled: cron(0 6 2 * ? *) (target ${STATE_MACHINE})` });
    // UpdateSchedule replaces the schedule with what it was sent: anything left out would be gone now.
    const after = scheduler.get('etl', 'billing-monthly')!;
    expect(after).toEqual({ ...before, State: 'DISABLED' });
  });

  it('changes nothing when the schedule is already in that state (a retried step is harmless)', async () => {
    scheduler.put(schedule({ State: 'DISABLED' }));
    const updates = scheduler.callsTo('UpdateSchedule').length;
    const result = await executeAction({ 'scheduler.schedule': { name: 'billing-monthly', group: 'etl', state: 'DISABLED' } }, ctx());
    expect(result.changed).toBe(false);
    expect(scheduler.callsTo('UpdateSchedule')).toHaveLength(updates);
  });

  it('a start date already passed is left out (Scheduler refuses one older than 5 minutes); the rest is kept', async () => {
    scheduler.put(schedule({ Name: 'old', GroupName: 'default', StartDate: new Date('2024-01-01T00:00:00Z'), State: 'DISABLED' }));
    await executeAction({ 'scheduler.schedule': { name: 'old', state: 'ENABLED' } }, ctx());
    const after = scheduler.get('default', 'old')!;
    expect(after).toMatchObject({ State: 'ENABLED', ScheduleExpressionTimezone: 'Europe/London', Description: 'Monthly billing, legacy', StartDate: undefined });
    expect(scheduler.callsTo('UpdateSchedule').at(-1)!.input).not.toHaveProperty('StartDate');
  });

  it('an unknown schedule is a permanent ApiError; no Scheduler client is a config error', async () => {
    const err = await executeAction({ 'scheduler.schedule': { name: 'nope', state: 'DISABLED' } }, ctx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ apiCode: 'ResourceNotFoundException', retryable: false, service: 'scheduler' });
    await expect(executeAction({ 'scheduler.schedule': { name: 'x', state: 'DISABLED' } }, ctx({ scheduler: undefined }))).rejects.toMatchObject({ code: 'config_invalid' });
  });

  it('is described with the schedule it names', () => {
    expect(describeAction({ 'scheduler.schedule': { name: 'billing-monthly', group: 'etl', state: 'DISABLED' } })).toBe('disable the EventBridge Scheduler schedule etl/billing-monthly (everything else kept)');
  });
});

const redshiftRule = (over: Partial<RuleRecord> = {}): RuleRecord => ({
  Name: 'QS2-nightly-revenue',
  State: 'ENABLED',
  ScheduleExpression: 'cron(0 2 * * ? *)',
  Targets: [{ Id: 'rs', Arn: 'arn:aws:redshift:us-east-1:111122223333:cluster:finance-prod', RoleArn: 'arn:aws:iam::111122223333:role/events', RedshiftDataParameters: { Database: 'dev', Sql: 'CALL etl.nightly()', StatementName: 'QS2-nightly-revenue', SecretManagerArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:x' } }],
  ...over,
});

describe('events.rule and redshift.scheduledQuery', () => {
  it('events.rule disables a rule that starts a state machine, and only its state changes', async () => {
    const rule: RuleRecord = { Name: 'billing-nightly', State: 'ENABLED', ScheduleExpression: 'rate(1 day)', Description: 'legacy', Targets: [{ Id: 'sfn', Arn: STATE_MACHINE }] };
    events.put(rule);
    const result = await executeAction({ 'events.rule': { name: 'billing-nightly', state: 'DISABLED' } }, ctx());
    expect(result).toEqual({ action: 'events.rule', changed: true, text: 'EventBridge rule billing-nightly disabled (rate(1 day))' });
    expect(events.get('billing-nightly')).toEqual({ ...rule, State: 'DISABLED' });
    expect(events.callsTo('DisableRule').at(-1)!.input).toEqual({ Name: 'billing-nightly' });
  });

  it('redshift.scheduledQuery pauses the scheduled query rule, and resumes it on rollback', async () => {
    events.put(redshiftRule());
    const paused = await executeAction({ 'redshift.scheduledQuery': { rule: 'QS2-nightly-revenue', state: 'DISABLED' } }, ctx());
    expect(paused).toMatchObject({ action: 'redshift.scheduledQuery', changed: true, text: 'Redshift scheduled query QS2-nightly-revenue disabled (cron(0 2 * * ? *))' });
    expect(events.get('QS2-nightly-revenue')!.State).toBe('DISABLED');
    const again = await executeAction({ 'redshift.scheduledQuery': { rule: 'QS2-nightly-revenue', state: 'DISABLED' } }, ctx());
    expect(again.changed).toBe(false);
    await executeAction({ 'redshift.scheduledQuery': { rule: 'QS2-nightly-revenue', state: 'ENABLED' } }, ctx());
    expect(events.get('QS2-nightly-revenue')!.State).toBe('ENABLED');
  });

  it('redshift.scheduledQuery refuses a rule that runs no Redshift query, and changes nothing', async () => {
    events.put({ Name: 'someone-elses-rule', State: 'ENABLED', Targets: [{ Id: 'l', Arn: 'arn:aws:lambda:us-east-1:111122223333:function:cleanup' }] });
    const err = await executeAction({ 'redshift.scheduledQuery': { rule: 'someone-elses-rule', state: 'DISABLED' } }, ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'invalid_state', retryable: false, message: expect.stringContaining('runs no Redshift query (its targets: arn:aws:lambda:us-east-1:111122223333:function:cleanup)') });
    expect(events.get('someone-elses-rule')!.State).toBe('ENABLED');
  });

  it('a rule on another bus is named with its bus; an unknown rule and a managed rule are permanent errors', async () => {
    events.put({ Name: 'partner-rule', EventBusName: 'etl-bus', State: 'DISABLED', Targets: [] });
    await executeAction({ 'events.rule': { name: 'partner-rule', eventBus: 'etl-bus', state: 'ENABLED' } }, ctx());
    expect(events.get('partner-rule', 'etl-bus')!.State).toBe('ENABLED');
    await expect(executeAction({ 'events.rule': { name: 'missing', state: 'DISABLED' } }, ctx())).rejects.toMatchObject({ apiCode: 'ResourceNotFoundException', retryable: false });
    events.put({ Name: 'managed', State: 'ENABLED', ManagedBy: 'glue.amazonaws.com', Targets: [] });
    await expect(executeAction({ 'events.rule': { name: 'managed', state: 'DISABLED' } }, ctx())).rejects.toMatchObject({ apiCode: 'ManagedRuleException', retryable: false });
  });
});
