import { SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSnsAlert } from '../../../src/alerts/build-sns-alert.ts';
import { createSnsPublisher } from '../../../src/alerts/sns-publisher.ts';
import { FakeSns, type PublishedMessage } from '../../fakes/sns-server.ts';
import { TEST_TOPIC, notificationFields, signSnsMessage, snsHeaders } from '../../helpers/sns-signing.ts';
import { startSnsTestServer, type SnsTestServer } from './sns-test-server.ts';

/**
 * The outbound topic (`alerts.snsTopicArn`) is also inbound: SNS delivers Cutover's own alerts
 * back to `POST /sns`. Published through the real publisher to a fake SNS, then delivered as SNS
 * delivers to an HTTP endpoint (JSON envelope, `MessageAttributes` as `{ Type, Value }`), signed.
 */
const sns = new FakeSns([TEST_TOPIC]);
let server: SnsTestServer;

beforeAll(async () => {
  await sns.start();
  server = await startSnsTestServer();
});
afterAll(async () => {
  await server.close();
  await sns.stop();
});

function delivered(p: PublishedMessage): string {
  const fields = signSnsMessage(notificationFields(p.message, { TopicArn: p.topicArn, MessageId: p.messageId, ...(p.subject ? { Subject: p.subject } : {}) }), { version: '2' });
  const attributes = Object.fromEntries(Object.entries(p.attributes).map(([name, a]) => [name, { Type: a.dataType, Value: a.value }]));
  return JSON.stringify({ ...fields, MessageAttributes: attributes });
}

describe('Cutover’s own SNS alerts coming back in', () => {
  it('finding 17: an alert Cutover published is acknowledged and ignored, never read as a DQ result', async () => {
    const client = new SNSClient({ region: 'us-east-1', endpoint: sns.url, credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake' }, maxAttempts: 1 });
    const publish = createSnsPublisher({ topicArn: TEST_TOPIC, client });
    await publish(buildSnsAlert({ event: 'run.failed', pipeline: 'incites-monthly', period: '2026-01', runId: 'r-m1-abc123', summary: 'run r-m1-abc123 on emr failed' }));
    await publish(buildSnsAlert({ event: 'dq.failed', pipeline: 'incites-monthly', period: '2026-01', summary: 'DQ failing: 1 of 3 checks' }));
    expect(sns.published).toHaveLength(2);
    for (const p of sns.published) {
      const res = await server.post(delivered(p), snsHeaders({ Type: 'Notification', MessageId: p.messageId, TopicArn: p.topicArn }));
      expect(res).toMatchObject({ status: 200, body: expect.stringContaining('own_message') });
    }
    expect(server.jobs).toEqual([]);
  });

  it('still takes a notebook’s DQ result from the same topic', async () => {
    const fields = signSnsMessage(notificationFields({ pipeline: 'incites-monthly', period: '2026-01', passed: true, checks: [] }), { version: '2' });
    const res = await server.post(JSON.stringify({ ...fields, MessageAttributes: { source: { Type: 'String', Value: 'notebook' } } }), snsHeaders(fields));
    expect(res.status).toBe(200);
    expect(server.jobs.map((j) => j.kind)).toEqual(['dq-result']);
  });
});
