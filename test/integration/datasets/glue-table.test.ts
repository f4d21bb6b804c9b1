import { GetPartitionsCommand, GetTableCommand, GlueClient } from '@aws-sdk/client-glue';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Access, registerDataset, type S3Access } from '../../../src/datasets/index.ts';
import { withDuckDb } from '../../../src/diff/duckdb-session.ts';
import { diffDatasets } from '../../../src/diff/index.ts';
import { FakeGlue, type FakeTable } from '../../fakes/glue-server.ts';
import { startFakeS3, type FakeS3 } from '../../fakes/s3-server.ts';
import { DeltaWriter, tableObjects } from '../../helpers/delta-writer.ts';
import { tempDir, writeFiles } from '../../unit/diff/helpers.ts';

/**
 * Glue tables as dataset sources, through the real GlueClient and S3Client against fakes that
 * speak their protocols: GetTable says where and in which format, GetPartitions which folders.
 */
const glue = new FakeGlue({ pageSize: 1 });
let s3: FakeS3;
let access: S3Access;
let client: GlueClient;
let cleanup: () => Promise<void>;

const PARQUET: FakeTable['StorageDescriptor'] = {
  InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  OutputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
};
const TEXT = { InputFormat: 'org.apache.hadoop.mapred.TextInputFormat', OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat' };

beforeAll(async () => {
  const t = await tempDir();
  cleanup = t.cleanup;
  s3 = await startFakeS3();
  const glueUrl = await glue.start();
  access = createS3Access({ endpoint: s3.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  client = new GlueClient({ endpoint: glueUrl, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  // Parquet, partitioned by period and region: three partitions, two of them for 2026-04.
  const rows = (from: number, to: number) => `SELECT i::INTEGER AS customer_id, 'academic' AS segment, (i * 2.5)::DECIMAL(10,2) AS revenue FROM range(${from}, ${to}) t(i)`;
  await writeFiles({ [join(t.dir, 'a.parquet')]: rows(1, 4), [join(t.dir, 'b.parquet')]: rows(4, 6), [join(t.dir, 'c.parquet')]: rows(100, 110) });
  s3.put('legacy', 'warehouse/insights/period=2026-04/region=eu/part-0.parquet', await readFile(join(t.dir, 'a.parquet')));
  s3.put('legacy', 'warehouse/insights/period=2026-04/region=us/part-0.parquet', await readFile(join(t.dir, 'b.parquet')));
  s3.put('legacy', 'warehouse/insights/period=2026-05/region=eu/part-0.parquet', await readFile(join(t.dir, 'c.parquet')));
  glue.addTable('analytics', {
    Name: 'insights',
    PartitionKeys: [{ Name: 'period', Type: 'string' }, { Name: 'region', Type: 'string' }],
    StorageDescriptor: { ...PARQUET, Location: 's3a://legacy/warehouse/insights', Columns: [{ Name: 'customer_id', Type: 'int' }, { Name: 'segment', Type: 'string' }, { Name: 'revenue', Type: 'decimal(10,2)' }] },
  });
  glue.addPartition('analytics', 'insights', ['2026-04', 'eu'], 's3://legacy/warehouse/insights/period=2026-04/region=eu');
  glue.addPartition('analytics', 'insights', ['2026-04', 'us'], 's3://legacy/warehouse/insights/period=2026-04/region=us');
  glue.addPartition('analytics', 'insights', ['2026-05', 'eu'], 's3://legacy/warehouse/insights/period=2026-05/region=eu');
  // CSV (LazySimpleSerDe, `;`, a header line), partitioned by an int year.
  s3.put('legacy', 'csv/sales/year=2026/part-0.csv', 'id;amount;note\n1;10.50;first\n2;\\N;"quoted"\n');
  glue.addTable('analytics', {
    Name: 'sales',
    Parameters: { 'skip.header.line.count': '1', classification: 'csv' },
    PartitionKeys: [{ Name: 'year', Type: 'int' }],
    StorageDescriptor: { ...TEXT, Location: 's3://legacy/csv/sales/', SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe', Parameters: { 'field.delim': ';' } }, Columns: [{ Name: 'id', Type: 'bigint' }, { Name: 'amount', Type: 'decimal(8,2)' }, { Name: 'note', Type: 'string' }] },
  });
  glue.addPartition('analytics', 'sales', ['2026'], 's3://legacy/csv/sales/year=2026/');
  // OpenCSVSerde, unpartitioned.
  s3.put('legacy', 'csv/contacts/contacts.csv', 'id|name\n1|"Smith| J"\n');
  glue.addTable('analytics', {
    Name: 'contacts',
    Parameters: { 'skip.header.line.count': '1' },
    StorageDescriptor: { ...TEXT, Location: 's3://legacy/csv/contacts/', SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.serde2.OpenCSVSerde', Parameters: { separatorChar: '|', quoteChar: '"' } }, Columns: [{ Name: 'id', Type: 'string' }, { Name: 'name', Type: 'string' }] },
  });
  // Delta, registered by Athena (table_type) and partitioned by period in its log.
  const w = await DeltaWriter.create(join(t.dir, 'delta'), [{ name: 'customer_id', type: 'integer' }, { name: 'period', type: 'string' }], { partitionColumns: ['period'] });
  await w.append([await w.dataFile(`SELECT i::INTEGER AS customer_id FROM range(1, 6) t(i)`, { partition: { period: '2026-04' } }), await w.dataFile(`SELECT i::INTEGER AS customer_id FROM range(6, 9) t(i)`, { partition: { period: '2026-05' } })]);
  await w.close();
  for (const o of await tableObjects(w.root, 'delta/accounts/')) s3.put('lake', o.key, o.body);
  glue.addTable('analytics', { Name: 'accounts', Parameters: { table_type: 'DELTA' }, PartitionKeys: [{ Name: 'period', Type: 'string' }], StorageDescriptor: { Location: 's3://lake/delta/accounts/' } });
  // Formats Cutover refuses by name.
  glue.addTable('analytics', { Name: 'events_orc', StorageDescriptor: { Location: 's3://legacy/orc/', InputFormat: 'org.apache.hadoop.hive.ql.io.orc.OrcInputFormat', SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.orc.OrcSerde' } } });
  glue.addTable('analytics', { Name: 'events_avro', StorageDescriptor: { Location: 's3://legacy/avro/', InputFormat: 'org.apache.hadoop.hive.ql.io.avro.AvroContainerInputFormat', SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.serde2.avro.AvroSerDe' } } });
  glue.addTable('analytics', { Name: 'events_iceberg', TableType: 'EXTERNAL_TABLE', Parameters: { table_type: 'iceberg', metadata_location: 's3://legacy/iceberg/metadata/00001.metadata.json' }, StorageDescriptor: { Location: 's3://legacy/iceberg/' } });
});

afterAll(async () => {
  client.destroy();
  access.client.destroy();
  await Promise.all([glue.close(), s3.close()]);
  await cleanup();
});

const read = (dataset: Parameters<typeof registerDataset>[2]) =>
  withDuckDb({ threads: 1 }, async (db) => {
    const r = await registerDataset(db, 'legacy', dataset, { s3: access, glue: client });
    return { ...r, rows: await db.all(`SELECT * FROM ${r.view} ORDER BY ALL`) };
  });

describe('glue: datasets', () => {
  it('reads the partitions GetPartitions finds for the values, with the partition values as typed columns', async () => {
    const r = await read({ glue: 'analytics.insights', partition: { period: '2026-04' } });
    expect(r.rows.map((x) => [x.customer_id, x.period, x.region])).toEqual([[1, '2026-04', 'eu'], [2, '2026-04', 'eu'], [3, '2026-04', 'eu'], [4, '2026-04', 'us'], [5, '2026-04', 'us']]);
    expect(r.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['customer_id INTEGER', 'segment VARCHAR', 'revenue DECIMAL(10,2)', 'period VARCHAR', 'region VARCHAR']);
    expect(r.source).toEqual({ format: 'parquet', location: 's3://legacy/warehouse/insights/period=2026-04/region=eu and 1 more', from: 'glue analytics.insights (period=2026-04)' });
    const calls = glue.callsTo('GetPartitions');
    // pageSize 1: the reader followed NextToken to the end.
    expect(calls.at(-1)!.input).toMatchObject({ DatabaseName: 'analytics', TableName: 'insights', Expression: "period = '2026-04'", ExcludeColumnSchema: true });
    expect(calls.filter((c) => c.input.Expression === "period = '2026-04'").length).toBe(2);
  });

  it('a value with a quote stays a literal in the expression and matches nothing', async () => {
    await expect(read({ glue: 'analytics.insights', partition: { period: "2026-04' OR period <> '" } })).rejects.toThrow(/no partition where period = '2026-04'' OR period <> '''/);
  });

  it('a name that is not a partition key is refused, listing the keys', async () => {
    await expect(read({ glue: 'analytics.insights', partition: { month: '04' } })).rejects.toThrow(/"month" is not a partition key of the table \(its keys: period, region\)/);
  });

  it('reads a LazySimpleSerDe CSV table with its delimiter, header, \\N NULLs and column types; an int key is compared as a number', async () => {
    const r = await read({ glue: 'analytics.sales', partition: { year: '2026' } });
    expect(r.rows).toEqual([{ id: '1', amount: '10.50', note: 'first', year: 2026 }, { id: '2', amount: null, note: '"quoted"', year: 2026 }]);
    expect(r.source.format).toBe('csv');
    expect(glue.callsTo('GetPartitions').at(-1)!.input.Expression).toBe('year = 2026');
  });

  it('reads an OpenCSVSerde table with its separator and quotes', async () => {
    const r = await read({ glue: 'analytics.contacts' });
    expect(r.rows).toEqual([{ id: '1', name: 'Smith| J' }]);
    expect(r.source).toMatchObject({ format: 'csv', location: 's3://legacy/csv/contacts/' });
  });

  it('reads a Delta table (table_type DELTA) from its log, filtered on the partition values', async () => {
    const r = await read({ glue: 'analytics.accounts', partition: { period: '2026-05' } });
    expect(r.rows).toEqual([{ customer_id: 6, period: '2026-05' }, { customer_id: 7, period: '2026-05' }, { customer_id: 8, period: '2026-05' }]);
    expect(r.source).toMatchObject({ format: 'delta', version: 1, location: 's3://lake/delta/accounts/' });
  });

  it.each([
    ['events_orc', /stored as ORC/],
    ['events_avro', /stored as Avro/],
    ['events_iceberg', /is an Iceberg table/],
  ])('refuses %s by name', async (table, message) => {
    const err = await read({ glue: `analytics.${table}` }).catch((e: unknown) => e as Error & { code?: string });
    expect(err).toMatchObject({ code: 'unsupported' });
    expect((err as Error).message).toMatch(message);
  });

  it('an unknown table is Glue\'s EntityNotFoundException, not retried', async () => {
    const err = (await read({ glue: 'analytics.nope' }).catch((e: unknown) => e)) as { apiCode?: string; retryable?: boolean; message: string };
    expect(err).toMatchObject({ apiCode: 'EntityNotFoundException', retryable: false });
    expect(err.message).toContain('Table nope not found');
  });

  it('diffs like any path: a Glue Parquet partition against Parquet files', async () => {
    const t = await tempDir();
    await writeFiles({ [join(t.dir, 'target.parquet')]: `SELECT i::INTEGER AS customer_id, 'academic' AS segment, (i * 2.5)::DECIMAL(10,2) AS revenue, '2026-05' AS period, 'eu' AS region FROM range(100, 110) t(i)` });
    const report = await diffDatasets({ legacy: { glue: 'analytics.insights', partition: { period: '2026-05' } }, target: { path: join(t.dir, 'target.parquet') }, key: ['customer_id'], access: { s3: access, glue: client } });
    await t.cleanup();
    expect(report.verdict).toBe('clean');
    expect(report.counts.legacy).toBe(10);
    expect(report.sources?.legacy).toMatchObject({ format: 'parquet', from: 'glue analytics.insights (period=2026-05)' });
  });
});

describe('the fake Glue refuses what Glue refuses', () => {
  it.each([
    ['GetTable without DatabaseName', () => new GetTableCommand({ Name: 'insights' } as never), /InvalidInputException|DatabaseName/],
    ['GetTable without Name', () => new GetTableCommand({ DatabaseName: 'analytics' } as never), /Name/],
    ['GetPartitions without TableName', () => new GetPartitionsCommand({ DatabaseName: 'analytics' } as never), /TableName/],
    ['MaxResults 0', () => new GetPartitionsCommand({ DatabaseName: 'analytics', TableName: 'insights', MaxResults: 0 }), /maxResults/],
    ['MaxResults 1001', () => new GetPartitionsCommand({ DatabaseName: 'analytics', TableName: 'insights', MaxResults: 1001 }), /maxResults/],
    ['a Segment beyond its total', () => new GetPartitionsCommand({ DatabaseName: 'analytics', TableName: 'insights', Segment: { SegmentNumber: 2, TotalSegments: 2 } }), /Segment number/],
    ['11 segments', () => new GetPartitionsCommand({ DatabaseName: 'analytics', TableName: 'insights', Segment: { SegmentNumber: 0, TotalSegments: 11 } }), /totalSegments/],
    ['an expression on a non-key column', () => new GetPartitionsCommand({ DatabaseName: 'analytics', TableName: 'insights', Expression: "segment = 'x'" }), /not a partition key/],
    ['an unparsable expression', () => new GetPartitionsCommand({ DatabaseName: 'analytics', TableName: 'insights', Expression: "period = '2026" }), /Unsupported expression/],
  ])('%s', async (_name, command, message) => {
    const err = (await client.send(command() as never).catch((e: unknown) => e)) as { name: string; message: string };
    expect(err.name).toBe('InvalidInputException');
    expect(err.message).toMatch(message);
  });

  it('an unknown database is EntityNotFoundException', async () => {
    await expect(client.send(new GetTableCommand({ DatabaseName: 'nope', Name: 'insights' }))).rejects.toMatchObject({ name: 'EntityNotFoundException' });
  });

  it('evaluates IN, BETWEEN, OR and parentheses', async () => {
    const values = async (Expression: string) => ((await client.send(new GetPartitionsCommand({ DatabaseName: 'analytics', TableName: 'insights', Expression, MaxResults: 10 }))).Partitions ?? []).map((p) => p.Values!.join('/'));
    expect(await values("period IN ('2026-05') OR (region = 'us' AND period BETWEEN '2026-01' AND '2026-04')")).toEqual(['2026-04/us', '2026-05/eu']);
    expect(await values("NOT region = 'eu'")).toEqual(['2026-04/us']);
  });
});
