import { WebClient } from '@slack/web-api';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../../../src/config/catalog-schema.ts';
import { catalogSchema } from '../../../src/config/catalog-schema.ts';
import type { SnsAlertJob } from '../../../src/handlers/sns/index.ts';
import type { JobDeps } from '../../../src/jobs/job-deps.ts';
import { postSnsAlert } from '../../../src/jobs/post-sns-alert.ts';
import { Queues } from '../../../src/jobs/queues.ts';
import { createLogger } from '../../../src/logger.ts';
import { DqAlertStore } from '../../../src/store/dq-alert-store.ts';
import { keyspace } from '../../../src/store/redis.ts';
import { FakeSlack } from '../../fakes/slack-server.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';

/**
 * SNS in, after verification and routing: a notebook's DQ result goes through the DQ state
 * machine (one alert per pipeline and period, recorded with the audit event); a CloudWatch
 * alarm goes into the open alert thread of the current period, or the channel without one.
 */
const catalog: Catalog = catalogSchema.parse({ pipelines: { 'p-one': { channel: 'C0ONE', target: { engine: 'databricks', jobId: 1 } } } });
const redis = testRedis();
const prefix = uniquePrefix('sns-alert');
const keys = keyspace(prefix);
const slack = new FakeSlack();
const queueConnection = testRedis();
let queues: Queues;
let deps: JobDeps;
const NOW = Date.UTC(2026, 10, 21);

beforeAll(async () => {
  const url = await slack.start();
  queues = new Queues(queueConnection, keys.bullPrefix);
  deps = { catalog, redis, keys, queues, now: () => NOW, dqAlerts: new DqAlertStore(redis, keys, () => NOW), slack: new WebClient('xoxb-test', { slackApiUrl: url, retryConfig: { retries: 0 } }), logger: createLogger({ level: 'silent' }) } as unknown as JobDeps;
});

afterAll(async () => {
  await queues.close();
  await slack.stop();
  await deletePrefix(redis, prefix);
  redis.disconnect();
  queueConnection.disconnect();
});

const job = (alert: Omit<SnsAlertJob, 'topicArn' | 'timestamp'>) => ({ data: { alert: { topicArn: 'arn:aws:sns:us-east-1:1:t', timestamp: new Date(NOW).toISOString(), ...alert } } }) as Job<{ alert: SnsAlertJob }>;

describe('postSnsAlert', () => {
  it('posts an alarm in the channel when the period has no alert thread', async () => {
    await postSnsAlert(deps, job({ messageId: 'm1', pipeline: 'p-one', kind: 'cloudwatch-alarm', message: { AlarmName: 'lag', NewStateValue: 'ALARM', NewStateReason: 'too slow' } }));
    const m = slack.messages.at(-1)!;
    expect(m).toMatchObject({ channel: 'C0ONE' });
    expect(m.thread_ts).toBeUndefined();
    expect(m.text).toContain('CloudWatch alarm *lag* is ALARM');
  });

  it('records a notebook DQ result as the period DQ alert, with its failures and an audit event', async () => {
    await postSnsAlert(deps, job({ messageId: 'm2', pipeline: 'p-one', kind: 'dq-result', message: { pipeline: 'p-one', period: '2026-10', passed: false, checks: [{ output: 'o', check: 'not_null(id)', passed: false, failingRows: 3 }, { output: 'o', check: 'unique(id)', passed: true }, 'junk'] } }));
    const alert = await deps.dqAlerts.get('p-one', '2026-10');
    expect(alert).toMatchObject({ state: 'failing', lastSource: 'sns', total: 3, failing: [{ output: 'o', check: 'not_null(id)', failingRows: 3 }] });
    const audit = await redis.xrange(keys.audit('p-one'), '-', '+');
    expect(audit.map(([, f]) => (JSON.parse(f[1]!) as { action: string }).action)).toContain('dq.failed');
    expect(await queues.notify.getJob('dqthread-p-one-2026-10-1')).toBeDefined();
  });

  it('puts an alarm into the open alert thread of the current period', async () => {
    const period = '2026-10'; // the last complete month on NOW
    const summaryTs = slack.messages[0]!.ts; // the first test's alarm stands in for the thread's summary
    await deps.dqAlerts.update((await deps.dqAlerts.get('p-one', period))!, (a) => ({ next: { ...a, summary: { channel: 'C0ONE', ts: summaryTs } } }), { actor: 'test', action: 'dq.message' });
    await postSnsAlert(deps, job({ messageId: 'm3', pipeline: 'p-one', kind: 'cloudwatch-alarm', message: { AlarmName: 'lag', NewStateValue: 'ALARM' } }));
    expect(slack.messages.at(-1)).toMatchObject({ channel: 'C0ONE', thread_ts: summaryTs });
  });
});
