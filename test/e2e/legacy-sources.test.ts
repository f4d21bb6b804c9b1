import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDatabricks } from '../fakes/databricks-server.ts';
import { FakeGlue } from '../fakes/glue-server.ts';
import { FakeRedshiftData } from '../fakes/redshift-data-server.ts';
import { startFakeS3, type FakeS3 } from '../fakes/s3-server.ts';
import { FakeStepFunctions } from '../fakes/sfn-server.ts';
import { FakeSlack, type FakeMessage } from '../fakes/slack-server.ts';
import { eventually, SIGNING_SECRET, startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../helpers/redis.ts';
import { postSigned, slashCommandBody } from '../helpers/slack-requests.ts';
import { tempDir, writeFiles } from '../unit/diff/helpers.ts';

/**
 * `/pipeline parallel` where the legacy output is not a path but a table (issue 18): a Glue
 * Data Catalog table (GetTable, GetPartitions, Parquet in the fake S3), and a Redshift table
 * that Cutover UNLOADs itself after the Redshift procedure ran (the fake Data API runs both on
 * PostgreSQL and writes the UNLOAD files into the fake S3). The run in Slack, the diff, what
 * the table resolved to, and the verdict, through the real app in its own process.
 */
const CHANNEL = 'C0SOURCES';
const slack = new FakeSlack();
const databricks = new FakeDatabricks({ tokens: ['dapi-sources'] });
const sfn = new FakeStepFunctions();
const glue = new FakeGlue();
const schema = `cutover_src_${randomBytes(4).toString('hex')}`;
const redis = testRedis();
const prefix = uniquePrefix('e2e-sources');
let s3: FakeS3;
let redshift: FakeRedshiftData;
let app: AppProcess;
let cleanup: () => Promise<void>;

const machineArn = sfn.addStateMachine('billing-glue', { states: ['Extract', 'Load'] });

const CATALOG = `
pipelines:
  billing-glue:
    channel: ${CHANNEL}
    stage: parallel
    legacy: { engine: stepfunctions, stateMachineArn: "${machineArn}", input: { period: "{{period}}" } }
    target: { engine: databricks, jobId: 31, jobParameters: { period: "{{period}}" } }
    outputs:
      - name: billing
        key: [customer_id]
        legacy: { glue: analytics.billing, partition: { period: "{{period}}" } }
        target: { path: "s3://lake/billing/period={{period}}/", format: parquet }
        compare: { ignore: [period] }
        checks:
          - not_null: [segment]
  finance-unload:
    channel: ${CHANNEL}
    stage: parallel
    legacy:
      engine: redshift
      clusterIdentifier: finance-prod
      database: dev
      secretArn: arn:aws:secretsmanager:us-east-1:111122223333:secret:finance-etl
      sql: "CALL ${schema}.build_revenue({{period}})"
    target: { engine: databricks, jobId: 32, jobParameters: { period: "{{period}}" } }
    outputs:
      - name: revenue
        key: [customer_id]
        legacy:
          redshift: ${schema}.revenue
          columns: [customer_id, segment, revenue]
          where: "period = {{period}}"
          unload: { to: "s3://unload/cutover/{{run}}/", iamRole: "arn:aws:iam::111122223333:role/redshift-unload" }
        target: { path: "s3://lake/revenue/period={{period}}/", format: parquet }
        checks:
          - not_null: [segment]
`;

/** The same 500 rows on both sides for 2026-04; for 2026-05 the target has one revenue changed and one customer missing. */
async function seed(): Promise<void> {
  const t = await tempDir();
  cleanup = t.cleanup;
  const rows = (where = '') => `SELECT i::INTEGER AS customer_id, 'academic' AS segment, (i * 2.5)::DECIMAL(12,2) AS revenue FROM range(1, 501) t(i) ${where}`;
  await writeFiles({
    [join(t.dir, 'same.parquet')]: rows(),
    [join(t.dir, 'changed.parquet')]: `SELECT customer_id, segment, CASE WHEN customer_id = 42 THEN revenue + 1 ELSE revenue END AS revenue FROM (${rows('WHERE i <> 77')})`,
  });
  const same = await readFile(join(t.dir, 'same.parquet'));
  glue.addTable('analytics', {
    Name: 'billing',
    PartitionKeys: [{ Name: 'period', Type: 'string' }],
    StorageDescriptor: {
      Location: 's3://legacy/warehouse/billing',
      InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
      Columns: [{ Name: 'customer_id', Type: 'int' }, { Name: 'segment', Type: 'string' }, { Name: 'revenue', Type: 'decimal(12,2)' }],
    },
  });
  for (const period of ['2026-04', '2026-05']) {
    // Glue: the legacy table's partition folders; Databricks: the target's.
    s3.put('legacy', `warehouse/billing/period=${period}/part-00000.snappy.parquet`, same);
    glue.addPartition('analytics', 'billing', [period], `s3://legacy/warehouse/billing/period=${period}`);
    for (const name of ['billing', 'revenue']) s3.put('lake', `${name}/period=${period}/part-0.parquet`, period === '2026-04' ? same : await readFile(join(t.dir, 'changed.parquet')));
  }
  await redshift.pool.query(`
    CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.revenue (customer_id integer, segment varchar(20), revenue numeric(12,2), period varchar(7));
    CREATE PROCEDURE ${schema}.build_revenue(p_period varchar) LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM ${schema}.revenue WHERE period = p_period;
      INSERT INTO ${schema}.revenue SELECT i, 'academic', i * 2.5, p_period FROM generate_series(1, 500) i;
    END $$;`);
}

beforeAll(async () => {
  s3 = await startFakeS3();
  redshift = new FakeRedshiftData({ s3 });
  const [slackUrl, dbUrl] = await Promise.all([slack.start(), databricks.start(), sfn.start(), glue.start(), redshift.start()]);
  databricks.addJob({ jobId: 31, tasks: ['billing'] });
  databricks.addJob({ jobId: 32, tasks: ['revenue'] });
  await seed();
  app = await startAppProcess({
    catalogYaml: CATALOG,
    prefix,
    env: {
      SLACK_API_URL: slackUrl!,
      DATABRICKS_HOST: dbUrl!,
      DATABRICKS_TOKEN: 'dapi-sources',
      AWS_ENDPOINT_URL_S3: s3.url,
      AWS_ENDPOINT_URL_SFN: sfn.url,
      AWS_ENDPOINT_URL_GLUE: glue.url,
      AWS_ENDPOINT_URL_REDSHIFT_DATA: redshift.url,
    },
  });
});

afterAll(async () => {
  await app?.stop();
  await redshift?.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await Promise.all([slack.stop(), databricks.stop(), sfn.close(), glue.close(), redshift?.close(), s3?.close()]);
  await cleanup?.();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

async function parallel(pipeline: string, period: string): Promise<() => FakeMessage | undefined> {
  const id = `par-${pipeline}-${period}`;
  const res = await postSigned(`${app.url}/slack/events`, slashCommandBody({ text: `parallel ${pipeline} --period ${period}`, userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl(id) }), { secret: SIGNING_SECRET });
  expect(res.status).toBe(200);
  const reply = await eventually(() => slack.responses.find((r) => r.id === id)?.body as { text: string } | undefined, 10_000, 'reply');
  expect(reply.text).toMatch(/p-[a-z0-9]+-[a-f0-9]{6}/);
  return () => slack.messages.find((m) => m.channel === CHANNEL && !m.thread_ts && (m.text ?? '').includes(pipeline) && (m.text ?? '').includes(period));
}

const verdict = (message: () => FakeMessage | undefined, word: string) =>
  eventually(() => (new RegExp(word).test(message()?.text ?? '') ? message() : undefined), 90_000, `${word} verdict`);

describe('/pipeline parallel with a Glue table as the legacy output', () => {
  it('resolves the table and its partition through Glue, diffs it like a path and says clean', async () => {
    const final = await verdict(await parallel('billing-glue', '2026-04'), 'clean');
    const blocks = JSON.stringify(final.blocks);
    expect(blocks).toMatch(/succeeded[\s\S]*succeeded/);
    expect(blocks).toMatch(/billing[\s\S]*rows 500 legacy \/ 500 target/);
    expect(blocks).toContain('legacy glue analytics.billing (period=2026-04) read as parquet from s3://legacy/warehouse/billing/period=2026-04');
    expect(blocks).toMatch(/DQ passed/);
    expect(glue.callsTo('GetPartitions').map((c) => c.input.Expression)).toContain("period = '2026-04'");
  });

  it('reports the planted differences as different', async () => {
    const final = await verdict(await parallel('billing-glue', '2026-05'), 'different');
    expect(JSON.stringify(final.blocks)).toMatch(/only legacy 1[\s\S]*changed 1/);
  });
});

describe('/pipeline parallel with a Redshift procedure as legacy and the Redshift table it fills as the legacy output', () => {
  it('calls the procedure once, UNLOADs the period\'s rows, diffs them, says clean and leaves no UNLOAD files', async () => {
    const final = await verdict(await parallel('finance-unload', '2026-04'), 'clean');
    const blocks = JSON.stringify(final.blocks);
    expect(blocks).toContain('Redshift');
    expect(blocks).toMatch(/revenue[\s\S]*rows 500 legacy \/ 500 target/);
    expect(blocks).toMatch(new RegExp(`legacy redshift ${schema}\\.revenue \\(where:\\) read as parquet from s3://unload/cutover/cutover_\\w+/`));
    const sqls = redshift.callsTo('ExecuteStatement').map((c) => c.input);
    expect(sqls.filter((i) => String(i.Sql).startsWith('CALL'))).toHaveLength(1);
    const insert = sqls.find((i) => String(i.Sql).startsWith('INSERT'))!;
    expect(insert.Sql).toBe(`INSERT INTO cutover_${String(insert.Sql).split('cutover_')[1]!.split(' ')[0]} SELECT customer_id, segment, revenue FROM ${schema}.revenue WHERE period = :period`);
    expect(insert.Parameters).toEqual([{ name: 'period', value: '2026-04' }]);
    expect(sqls.some((i) => /^UNLOAD \('SELECT \* FROM cutover_\w+'\) TO 's3:\/\/unload\/cutover\/cutover_\w+\/'/.test(String(i.Sql)))).toBe(true);
    expect(s3.keys('unload')).toEqual([]);
  });

  it('reports the planted differences as different', async () => {
    const final = await verdict(await parallel('finance-unload', '2026-05'), 'different');
    expect(JSON.stringify(final.blocks)).toMatch(/only legacy 1[\s\S]*changed 1/);
    expect(s3.keys('unload')).toEqual([]);
  });
});
