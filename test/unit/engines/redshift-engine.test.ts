import { randomBytes } from 'node:crypto';
import { ExecuteStatementCommand, RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LegacyEngineConfig } from '../../../src/config/catalog-schema.ts';
import { createRedshiftEngine } from '../../../src/engines/redshift/index.ts';
import { renderEngineConfig } from '../../../src/engines/resolve-engine.ts';
import type { Engine, EngineRunStatus, SubmitRequest } from '../../../src/engines/types.ts';
import { ApiError, UsageError } from '../../../src/errors.ts';
import { FakeRedshiftData } from '../../fakes/redshift-data-server.ts';

/** Each run of this file works in its own PostgreSQL schema. */
const schema = `cutover_rs_${randomBytes(4).toString('hex')}`;
const fake = new FakeRedshiftData();
let client: RedshiftDataClient;
let engine: Engine;

beforeAll(async () => {
  await fake.start();
  client = new RedshiftDataClient({ endpoint: fake.url, region: 'us-west-2', credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' }, maxAttempts: 1 });
  engine = createRedshiftEngine({ client });
  await fake.pool.query(`
    CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.calls (period varchar, region varchar);
    CREATE PROCEDURE ${schema}.monthly(p_period varchar, p_region varchar) LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO ${schema}.calls VALUES (p_period, p_region); END $$;
    CREATE PROCEDURE ${schema}.broken(p_period varchar) LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'negative revenue in %', p_period USING HINT = 'check the billing feed'; END $$;
    CREATE PROCEDURE ${schema}.slow() LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(30); END $$;`);
});
afterAll(async () => {
  await fake.pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await fake.close();
});

const SECRET = 'arn:aws:secretsmanager:us-west-2:111122223333:secret:etl-AbCdEf';
const provisioned = (sql: string): LegacyEngineConfig => ({ engine: 'redshift', clusterIdentifier: 'analytics-prod', database: 'dev', secretArn: SECRET, sql });

function request(runId: string, config: LegacyEngineConfig, params: Record<string, string> = { region: 'eu' }): SubmitRequest {
  const rendered = renderEngineConfig(config, { period: '2026-07', params });
  return { runId, pipeline: 'billing', config: rendered.config, period: '2026-07', params: rendered.params };
}

async function pollToEnd(externalId: string): Promise<EngineRunStatus> {
  for (let i = 0; i < 200; i++) {
    const s = await engine.poll(externalId);
    if (s.state !== 'running' && s.state !== 'pending') return s;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('statement never ended');
}

const calls = async () => (await fake.pool.query(`SELECT period, region FROM ${schema}.calls ORDER BY period`)).rows;

describe('redshift engine', () => {
  it('executes the CALL with {{period}} and {{param.X}} bound as parameters, and polls it to succeeded', async () => {
    const config = provisioned(`CALL ${schema}.monthly({{period}}, {{param.region}})`);
    const { externalId, url } = await engine.submit(request('r-rs1-aaaaaa', config));
    const [call] = fake.callsTo('ExecuteStatement');
    expect(call!.input).toMatchObject({
      Sql: `CALL ${schema}.monthly(:period, :param_region)`,
      Parameters: [
        { name: 'period', value: '2026-07' },
        { name: 'param_region', value: 'eu' },
      ],
      ClusterIdentifier: 'analytics-prod',
      Database: 'dev',
      SecretArn: SECRET,
      ClientToken: 'cutover-r-rs1-aaaaaa',
      StatementName: 'cutover-r-rs1-aaaaaa',
    });
    expect(url).toContain('#cluster-details?cluster=analytics-prod');
    const end = await pollToEnd(externalId);
    expect(end).toMatchObject({ state: 'succeeded', message: 'FINISHED' });
    expect(end.tasks[0]!.key).toBe(`CALL ${schema}.monthly(:period, :param_region)`);
    expect(await calls()).toEqual([{ period: '2026-07', region: 'eu' }]);
  });

  it('a value is data, never SQL: a quote in it is stored as written', async () => {
    await fake.pool.query(`TRUNCATE ${schema}.calls`);
    const config = provisioned(`CALL ${schema}.monthly({{period}}, {{param.region}})`);
    const evil = `eu'); DROP TABLE ${schema}.calls; --`;
    const { externalId } = await engine.submit(request('r-rs2-bbbbbb', config, { region: evil }));
    expect((await pollToEnd(externalId)).state).toBe('succeeded');
    expect(await calls()).toEqual([{ period: '2026-07', region: evil }]);
  });

  it('a retried submit gets the same statement: the procedure runs once', async () => {
    await fake.pool.query(`TRUNCATE ${schema}.calls`);
    const config = provisioned(`CALL ${schema}.monthly({{period}}, {{param.region}})`);
    const a = await engine.submit(request('r-rs3-cccccc', config));
    await pollToEnd(a.externalId);
    const b = await engine.submit(request('r-rs3-cccccc', config));
    expect(b.externalId).toBe(a.externalId);
    expect(await calls()).toHaveLength(1);
  });

  it('a failed statement carries Redshift\'s error text, its hint and the query id', async () => {
    const { externalId } = await engine.submit(request('r-rs4-dddddd', provisioned(`CALL ${schema}.broken({{period}})`)));
    const end = await pollToEnd(externalId);
    expect(end.state).toBe('failed');
    expect(end.message).toBe('FAILED: ERROR: negative revenue in 2026-07');
    const [failure] = await engine.failures(externalId, end);
    expect(failure!.error).toMatch(/^ERROR: negative revenue in 2026-07 \(query \d+\)$/);
    expect(failure!.trace).toContain('HINT: check the billing feed');
    expect(failure!.task).toBe(`CALL ${schema}.broken(:period)`);
  });

  it('cancels a running statement; it ends cancelled', async () => {
    const { externalId } = await engine.submit(request('r-rs5-eeeeee', provisioned(`CALL ${schema}.slow()`)));
    for (let i = 0; i < 100 && (await engine.poll(externalId)).state !== 'running'; i++) await new Promise((r) => setTimeout(r, 20));
    await engine.cancel(externalId);
    expect((await pollToEnd(externalId)).state).toBe('cancelled');
    // No parameters to bind: the request has none (the API's list may not be empty).
    expect(fake.callsTo('ExecuteStatement').at(-1)!.input.Parameters).toBeUndefined();
  });

  it('runs on a Serverless workgroup with the IAM identity', async () => {
    await fake.pool.query(`TRUNCATE ${schema}.calls`);
    const config: LegacyEngineConfig = { engine: 'redshift', workgroupName: 'analytics', database: 'dev', sql: `CALL ${schema}.monthly({{period}}, {{param.region}})` };
    const { externalId, url } = await engine.submit(request('r-rs6-ffffff', config));
    const sent = fake.callsTo('ExecuteStatement').at(-1)!.input;
    expect(sent).toMatchObject({ WorkgroupName: 'analytics', Database: 'dev' });
    expect(sent).not.toHaveProperty('ClusterIdentifier');
    expect(url).toContain('#serverless-workgroup?workgroup=analytics');
    expect((await pollToEnd(externalId)).state).toBe('succeeded');
  });

  it('an empty value cannot be bound: a usage error before anything is sent', () => {
    expect(() => request('r-rs7-gggggg', provisioned(`CALL ${schema}.monthly({{period}}, {{param.region}})`), { region: '' })).toThrow(UsageError);
  });

  it('an unknown statement id is permanent; an outage is retryable', async () => {
    await expect(engine.poll('0f9b8a70-0000-4000-8000-000000000000')).rejects.toMatchObject({ apiCode: 'ResourceNotFoundException', retryable: false, service: 'redshift-data' });
    fake.failNext({ type: 'InternalServerException', status: 500, operation: 'DescribeStatement' });
    await expect(engine.poll('0f9b8a70-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(ApiError);
  });
});

describe('fake Redshift Data API refuses what the service refuses', () => {
  const send = (input: Record<string, unknown>) => client.send(new ExecuteStatementCommand(input as never)).then(() => 'ok', (e: { name: string }) => e.name);
  const base = { ClusterIdentifier: 'analytics-prod', Database: 'dev', DbUser: 'etl' };

  it('missing SQL or database, both or neither target, secret with db user, empty values, unbound markers, a reused token', async () => {
    expect(await send({ ...base })).toBe('ValidationException');
    expect(await send({ Sql: 'SELECT 1', ClusterIdentifier: 'analytics-prod', DbUser: 'etl' })).toBe('ValidationException');
    expect(await send({ Sql: 'SELECT 1', Database: 'dev' })).toBe('ValidationException');
    expect(await send({ ...base, Sql: 'SELECT 1', WorkgroupName: 'wg1' })).toBe('ValidationException');
    expect(await send({ ...base, Sql: 'SELECT 1', SecretArn: SECRET })).toBe('ValidationException');
    expect(await send({ ...base, Sql: 'SELECT 1', ClusterIdentifier: 'Bad_Cluster' })).toBe('ValidationException');
    expect(await send({ ...base, Sql: 'SELECT :a', Parameters: [{ name: 'a', value: '' }] })).toBe('ValidationException');
    expect(await send({ ...base, Sql: 'SELECT :a', Parameters: [] })).toBe('ValidationException');
    expect(await send({ ...base, Sql: 'SELECT :a::int' })).toBe('ValidationException');
    expect(await send({ ...base, Sql: "SELECT ':a', 1::int", ClientToken: 'tok-1' })).toBe('ok');
    expect(await send({ ...base, Sql: "SELECT ':a', 1::int", ClientToken: 'tok-1' })).toBe('ok');
    expect(await send({ ...base, Sql: 'SELECT 2', ClientToken: 'tok-1' })).toBe('ValidationException');
    expect(fake.list().filter((s) => s.token === 'tok-1')).toHaveLength(1);
  });
});
