import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAirflow } from '../../fakes/airflow-server.ts';
import { FakeDatabricks } from '../../fakes/databricks-server.ts';
import { startFakeSqlWarehouse, type FakeSqlWarehouse } from '../../fakes/databricks-sql-server.ts';
import { FakeEmr } from '../../fakes/emr-server.ts';
import { startFakeS3, type FakeS3 } from '../../fakes/s3-server.ts';
import { FakeSlack } from '../../fakes/slack-server.ts';
import { FakeSns } from '../../fakes/sns-server.ts';
import { runCutoverCli } from '../../helpers/cli-process.ts';

const TOPIC = 'arn:aws:sns:us-east-1:111122223333:data-quality-alerts';
const CATALOG = (extra = '') => `
pipelines:
  incites-monthly:
    channel: C0PIPELINES
    legacy: { engine: airflow, dagId: incites_monthly }
    target: { engine: databricks, jobId: 123 }
    outputs:
      - name: insights
        key: [id]
        legacy: { path: "s3://legacy/out/insights/period={{period}}/" }
        target: { path: "s3://lake/out/insights/period={{period}}/" }
  orders-monthly:
    channel: C0ORDERS
    legacy: { engine: emr, clusterId: j-ORDERS1, step: { name: orders, args: [spark-submit, s3://jobs/orders.py] } }
    target: { engine: databricks, jobId: 456 }
${extra}
alerts:
  snsTopicArn: ${TOPIC}
`;

/**
 * `cutover doctor` as a user runs it, against fakes of every service speaking the real wire
 * protocols, reached through the same clients and settings as `npm start`.
 */
describe('cutover doctor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-doctor-'));
  const slack = new FakeSlack({ channels: { C0PIPELINES: {}, C0ORDERS: {} } });
  const databricks = new FakeDatabricks();
  const sns = new FakeSns([TOPIC]);
  let warehouse: FakeSqlWarehouse;
  let airflow: FakeAirflow;
  let emr: FakeEmr;
  let s3: FakeS3;
  let env: Record<string, string>;

  beforeAll(async () => {
    const slackUrl = await slack.start();
    await databricks.start();
    warehouse = await startFakeSqlWarehouse({ token: 'dapi-fake-token', answer: () => ({ rows: [] }), warehouses: { w1: 'STOPPED' } });
    databricks.forwardSqlTo(warehouse.url);
    airflow = await FakeAirflow.start({ dags: ['incites_monthly'] });
    emr = await FakeEmr.start({ clusters: ['j-ORDERS1'] });
    s3 = await startFakeS3();
    s3.put('legacy', 'out/insights/period=2024-05/part-0.parquet', 'x');
    s3.put('lake', 'out/insights/period=2024-05/part-0.parquet', 'x');
    await sns.start();
    databricks.addJob({ jobId: 123 });
    databricks.addJob({ jobId: 456 });
    env = {
      SLACK_BOT_TOKEN: 'xoxb-doctor', SLACK_SIGNING_SECRET: 'secret', SLACK_API_URL: slackUrl,
      DATABRICKS_HOST: databricks.url, DATABRICKS_TOKEN: 'dapi-fake-token', DATABRICKS_WAREHOUSE_ID: 'w1',
      AIRFLOW_URL: airflow.url, AIRFLOW_TOKEN: airflow.token,
      AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDFAKE', AWS_SECRET_ACCESS_KEY: 'fake-secret',
      AWS_ENDPOINT_URL_EMR: emr.url, AWS_ENDPOINT_URL_S3: s3.url, AWS_ENDPOINT_URL_SNS: sns.url,
    };
  });
  afterAll(async () => {
    await Promise.all([slack.stop(), databricks.stop(), warehouse.close(), airflow.close(), emr.close(), s3.close(), sns.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const doctor = (catalog: string, extraEnv: Record<string, string> = {}, ...flags: string[]) => {
    const file = join(dir, `pipelines-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, catalog);
    return runCutoverCli(['doctor', '--catalog', file, ...flags], { ...env, ...extraEnv });
  };

  it('exits 0 when every engine, bucket, topic, warehouse and channel is reachable', async () => {
    const result = await doctor(CATALOG());
    expect(result.stderr).not.toContain('cutover doctor:');
    expect(result.stdout).toMatch(/: ready \(\d+ targets reached\)\n$/);
    expect(result.code).toBe(0);
    // It really asked each service, through the app's own clients.
    expect(databricks.requests.filter((r) => r.path === '/api/2.1/jobs/get').map((r) => r.query.job_id).sort()).toEqual(['123', '456']);
    expect(emr.requests.map((r) => r.operation)).toContain('DescribeCluster');
    expect(sns.requests.map((r) => r.Action)).toContain('GetTopicAttributes');
    expect(warehouse.requests).toContain('GET /api/2.0/sql/warehouses/w1');
    expect(slack.calls.map((c) => c.method)).toEqual(expect.arrayContaining(['auth.test', 'conversations.info']));
  });

  it('exits 1 with one line per problem, each naming the pipeline and the field that needs it', async () => {
    emr.terminate('j-ORDERS1');
    airflow.stopScheduler();
    const broken = CATALOG(`  payments-monthly:
    channel: C0GONE
    legacy: { engine: airflow, dagId: payments_monthly }
    target: { engine: databricks, jobId: 999 }
    outputs:
      - name: payments
        key: [id]
        legacy: { path: "s3://no-such-bucket/payments/" }
        target: { path: "s3://lake/payments/" }
`);
    const result = await doctor(broken, { DATABRICKS_WAREHOUSE_ID: 'w-gone' });
    expect(result.code).toBe(1);
    const lines = result.stdout.trim().split('\n');
    expect(lines.slice(0, -1)).toEqual([
      'AIRFLOW_URL: Airflow is not healthy: scheduler unhealthy',
      expect.stringMatching(/^DATABRICKS_WAREHOUSE_ID: Databricks SQL warehouse w-gone: RESOURCE_DOES_NOT_EXIST: .*Unable to find warehouse w-gone/),
      'orders-monthly legacy.clusterId: EMR cluster j-ORDERS1 is TERMINATED: steps cannot be added to it',
      'payments-monthly channel: Slack conversations.info C0GONE: channel_not_found',
      expect.stringMatching(/^payments-monthly legacy\.dagId: Airflow DAG payments_monthly: .*404.*not found/),
      'payments-monthly outputs.0.legacy.path: S3 list s3://no-such-bucket/payments/: NoSuchBucket: The specified bucket does not exist',
      'payments-monthly target.jobId: Databricks jobs/get 999: RESOURCE_DOES_NOT_EXIST: Job 999 does not exist.',
    ]);
    expect(lines.at(-1)).toMatch(/: 7 problems \(\d+ targets reached\)$/);
  });

  it('names missing settings without reaching anything, and prints JSON with --json', async () => {
    const result = await doctor(CATALOG(), { AIRFLOW_URL: '', DATABRICKS_HOST: '' }, '--json');
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as { ok: boolean; findings: Array<{ pipeline?: string; field: string; problem: string }> };
    expect(report.ok).toBe(false);
    expect(report.findings).toEqual(
      expect.arrayContaining([
        { pipeline: 'incites-monthly', field: 'legacy.engine', problem: 'needs AIRFLOW_URL (and AIRFLOW_TOKEN, or AIRFLOW_USERNAME and AIRFLOW_PASSWORD, unless the API is open)' },
        { pipeline: 'orders-monthly', field: 'target.engine', problem: expect.stringContaining('needs DATABRICKS_HOST') },
      ]),
    );
  });
});
