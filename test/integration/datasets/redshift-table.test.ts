import { ExecuteStatementCommand, GetStatementResultCommand, RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Access, registerDataset, type RedshiftDataset, type S3Access } from '../../../src/datasets/index.ts';
import { withDuckDb } from '../../../src/diff/duckdb-session.ts';
import { FakeRedshiftData } from '../../fakes/redshift-data-server.ts';
import { startFakeS3, type FakeS3 } from '../../fakes/s3-server.ts';

/**
 * `redshift:` datasets through the real RedshiftDataClient and S3Client: the fake Data API runs
 * the statements on PostgreSQL and writes UNLOAD's files into the fake S3.
 */
const schema = `cutover_rs_${randomBytes(4).toString('hex')}`;
let s3: FakeS3;
let access: S3Access;
let redshift: FakeRedshiftData;
let client: RedshiftDataClient;

const base = (over: Partial<RedshiftDataset> = {}): RedshiftDataset => ({
  redshift: `${schema}.revenue`,
  where: 'period = :period',
  parameters: { period: '2026-04' },
  columns: ['customer_id', 'segment', 'revenue', 'note'],
  clusterIdentifier: 'finance-prod',
  database: 'dev',
  secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:finance',
  unload: { to: 's3://unload/cutover/{{run}}/', iamRole: 'arn:aws:iam::111122223333:role/redshift-unload', format: 'parquet' },
  ...over,
});

beforeAll(async () => {
  s3 = await startFakeS3();
  s3.put('unload', 'keep/other-file', 'not ours');
  // Each read leaves its Data API session open for its keep-alive, as on Redshift: this file's
  // reads need more sessions than the fake's default limit (which a real cluster's 500 are not).
  redshift = new FakeRedshiftData({ s3, pageSize: 2, maxSessions: 16 });
  const url = await redshift.start();
  access = createS3Access({ endpoint: s3.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  client = new RedshiftDataClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await redshift.pool.query(`
    CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.revenue (customer_id integer, segment varchar(20), revenue numeric(12,2), note varchar(100), period varchar(7));
    INSERT INTO ${schema}.revenue SELECT i, 'academic', i * 2.5, NULL, '2026-04' FROM generate_series(1, 5) i;
    INSERT INTO ${schema}.revenue VALUES (6, 'corporate', 1.25, E'a|b\\nc\\\\d', '2026-04'), (7, 'government', 9.99, 'other period', '2026-05');`);
});

afterAll(async () => {
  await redshift.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  client.destroy();
  access.client.destroy();
  await redshift.close();
  await s3.close();
});

const read = (dataset: RedshiftDataset) =>
  withDuckDb({ threads: 1 }, async (db) => {
    const r = await registerDataset(db, 'legacy', dataset, { s3: access, redshiftData: client });
    return { ...r, rows: await db.all(`SELECT * FROM ${r.view} ORDER BY customer_id`) };
  });

const EXPECTED = [
  { customer_id: 1, segment: 'academic', revenue: '2.50', note: null },
  { customer_id: 2, segment: 'academic', revenue: '5.00', note: null },
  { customer_id: 3, segment: 'academic', revenue: '7.50', note: null },
  { customer_id: 4, segment: 'academic', revenue: '10.00', note: null },
  { customer_id: 5, segment: 'academic', revenue: '12.50', note: null },
  { customer_id: 6, segment: 'corporate', revenue: '1.25', note: 'a|b\nc\\d' },
];

describe('redshift: datasets', () => {
  it('stages the rows with the where: value bound, UNLOADs them as Parquet, reads them typed, and deletes only its own files', async () => {
    const before = redshift.calls.length;
    const r = await read(base());
    expect(r.rows).toEqual(EXPECTED);
    expect(r.columns.map((c) => `${c.name} ${c.type}`)).toEqual(['customer_id INTEGER', 'segment VARCHAR', 'revenue DECIMAL(12,2)', 'note VARCHAR']);
    const executed = redshift.calls.slice(before).filter((c) => c.operation === 'ExecuteStatement').map((c) => c.input);
    const insert = executed.find((i) => String(i.Sql).startsWith('INSERT'))!;
    expect(insert).toMatchObject({ Parameters: [{ name: 'period', value: '2026-04' }] });
    expect(executed.map((i) => String(i.Sql)).join('\n')).not.toContain('2026-04');
    const unload = executed.find((i) => String(i.Sql).startsWith('UNLOAD'))!;
    expect(unload.Sql).toMatch(/^UNLOAD \('SELECT \* FROM cutover_\w+_rows'\) TO 's3:\/\/unload\/cutover\/cutover_\w+\/' IAM_ROLE 'arn:aws:iam::111122223333:role\/redshift-unload' FORMAT AS PARQUET MANIFEST VERBOSE$/);
    expect(unload.SessionId).toBe(executed[0]!.SessionId ?? unload.SessionId);
    expect(r.source).toMatchObject({ format: 'parquet', from: `redshift ${schema}.revenue (where:)` });
    expect(r.source.location).toMatch(/^s3:\/\/unload\/cutover\/cutover_\w+\/$/);
    expect(s3.keys('unload')).toEqual(['keep/other-file']);
    const written = s3.requests.filter((q) => q.startsWith('DELETE /unload/cutover/'));
    expect(written.some((q) => /manifest(\?|$)/.test(q))).toBe(true);
    expect(written.some((q) => /0000_part_00\.parquet(\?|$)/.test(q))).toBe(true);
  });

  it('a cluster that refuses Parquet gets the text format with ESCAPE and a verbose manifest: delimiters, newlines and backslashes survive', async () => {
    redshift.setParquet(false);
    try {
      const r = await read(base());
      expect(r.rows).toEqual(EXPECTED);
      expect(r.source.format).toBe('unload');
      const unloads = redshift.callsTo('ExecuteStatement').map((c) => String(c.input.Sql)).filter((s) => s.startsWith('UNLOAD')).slice(-2);
      expect(unloads[0]).toContain('FORMAT AS PARQUET');
      expect(unloads[1]).toMatch(/ ESCAPE MANIFEST VERBOSE$/);
      expect(s3.keys('unload')).toEqual(['keep/other-file']);
    } finally {
      redshift.setParquet(true);
    }
  });

  it('a value cannot change the condition: it is bound, so a quote in it is data', async () => {
    const r = await read(base({ parameters: { period: "2026-04' OR '1'='1" } }));
    expect(r.rows).toEqual([]);
    expect(r.columns.map((c) => c.name)).toEqual(['customer_id', 'segment', 'revenue', 'note']);
  });

  it('a table under directRowsUnder is read from GetStatementResult pages, with no UNLOAD', async () => {
    const before = redshift.calls.length;
    const r = await read(base({ directRowsUnder: 100, unload: undefined }));
    expect(r.rows).toEqual(EXPECTED);
    expect(r.source).toMatchObject({ format: 'result' });
    const calls = redshift.calls.slice(before);
    expect(calls.some((c) => String(c.input.Sql ?? '').startsWith('UNLOAD'))).toBe(false);
    // pageSize 2: six rows came in three pages (one more call counted the rows).
    expect(calls.filter((c) => c.operation === 'GetStatementResult').length).toBe(4);
  });

  it('reads from a Serverless workgroup with the IAM identity, and from a cluster as a db user: the session carries the sign-in', async () => {
    for (const connection of [{ clusterIdentifier: undefined, secretArn: undefined, workgroupName: 'finance' }, { secretArn: undefined, dbUser: 'etl' }]) {
      const before = redshift.calls.length;
      const r = await read(base(connection));
      expect(r.rows).toEqual(EXPECTED);
      const executed = redshift.calls.slice(before).filter((c) => c.operation === 'ExecuteStatement').map((c) => c.input);
      expect(executed[0]).toMatchObject(connection.workgroupName ? { WorkgroupName: 'finance', Database: 'dev' } : { ClusterIdentifier: 'finance-prod', DbUser: 'etl', Database: 'dev' });
      expect(executed[0]!.SecretArn).toBeUndefined();
      expect(executed.slice(1).every((i) => i.SessionId === executed.at(-1)!.SessionId && !i.WorkgroupName && !i.ClusterIdentifier)).toBe(true);
    }
  });

  it('a table not under directRowsUnder is unloaded', async () => {
    const r = await read(base({ directRowsUnder: 3 }));
    expect(r.rows).toHaveLength(6);
    expect(r.source.format).toBe('parquet');
  });

  it('each read opens one session kept alive SESSION_SECONDS (60), and sends each next statement far within it: Parquet, the text fallback, direct rows', async () => {
    const before = redshift.calls.length;
    await read(base());
    redshift.setParquet(false);
    try {
      await read(base());
    } finally {
      redshift.setParquet(true);
    }
    await read(base({ directRowsUnder: 100, unload: undefined }));
    const executed = redshift.calls.slice(before).filter((c) => c.operation === 'ExecuteStatement').map((c) => c.input);
    const opening = executed.filter((i) => i.SessionId === undefined);
    expect(opening.map((i) => i.SessionKeepAliveSeconds)).toEqual([60, 60, 60]);
    expect(executed.filter((i) => i.SessionId !== undefined).every((i) => i.SessionKeepAliveSeconds === undefined)).toBe(true);
    // From one statement finishing to the next in its session, over every read of this file so far.
    const gap = redshift.longestSessionGapMs();
    expect(gap).toBeGreaterThan(0);
    expect(gap).toBeLessThan(10_000);
  });

  it('a cluster at its session limit: the read fails at once with a retryable error naming ActiveSessionsExceededException', async () => {
    const full = new FakeRedshiftData({ s3, maxSessions: 1 });
    const url = await full.start();
    const c = new RedshiftDataClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    try {
      const readFrom = () => withDuckDb({ threads: 1 }, (db) => registerDataset(db, 'legacy', base(), { s3: access, redshiftData: c }));
      await readFrom();
      const t0 = Date.now();
      const err = await readFrom().then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ retryable: true, apiCode: 'ActiveSessionsExceededException', message: expect.stringMatching(/ExecuteStatement failed: ActiveSessionsExceededException/) });
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(s3.keys('unload')).toEqual(['keep/other-file']);
    } finally {
      c.destroy();
      await full.close();
    }
  });

  it('Redshift\'s error is reported and nothing is left in S3', async () => {
    await expect(read(base({ where: 'no_such_column = :period' }))).rejects.toThrow(/Redshift staging redshift .*revenue failed: ERROR: column "no_such_column" does not exist/);
    expect(s3.keys('unload')).toEqual(['keep/other-file']);
  });
});

describe('the fake Redshift Data API refuses what the service refuses', () => {
  const send = (input: Record<string, unknown>) => client.send(new ExecuteStatementCommand(input as never)).catch((e: unknown) => e as { name: string; message: string });

  it('a SessionId beside a cluster, an unknown session, a keep-alive out of range', async () => {
    expect(await send({ Sql: 'SELECT 1', SessionId: '4b4e5e5a-1c7e-4b8e-9d2a-6f1e2c3d4b5a' })).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/not active/) });
    expect(await send({ Sql: 'SELECT 1', ClusterIdentifier: 'finance-prod', Database: 'dev', SessionKeepAliveSeconds: 86_401 })).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/sessionKeepAliveSeconds/) });
    const opened = await client.send(new ExecuteStatementCommand({ Sql: 'SELECT 1', ClusterIdentifier: 'finance-prod', Database: 'dev', SessionKeepAliveSeconds: 5 }));
    expect(opened.SessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await send({ Sql: 'SELECT 1', SessionId: opened.SessionId, ClusterIdentifier: 'finance-prod' })).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/takes no ClusterIdentifier/) });
  });

  it('an UNLOAD without IAM_ROLE fails, and one into a folder that holds files fails unless ALLOWOVERWRITE', async () => {
    const wait = async (id: string) => {
      for (;;) {
        const st = redshift.list().find((s) => s.Id === id)!;
        if (st.status === 'FINISHED' || st.status === 'FAILED') return st;
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const run = async (Sql: string) => wait((await client.send(new ExecuteStatementCommand({ Sql, ClusterIdentifier: 'finance-prod', Database: 'dev' }))).Id!);
    expect((await run(`UNLOAD ('SELECT 1 AS x') TO 's3://unload/keep/'`)).error).toMatch(/IAM_ROLE/);
    expect((await run(`UNLOAD ('SELECT 1 AS x') TO 's3://unload/keep/' IAM_ROLE 'arn:aws:iam::111122223333:role/r'`)).error).toMatch(/not empty/);
    expect((await run(`UNLOAD ('SELECT 1 AS x') TO 's3://unload/keep/' IAM_ROLE 'arn:aws:iam::111122223333:role/r' FORMAT PARQUET HEADER`)).error).toMatch(/Parquet format does not support/);
    const ok = await run(`UNLOAD ('SELECT 1 AS x') TO 's3://unload/tmp/x_' IAM_ROLE 'arn:aws:iam::111122223333:role/r' MANIFEST`);
    expect(ok.status).toBe('FINISHED');
    expect(s3.keys('unload', 'tmp/')).toEqual(['tmp/x_0000_part_00', 'tmp/x_0001_part_00', 'tmp/x_manifest']);
    const gotResult = await client.send(new GetStatementResultCommand({ Id: ok.Id })).catch((e: unknown) => e as Error);
    expect(gotResult).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/does not have result/) });
  });
});
