import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseCatalog } from '../../../src/config/load-catalog.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { createPreflightClients, findingLine, planPreflight, runPreflight } from '../../../src/doctor/index.ts';
import { createLogger } from '../../../src/logger.ts';
import { FakeEmrServerless } from '../../fakes/emr-serverless-server.ts';
import { FakeEventBridge } from '../../fakes/eventbridge-server.ts';
import { FakeGlue } from '../../fakes/glue-server.ts';
import { FakeRedshiftData } from '../../fakes/redshift-data-server.ts';
import { startFakeS3, type FakeS3 } from '../../fakes/s3-server.ts';
import { FakeScheduler } from '../../fakes/scheduler-server.ts';
import { FakeStepFunctions } from '../../fakes/sfn-server.ts';

/**
 * `cutover doctor` on the legacy engines and sources of issue 18, through the same clients the
 * app builds (endpoints from AWS_ENDPOINT_URL_<SERVICE>), against fakes of each service:
 * Step Functions DescribeStateMachine, EMR Serverless GetApplication, Redshift Data
 * ListDatabases (signing in as the runs will) and Glue GetTable (the format must be readable).
 */
const sfn = new FakeStepFunctions();
const emrServerless = new FakeEmrServerless();
const redshift = new FakeRedshiftData();
const glue = new FakeGlue();
const scheduler = new FakeScheduler();
const events = new FakeEventBridge();
let s3: FakeS3;

const machine = sfn.addStateMachine('billing-monthly', { states: ['Extract'] });
const missingMachine = machine.replace('billing-monthly', 'billing-gone');
emrServerless.addApplication('00fgoodapp');
emrServerless.addApplication('00fdeadapp', { state: 'TERMINATED' });
glue.addTable('analytics', { Name: 'insights', StorageDescriptor: { Location: 's3://legacy/insights/', InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat' } });
glue.addTable('analytics', { Name: 'events', StorageDescriptor: { Location: 's3://legacy/events/', InputFormat: 'org.apache.hadoop.hive.ql.io.orc.OrcInputFormat', SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.orc.OrcSerde' } } });
const missingDb = `nodb_${randomBytes(3).toString('hex')}`;

const CATALOG = `
pipelines:
  billing:
    channel: C0BILLING
    legacy: { engine: stepfunctions, stateMachineArn: "${machine}" }
    target: { engine: sandbox }
    outputs:
      - name: insights
        key: [id]
        legacy: { glue: analytics.insights, partition: { period: "{{period}}" } }
        target: { glue: analytics.events }
  billing-gone:
    channel: C0BILLING
    legacy: { engine: stepfunctions, stateMachineArn: "${missingMachine}" }
    target: { engine: sandbox }
  rollup:
    channel: C0BILLING
    legacy: { engine: emr-serverless, applicationId: 00fgoodapp, executionRoleArn: "arn:aws:iam::111122223333:role/r", sparkSubmit: { entryPoint: "s3://jobs/a.py" } }
    target: { engine: sandbox }
  rollup-dead:
    channel: C0BILLING
    legacy: { engine: emr-serverless, applicationId: 00fdeadapp, executionRoleArn: "arn:aws:iam::111122223333:role/r", sparkSubmit: { entryPoint: "s3://jobs/a.py" } }
    target: { engine: sandbox }
  finance:
    channel: C0BILLING
    legacy: { engine: redshift, clusterIdentifier: finance-prod, database: dev, secretArn: "arn:aws:secretsmanager:us-east-1:111122223333:secret:x", sql: "CALL p({{period}})" }
    target: { engine: sandbox }
    outputs:
      - name: revenue
        key: [id]
        legacy: { redshift: finance.revenue, unload: { to: "s3://unload/cutover/{{run}}/", iamRole: "arn:aws:iam::111122223333:role/unload" } }
        target: { redshift: finance.revenue, workgroupName: finance, database: ${missingDb}, directRowsUnder: 100 }
`;

let env: Record<string, string>;
beforeAll(async () => {
  s3 = await startFakeS3();
  s3.put('unload', 'keep', 'x');
  await Promise.all([sfn.start(), emrServerless.start(), redshift.start(), glue.start(), scheduler.start(), events.start()]);
  // The SDK's credential chain reads the process environment, as in a deployment.
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDFAKE');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'fake');
  env = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDFAKE',
    AWS_SECRET_ACCESS_KEY: 'fake',
    AWS_ENDPOINT_URL_SFN: sfn.url,
    AWS_ENDPOINT_URL_EMR_SERVERLESS: emrServerless.url,
    AWS_ENDPOINT_URL_REDSHIFT_DATA: redshift.url,
    AWS_ENDPOINT_URL_GLUE: glue.url,
    AWS_ENDPOINT_URL_S3: s3.url,
    AWS_ENDPOINT_URL_SCHEDULER: scheduler.url,
    AWS_ENDPOINT_URL_EVENTBRIDGE: events.url,
  };
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await Promise.all([sfn.close(), emrServerless.close(), redshift.close(), glue.close(), scheduler.close(), events.close(), s3.close()]);
});

describe('cutover doctor on Step Functions, EMR Serverless, Redshift and Glue', () => {
  it('plans one probe per engine and source, named by the catalog field that needs it', () => {
    const { probes } = planPreflight(parseCatalog(CATALOG), loadConfig({ env: { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' } }));
    const of = (kind: string) => probes.filter((p) => p.target.kind === kind);
    expect(of('sfn.stateMachine').map((p) => p.uses)).toEqual([[{ pipeline: 'billing', field: 'legacy.stateMachineArn' }], [{ pipeline: 'billing-gone', field: 'legacy.stateMachineArn' }]]);
    expect(of('emrServerless.application').map((p) => p.target)).toEqual([{ kind: 'emrServerless.application', applicationId: '00fgoodapp' }, { kind: 'emrServerless.application', applicationId: '00fdeadapp' }]);
    // The engine and the dataset that inherits its connection are one probe with two uses.
    expect(of('redshift.database')).toEqual([
      {
        target: { kind: 'redshift.database', connection: { clusterIdentifier: 'finance-prod', database: 'dev', secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:x' } },
        uses: [{ pipeline: 'finance', field: 'legacy.clusterIdentifier' }, { pipeline: 'finance', field: 'outputs.0.legacy.redshift' }],
      },
      { target: { kind: 'redshift.database', connection: { workgroupName: 'finance', database: missingDb } }, uses: [{ pipeline: 'finance', field: 'outputs.0.target.redshift' }] },
    ]);
    expect(of('glue.table').map((p) => p.target)).toEqual([{ kind: 'glue.table', database: 'analytics', table: 'insights' }, { kind: 'glue.table', database: 'analytics', table: 'events' }]);
    expect(of('s3.prefix').map((p) => p.target)).toEqual([{ kind: 's3.prefix', url: 's3://unload/cutover/' }]);
  });

  it('reaches each through the app\'s clients and reports only what is wrong', async () => {
    const config = loadConfig({ env });
    const report = await runPreflight(parseCatalog(CATALOG), config, { clients: createPreflightClients(config, createLogger({ level: 'silent' })) });
    const lines = report.findings.map(findingLine).filter((l) => !l.includes('Slack'));
    expect(lines).toEqual([
      'billing outputs.0.target.glue: glue analytics.events is stored as ORC (org.apache.hadoop.hive.ql.io.orc.OrcSerde): Cutover reads Parquet, CSV and Delta Glue tables',
      expect.stringMatching(/^billing-gone legacy\.stateMachineArn: Step Functions DescribeStateMachine .*billing-gone: StateMachineDoesNotExist/),
      expect.stringMatching(new RegExp(`^finance outputs\\.0\\.target\\.redshift: Redshift Data ListDatabases on finance/${missingDb}: DatabaseConnectionException: FATAL: database "${missingDb}" does not exist`)),
      'rollup-dead legacy.applicationId: EMR Serverless application 00fdeadapp is TERMINATED: job runs cannot start on it',
    ]);
    expect(redshift.callsTo('ListDatabases')[0]!.input).toMatchObject({ ClusterIdentifier: 'finance-prod', Database: 'dev', SecretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:x' });
    expect(emrServerless.callsTo('GetApplication').map((c) => c.input.applicationId).sort()).toEqual(['00fdeadapp', '00fgoodapp']);
  });
});

/**
 * The legacy-schedule cutover actions name things outside Cutover too: a schedule, a rule, a
 * Redshift scheduled query's rule. A typo there would otherwise surface only when the approved
 * step runs and fails halfway through its actions.
 */
const ACTIONS_CATALOG = `
pipelines:
  billing:
    channel: C0BILLING
    legacy: { engine: stepfunctions, stateMachineArn: "${machine}" }
    target: { engine: sandbox }
    cutover:
      approvers: { users: [U0BOB] }
      steps:
        - id: switch
          actions:
            - scheduler.schedule: { name: billing-monthly, group: etl, state: DISABLED }
            - scheduler.schedule: { name: billing-typo, state: DISABLED }
            - events.rule: { name: billing-rule, state: DISABLED }
            - events.rule: { name: billing-managed, state: DISABLED }
            - redshift.scheduledQuery: { rule: QS2-finance-nightly, state: DISABLED }
            - redshift.scheduledQuery: { rule: billing-rule, state: DISABLED }
          rollback:
            - scheduler.schedule: { name: billing-monthly, group: etl, state: ENABLED }
`;

describe('cutover doctor on the legacy-schedule cutover actions', () => {
  beforeAll(() => {
    const role = 'arn:aws:iam::111122223333:role/scheduler';
    scheduler.put({ Name: 'billing-monthly', GroupName: 'etl', ScheduleExpression: 'cron(0 6 2 * ? *)', FlexibleTimeWindow: { Mode: 'OFF' }, Target: { Arn: machine, RoleArn: role }, State: 'ENABLED' });
    events.put({ Name: 'billing-rule', State: 'ENABLED', ScheduleExpression: 'cron(0 6 2 * ? *)', Targets: [{ Id: 't1', Arn: machine, RoleArn: role }] });
    events.put({ Name: 'billing-managed', State: 'ENABLED', ManagedBy: 'aws.glue', Targets: [{ Id: 't1', Arn: machine }] });
    events.put({ Name: 'QS2-finance-nightly', State: 'ENABLED', ScheduleExpression: 'cron(0 2 * * ? *)', Targets: [{ Id: 'q', Arn: 'arn:aws:redshift:us-east-1:111122223333:cluster:finance-prod', RedshiftDataParameters: { Database: 'dev', Sql: 'CALL finance.nightly()' } }] });
  });

  it('plans one probe per schedule and rule an action names, whatever the state it asks for', () => {
    const { probes } = planPreflight(parseCatalog(ACTIONS_CATALOG), loadConfig({ env: { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' } }));
    const of = (kind: string) => probes.filter((p) => p.target.kind === kind).map((p) => ({ target: p.target, fields: p.uses.map((u) => u.field) }));
    expect(of('scheduler.schedule')).toEqual([
      { target: { kind: 'scheduler.schedule', name: 'billing-monthly', group: 'etl' }, fields: ['cutover.steps.0.actions.0', 'cutover.steps.0.rollback.0'] },
      { target: { kind: 'scheduler.schedule', name: 'billing-typo', group: 'default' }, fields: ['cutover.steps.0.actions.1'] },
    ]);
    expect(of('events.rule').map((p) => p.target)).toEqual([
      { kind: 'events.rule', name: 'billing-rule', redshiftQuery: false },
      { kind: 'events.rule', name: 'billing-managed', redshiftQuery: false },
      { kind: 'events.rule', name: 'QS2-finance-nightly', redshiftQuery: true },
      { kind: 'events.rule', name: 'billing-rule', redshiftQuery: true },
    ]);
  });

  it('finds a missing schedule, a rule it may not change and a scheduled query that is no Redshift query, and changes nothing', async () => {
    const config = loadConfig({ env });
    const report = await runPreflight(parseCatalog(ACTIONS_CATALOG), config, { clients: createPreflightClients(config, createLogger({ level: 'silent' })) });
    const lines = report.findings.map(findingLine).filter((l) => !l.includes('Slack') && !l.includes('Step Functions'));
    expect(lines).toEqual([
      'billing cutover.steps.0.actions.1: EventBridge Scheduler GetSchedule default/billing-typo: ResourceNotFoundException: Schedule billing-typo does not exist.',
      'billing cutover.steps.0.actions.3: EventBridge rule billing-managed is managed by aws.glue: Cutover cannot enable or disable it',
      'billing cutover.steps.0.actions.5: EventBridge rule billing-rule runs no Redshift query (its targets: ' + machine + '): name the scheduled query\'s rule',
    ]);
    expect(scheduler.callsTo('UpdateSchedule')).toEqual([]);
    expect(events.calls.filter((c) => c.operation === 'DisableRule' || c.operation === 'EnableRule')).toEqual([]);
    expect(scheduler.get('etl', 'billing-monthly')!.State).toBe('ENABLED');
  });
});
