import { readFile } from 'node:fs/promises';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDatabricks } from '../fakes/databricks-server.ts';
import { FakeEmr } from '../fakes/emr-server.ts';
import { startFakeS3, type FakeS3 } from '../fakes/s3-server.ts';
import { FakeSlack } from '../fakes/slack-server.ts';
import { eventually, SIGNING_SECRET, startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { DeltaWriter, tableObjects, type AddAction } from '../helpers/delta-writer.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../helpers/redis.ts';
import { postSigned, slashCommandBody } from '../helpers/slack-requests.ts';
import { tempDir, writeFiles } from '../unit/diff/helpers.ts';

/**
 * `/pipeline parallel` where the legacy output is EMR Parquet in S3 and the target is a Unity
 * Catalog table: the app asks the fake Databricks for the table's metadata and temporary READ
 * credentials, and the fake S3 serves the table's objects only to those credentials. The
 * Databricks run's task writes a commit naming its job run; another writer commits after it.
 * The diff must read the run's version, not the newest one, and say which it read.
 */
const CHANNEL = 'C0DELTAUC';
const TABLE_ID = '2f6c1c1e-8b0e-4f43-9d8a-0d7b1d1d5a10';
const UC_KEY = 'ASIAUCTEMPREAD0001';
const CATALOG = `
pipelines:
  insights-uc:
    channel: ${CHANNEL}
    stage: parallel
    legacy:
      engine: emr
      clusterId: j-ABC123
      step: { name: insights, args: [spark-submit, s3://jobs/insights.py, --period, "{{period}}"] }
    target: { engine: databricks, jobId: 9, jobParameters: { period: "{{period}}" } }
    outputs:
      - name: insights
        key: [customer_id]
        legacy: { path: "s3://legacy/out/period={{period}}/", format: parquet }
        target: { table: main.curated.insights }
        checks:
          - row_count: { min: 1000 }
`;

const slack = new FakeSlack();
const databricks = new FakeDatabricks({ tokens: ['dapi-uc'] });
const redis = testRedis();
const prefix = uniquePrefix('e2e-delta-uc');
let emr: FakeEmr;
let s3: FakeS3;
let app: AppProcess;
let cleanup: () => Promise<void>;
let writer: DeltaWriter;
const committed: Array<{ version: number; jobRunId?: string }> = [];

const rows = (from: number, to: number, extra = '') => `SELECT i::BIGINT AS customer_id, 'academic' AS segment, i * 1.5 AS revenue FROM range(${from}, ${to}) t(i) ${extra}`;

beforeAll(async () => {
  const t = await tempDir();
  cleanup = t.cleanup;
  emr = await FakeEmr.start({ clusters: ['j-ABC123'] });
  s3 = await startFakeS3();
  const [slackUrl, dbUrl] = await Promise.all([slack.start(), databricks.start()]);
  databricks.addJob({ jobId: 9, tasks: ['build'] });
  databricks.addUnityCatalogTable({
    fullName: 'main.curated.insights',
    tableId: TABLE_ID,
    storageLocation: 's3://lake/uc/insights',
    credentials: { access_key_id: UC_KEY, secret_access_key: 'uc-secret', session_token: 'uc-session' },
  });
  s3.restrict('lake', 'uc/insights/', UC_KEY);

  // Legacy: what EMR wrote, 1,000 customers.
  await writeFiles({ [join(t.dir, 'legacy.parquet')]: rows(1, 1001) });
  s3.put('legacy', 'out/period=2026-07/part-00000.snappy.parquet', await readFile(join(t.dir, 'legacy.parquet')));

  // The table before the run: last month's rows.
  writer = await DeltaWriter.create(join(t.dir, 'insights'), [
    { name: 'customer_id', type: 'long' },
    { name: 'segment', type: 'string' },
    { name: 'revenue', type: 'decimal(18,1)' },
  ], { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] } });
  const old = await writer.dataFile(rows(1, 901));
  await writer.append([old]);
  // What the run will write: 1,010 rows, 10 of them deleted through a deletion vector in the same commit.
  const fresh = await writer.withDeletionVector(await writer.dataFile(rows(1, 1011)), Array.from({ length: 10 }, (_, i) => 1000 + i));
  // What another writer will add after the run's commit.
  const later: AddAction = await writer.dataFile(rows(5000, 5005));
  const upload = async () => {
    for (const o of await tableObjects(writer.root, 'uc/insights/')) if (!o.key.includes('_delta_log/')) s3.put('lake', o.key, o.body);
  };
  await upload();
  for (const o of await tableObjects(join(writer.root, '_delta_log'), 'uc/insights/_delta_log/')) s3.put('lake', o.key, o.body);

  databricks.onTaskSucceeded((task) => {
    // The job run's commit (Databricks names the job run in commitInfo), then another writer's.
    const job = { jobId: String(task.jobId), jobName: 'insights', jobRunId: String(task.runId), runId: String(task.taskRunId), jobOwnerId: '1', triggerType: 'manual' };
    const run = writer.stageCommit([{ remove: { path: old.path, deletionTimestamp: Date.now(), dataChange: true } }, { add: fresh }], { operation: 'WRITE', job });
    s3.put('lake', `uc/insights/_delta_log/${run.name}`, run.text);
    committed.push({ version: run.version, jobRunId: job.jobRunId });
    const other = writer.stageCommit([{ add: later }], { operation: 'WRITE', engineInfo: 'another-writer' });
    s3.put('lake', `uc/insights/_delta_log/${other.name}`, other.text);
    committed.push({ version: other.version });
  });

  app = await startAppProcess({
    catalogYaml: CATALOG,
    prefix,
    env: { SLACK_API_URL: slackUrl, DATABRICKS_HOST: dbUrl, DATABRICKS_TOKEN: 'dapi-uc', AWS_ENDPOINT_URL_EMR: emr.url, AWS_ENDPOINT_URL_S3: s3.url },
  });
});

afterAll(async () => {
  await app?.stop();
  await Promise.all([slack.stop(), databricks.stop(), emr?.close(), s3?.close()]);
  await writer?.close();
  await cleanup?.();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

describe('/pipeline parallel with a Unity Catalog table as the target', () => {
  it('reads the version the Databricks run committed through Unity Catalog credentials, and says so', async () => {
    emr.script('insights', { outcome: 'succeed' });
    const res = await postSigned(`${app.url}/slack/events`, slashCommandBody({ text: 'parallel insights-uc --period 2026-07', userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl('par') }), { secret: SIGNING_SECRET });
    expect(res.status).toBe(200);
    const message = () => slack.messages.find((m) => m.channel === CHANNEL && !m.thread_ts && (m.text ?? '').includes('2026-07'));
    const final = await eventually(() => (/clean|different|failed/.test(message()?.text ?? '') ? message() : undefined), 90_000, 'a verdict');
    const blocks = JSON.stringify(final.blocks);
    expect(final.text, blocks).toMatch(/clean/);
    // The run committed version 2; version 3 (another writer, 5 more rows) was not read.
    expect(committed).toEqual([{ version: 2, jobRunId: expect.any(String) }, { version: 3 }]);
    expect(blocks).toMatch(/target Delta v2 \(/);

    // Unity Catalog: the table's metadata, then READ credentials for its id.
    expect(databricks.requests.some((r) => r.method === 'GET' && r.path === '/api/2.1/unity-catalog/tables/main.curated.insights')).toBe(true);
    const creds = databricks.requests.filter((r) => r.path.endsWith('/unity-catalog/temporary-table-credentials'));
    expect(creds.length).toBeGreaterThan(0);
    expect(creds[0]!.body).toEqual({ table_id: TABLE_ID, operation: 'READ' });
    // Every request for the table's objects carried the temporary credentials; the legacy bucket the app's own.
    const tableRequests = s3.requests.map((r, i) => ({ r, key: s3.accessKeys[i] })).filter((x) => x.r.includes('/lake/'));
    expect(tableRequests.length).toBeGreaterThan(0);
    expect(tableRequests.every((x) => x.key === UC_KEY)).toBe(true);
    expect(s3.requests.map((r, i) => ({ r, key: s3.accessKeys[i] })).filter((x) => x.r.includes('/legacy/')).every((x) => x.key === 'AKIDFAKE')).toBe(true);
    // The other writer's file was never fetched.
    expect(s3.requests.some((r) => r.includes('part-00002-'))).toBe(false);
    // The fake S3 serves the table only to the temporary credentials, and them nothing else.
    const get = async (bucket: string, key: string, accessKeyId: string) => {
      const client = new S3Client({ endpoint: s3.url, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey: 'x' } });
      try {
        await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return 200;
      } catch (err) {
        return (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      } finally {
        client.destroy();
      }
    };
    const logKey = 'uc/insights/_delta_log/00000000000000000000.json';
    expect(await get('lake', logKey, UC_KEY)).toBe(200);
    expect(await get('lake', logKey, 'AKIDFAKE')).toBe(403);
    expect(await get('legacy', 'out/period=2026-07/part-00000.snappy.parquet', UC_KEY)).toBe(403);

    // The JSON report file names the version and commit time per side.
    const file = await eventually(() => slack.files.find((f) => f.completed && f.filename.endsWith('-diff.json')), 20_000, 'JSON report');
    const report = JSON.parse(file.bytes!.toString('utf8')) as { outputs: Record<string, { report: { sources: { target: { format: string; version: number; committedAt: string; location: string } } } }> };
    expect(report.outputs.insights?.report.sources.target).toMatchObject({ format: 'delta', version: 2, location: 's3://lake/uc/insights' });
    expect(Date.parse(report.outputs.insights!.report.sources.target.committedAt)).toBeGreaterThan(0);
  });
});
