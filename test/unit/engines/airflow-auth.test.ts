import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, secretsOf } from '../../../src/config/load-config.ts';
import { AirflowClient, createAirflowEngine } from '../../../src/engines/airflow/index.ts';
import { ApiError, ConfigError } from '../../../src/errors.ts';
import { FakeAirflow } from '../../fakes/airflow-server.ts';

/**
 * Issue 15 (deployment guide, Airflow authentication): besides a bearer token, Cutover signs in
 * with a user's name and password: HTTP basic auth on Airflow 2 (`v1`), and on Airflow 3 (`v2`,
 * JWT only) a token bought from `POST /auth/token` and bought again when it expires.
 */
const credentials = { username: 'cutover', password: 'pa55-w0rd' };
let fake: FakeAirflow;
beforeAll(async () => {
  fake = await FakeAirflow.start({ credentials, dags: ['orders_monthly'] });
});
afterAll(() => fake.close());

describe('issue 15: Airflow sign-in with a user name and password', () => {
  it('v1: sends them as basic auth, and a wrong password is a 401 ApiError', async () => {
    const dag = await new AirflowClient({ baseUrl: fake.url, credentials, apiVersion: 'v1' }).getDag('orders_monthly');
    expect(dag).toMatchObject({ dag_id: 'orders_monthly', is_paused: false });
    const err = await new AirflowClient({ baseUrl: fake.url, credentials: { ...credentials, password: 'nope' }, apiVersion: 'v1' }).getDag('orders_monthly').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).statusCode).toBe(401);
    expect((err as Error).message).not.toContain('nope');
  });

  it('v2: buys one JWT for many calls, and another once it expires, without the caller noticing', async () => {
    const client = new AirflowClient({ baseUrl: fake.url, credentials, apiVersion: 'v2' });
    const engine = createAirflowEngine({ client });
    const sold = fake.jwtsIssued;
    const { externalId } = await engine.submit({ runId: 'r-auth1', pipeline: 'orders', config: { engine: 'airflow', dagId: 'orders_monthly', conf: {} }, period: '2026-07', params: {} });
    await engine.poll(externalId);
    expect(fake.jwtsIssued - sold).toBe(1);
    fake.expireJwts();
    await expect(engine.poll(externalId)).resolves.toMatchObject({ state: expect.any(String) });
    expect(fake.jwtsIssued - sold).toBe(2);
  });

  it('v2: refused credentials are a 401 ApiError from /auth/token, and the next call asks again', async () => {
    const client = new AirflowClient({ baseUrl: fake.url, credentials: { ...credentials, password: 'nope' }, apiVersion: 'v2' });
    const sold = fake.jwtsIssued;
    for (let i = 0; i < 2; i++) {
      const err = await client.getDag('orders_monthly').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as Error).message).toMatch(/POST \/auth\/token.*401/);
    }
    expect(fake.jwtsIssued).toBe(sold);
  });

  it('the environment takes AIRFLOW_USERNAME with AIRFLOW_PASSWORD, never with a token, and keeps the password out of logs', () => {
    const c = loadConfig({ env: { AIRFLOW_URL: fake.url, AIRFLOW_USERNAME: 'cutover', AIRFLOW_PASSWORD: 'pa55-w0rd' } });
    expect(c.airflow).toMatchObject({ username: 'cutover', password: 'pa55-w0rd' });
    expect(secretsOf(c)).toContain('pa55-w0rd');
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ env });
        return [];
      } catch (err) {
        return (err as ConfigError).problems;
      }
    };
    expect(problems({ AIRFLOW_USERNAME: 'cutover' })).toEqual(['AIRFLOW_USERNAME/AIRFLOW_PASSWORD: set both (or AIRFLOW_TOKEN instead), or neither']);
    expect(problems({ AIRFLOW_TOKEN: 't', AIRFLOW_USERNAME: 'u', AIRFLOW_PASSWORD: 'p' })).toEqual(['AIRFLOW_TOKEN/AIRFLOW_USERNAME: set a token or a user name and password, not both']);
  });
});
