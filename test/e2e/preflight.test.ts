import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDatabricks } from '../fakes/databricks-server.ts';
import { FakeSlack } from '../fakes/slack-server.ts';
import { eventually, startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../helpers/redis.ts';

const CATALOG = `
pipelines:
  incites-monthly:
    channel: C0PIPELINES
    stage: live
    target: { engine: databricks, jobId: 123 }
  orders-monthly:
    channel: C0ORDERS
    stage: live
    target: { engine: databricks, jobId: 999 }
`;

/** The preflight in the running app: at start-up (missing settings stop it) and in /readyz. */
describe('preflight in the app', () => {
  const slack = new FakeSlack({ channels: { C0PIPELINES: {}, C0ORDERS: {} } });
  const databricks = new FakeDatabricks({ tokens: ['dapi-e2e-token'] });
  const redis = testRedis();
  const prefix = uniquePrefix('e2e-preflight');
  let env: Record<string, string>;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    const [slackUrl, dbUrl] = await Promise.all([slack.start(), databricks.start()]);
    databricks.addJob({ jobId: 123 });
    env = { SLACK_API_URL: slackUrl, DATABRICKS_HOST: dbUrl, DATABRICKS_TOKEN: 'dapi-e2e-token' };
  });
  afterAll(async () => {
    await app?.stop();
    await Promise.all([slack.stop(), databricks.stop()]);
    await deletePrefix(redis, prefix);
    redis.disconnect();
  });

  it('refuses to start when a pipeline needs settings the environment lacks, naming each', async () => {
    const started = startAppProcess({ catalogYaml: CATALOG, prefix, env: { SLACK_API_URL: env.SLACK_API_URL! } });
    await expect(started).rejects.toThrow(/app exited with 1 before starting/);
    const message = String(await started.catch((err: Error) => err.message));
    expect(message).toContain('cannot start: the environment for this catalog is invalid');
    expect(message).toContain('incites-monthly target.engine: needs DATABRICKS_HOST and DATABRICKS_TOKEN');
    expect(message).toContain('orders-monthly target.engine: needs DATABRICKS_HOST and DATABRICKS_TOKEN');
  });

  it('reports what is unreachable in /readyz (degraded, still 200) and in the log', async () => {
    app = await startAppProcess({ catalogYaml: CATALOG, prefix, env: { ...env, CUTOVER_PREFLIGHT_INTERVAL_MS: '60000' } });
    const ready = await eventually(async () => {
      const res = await fetch(`${app!.url}/readyz`);
      const body = (await res.json()) as { status: string; preflight?: { ok: boolean; problems: string[] } };
      return body.preflight ? { status: res.status, body } : undefined;
    }, 20_000, 'a preflight report in /readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ok: true, status: 'degraded', redis: 'up', preflight: { ok: false } });
    expect(ready.body.preflight!.problems).toEqual(['orders-monthly target.jobId: Databricks jobs/get 999: RESOURCE_DOES_NOT_EXIST: Job 999 does not exist.']);
    // The log line reaches the test through the process's stdout pipe, maybe after /readyz answered.
    const logged = await eventually(() => {
      const problems = app!.logs.filter((l) => l.msg === 'preflight problem').map((l) => l.problem);
      return problems.length > 0 ? problems : undefined;
    }, 10_000, 'the preflight problem in the log');
    expect(logged).toEqual(ready.body.preflight!.problems);
    const metrics = await (await fetch(`${app.url}/metrics`)).text();
    expect(metrics).toMatch(/^cutover_preflight_problems 1$/m);
  });
});
