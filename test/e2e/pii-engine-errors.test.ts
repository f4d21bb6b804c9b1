import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDatabricks } from '../fakes/databricks-server.ts';
import { FakeSlack } from '../fakes/slack-server.ts';
import { eventually, SIGNING_SECRET, startAppProcess, type AppProcess } from '../helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../helpers/redis.ts';
import { postSigned, slashCommandBody } from '../helpers/slack-requests.ts';

/**
 * Issue 14 #8: a value quoted in an engine's error and trace (here a Databricks task's
 * `error` and `error_trace`) must reach neither the alert thread, nor the run record, the audit
 * stream or any other Redis key, nor a log line, when the pipeline declares PII columns.
 */
const CHANNEL = 'C0PIIRUN';
const canary = `pii-canary-${randomBytes(4).toString('hex')}@example.com`;
const slack = new FakeSlack();
const databricks = new FakeDatabricks({ tokens: ['dapi-pii'] });
const redis = testRedis();
const prefix = uniquePrefix('e2e-pii-engine');
let app: AppProcess;

beforeAll(async () => {
  const [slackUrl, dbUrl] = await Promise.all([slack.start(), databricks.start()]);
  databricks.addJob({ jobId: 7, tasks: ['load'] });
  databricks.setOutcome(7, {
    fail: {
      task: 'load',
      error: `org.apache.spark.SparkNumberFormatException: [CAST_INVALID_INPUT] The value '${canary}' of the type "STRING" cannot be cast to "BIGINT"`,
      trace: `Row: [17, '${canary}', 'Jane Doe']\nat org.apache.spark.sql.errors.QueryExecutionErrors$.invalidInputInCastToNumberError(QueryExecutionErrors.scala:145)`,
    },
  });
  app = await startAppProcess({
    prefix,
    catalogYaml: `
pipelines:
  crm-monthly:
    channel: ${CHANNEL}
    stage: live
    target: { engine: databricks, jobId: 7 }
    outputs:
      - name: contacts
        key: [id]
        pii: [email]
        legacy: { path: /nonexistent/legacy }
        target: { path: /nonexistent/target }
`,
    env: { SLACK_API_URL: slackUrl, DATABRICKS_HOST: dbUrl, DATABRICKS_TOKEN: 'dapi-pii', LOG_LEVEL: 'debug' },
  });
});

afterAll(async () => {
  await app?.stop();
  await Promise.all([slack.stop(), databricks.stop()]);
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

/** Every value under the test's prefix, whatever the key type (records, streams, BullMQ jobs). */
async function everythingStored(): Promise<string> {
  const out: string[] = [];
  for (const key of await redis.keys(`${prefix}*`)) {
    const type = await redis.type(key);
    if (type === 'string') out.push((await redis.get(key)) ?? '');
    else if (type === 'hash') out.push(JSON.stringify(await redis.hgetall(key)));
    else if (type === 'stream') out.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    else if (type === 'list') out.push(JSON.stringify(await redis.lrange(key, 0, -1)));
    else if (type === 'zset') out.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
    else if (type === 'set') out.push(JSON.stringify(await redis.smembers(key)));
  }
  return out.join('\n');
}

describe('PII in engine failures', () => {
  it('finding 8: a value quoted in a task error and trace is masked before the alert, the run record, the audit stream and the logs', async () => {
    const res = await postSigned(`${app.url}/slack/events`, slashCommandBody({ text: 'run crm-monthly --on databricks --period 2026-07', userId: 'U0ALICE', channelId: CHANNEL, responseUrl: slack.responseUrl('run') }), { secret: SIGNING_SECRET });
    expect(res.status).toBe(200);
    const alert = await eventually(() => slack.messages.find((m) => m.channel === CHANNEL && m.reply_broadcast), 30_000, 'alert thread');
    const shown = JSON.stringify(alert.blocks);
    expect(shown).toContain('CAST_INVALID_INPUT');
    expect(shown).toContain("The value '•••'");
    expect(shown).toContain('QueryExecutionErrors.scala:145');
    // Wait for the run's end to be fully recorded (SNS publish job, audit events), then look everywhere.
    await eventually(async () => /"state":"failed"/.test(await everythingStored()), 10_000, 'failed run recorded');
    const stored = await everythingStored();
    expect(stored).toContain('•••');
    expect(stored).not.toContain(canary);
    expect(JSON.stringify(slack.calls)).not.toContain(canary);
    expect(JSON.stringify(app.logs)).not.toContain(canary);
  });
});
