import { afterEach, describe, expect, it } from 'vitest';
import { TEST_TOPIC, confirmationFields, notificationFields, otherSigningIdentity, signSnsMessage, snsHeaders, type SnsFields } from '../../helpers/sns-signing.ts';
import { startSnsTestServer, type SnsTestServer } from './sns-test-server.ts';

const DQ = { pipeline: 'incites-monthly', period: '2026-01', passed: false, failing: ['not_null(customer_id)'] };
const ALARM = {
  AlarmName: 'incites-monthly-late',
  NewStateValue: 'ALARM',
  NewStateReason: 'Threshold Crossed: 1 datapoint [2.0] was greater than the threshold (1.0).',
  StateChangeTime: '2026-01-27T10:00:00.000+0000',
  Trigger: { MetricName: 'RunLateness', Namespace: 'Databricks', Statistic: 'MAXIMUM', Dimensions: [{ name: 'JobId', value: '123' }] },
};

let server: SnsTestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const send = (s: SnsTestServer, fields: SnsFields) => s.post(JSON.stringify(fields), snsHeaders(fields));

describe('POST /sns', () => {
  it('routes a signed DQ result to its pipeline once, even when delivered twice', async () => {
    server = await startSnsTestServer();
    const fields = signSnsMessage(notificationFields(DQ, { Subject: 'DQ failed' }), { version: '1' });
    expect(await send(server, fields)).toMatchObject({ status: 200 });
    expect(await send(server, fields)).toMatchObject({ status: 200, body: expect.stringContaining('duplicate') });
    const ttl = await server.redis.ttl(server.dedupeKey(fields.MessageId!));
    expect(ttl).toBeGreaterThan(7000);
    expect(ttl).toBeLessThanOrEqual(7200);
    expect(server.jobs).toEqual([
      { pipeline: 'incites-monthly', kind: 'dq-result', messageId: fields.MessageId, topicArn: TEST_TOPIC, subject: 'DQ failed', timestamp: fields.Timestamp, message: DQ },
    ]);
  });

  it('routes a CloudWatch alarm matched by alerts.routes (SignatureVersion 2)', async () => {
    server = await startSnsTestServer();
    const fields = signSnsMessage(notificationFields(ALARM, { Subject: 'ALARM: "incites-monthly-late" in US East (N. Virginia)' }), { version: '2' });
    expect((await send(server, fields)).status).toBe(200);
    expect(server.jobs).toHaveLength(1);
    expect(server.jobs[0]).toMatchObject({ pipeline: 'incites-monthly', kind: 'cloudwatch-alarm', message: ALARM });
  });

  it('answers 4xx and enqueues nothing for unroutable notifications', async () => {
    server = await startSnsTestServer();
    const bodies = [{ ...DQ, pipeline: 'not-in-catalog' }, { ...ALARM, AlarmName: 'unknown-alarm' }, 'plain text message'];
    for (const message of bodies) {
      const res = await send(server, signSnsMessage(notificationFields(message), { version: '2' }));
      expect(res.status).toBe(422);
    }
    expect(server.jobs).toEqual([]);
    expect(server.logs.filter((l) => l.msg === 'sns notification unroutable').map((l) => l.reason)).toEqual(['unknown_pipeline', 'no_matching_route', 'message_not_json']);
  });

  it('refuses forged messages with 403: no enqueue, no confirm, no fetch of their URLs', async () => {
    server = await startSnsTestServer();
    const forger = otherSigningIdentity().key;
    const forgedNote = signSnsMessage(notificationFields(DQ), { version: '2', key: forger });
    const forgedSub = signSnsMessage(confirmationFields({ SubscribeURL: 'https://evil.example.com/confirm' }), { version: '2', key: forger });
    const offHostCert = signSnsMessage(notificationFields(DQ), { version: '2', certUrl: 'https://evil.example.com/cert.pem' });
    for (const fields of [forgedNote, forgedSub, offHostCert]) expect((await send(server, fields)).status).toBe(403);
    const { Signature: _s, ...unsigned } = signSnsMessage(notificationFields(DQ), { version: '2' });
    expect((await send(server, unsigned)).status).toBe(400);
    expect(server.jobs).toEqual([]);
    expect(server.confirmed).toEqual([]);
    expect(server.certFetches.every((u) => u.startsWith('https://sns.us-east-1.amazonaws.com/'))).toBe(true);
    const rejections = server.logs.filter((l) => l.msg === 'sns message rejected');
    expect(rejections.map((l) => l.reason)).toEqual(['bad_signature', 'bad_signature', 'bad_cert_url', 'missing_field']);
    // Logged with the reason, never with the body.
    expect(JSON.stringify(server.logs)).not.toContain('not_null(customer_id)');
  });

  it('confirms a subscription to an allowed topic by its SubscribeURL', async () => {
    server = await startSnsTestServer();
    const fields = signSnsMessage(confirmationFields(), { version: '1' });
    expect((await send(server, fields)).status).toBe(200);
    expect(server.confirmed).toEqual([fields.SubscribeURL]);
    expect(server.jobs).toEqual([]);
  });

  it('refuses a subscription to an unknown topic, or one whose SubscribeURL leaves SNS', async () => {
    server = await startSnsTestServer();
    const unknown = signSnsMessage(confirmationFields({ TopicArn: 'arn:aws:sns:us-east-1:999999999999:other' }), { version: '2' });
    const offHost = signSnsMessage(confirmationFields({ SubscribeURL: 'https://169.254.169.254/latest/meta-data/' }), { version: '2' });
    expect(await send(server, unknown)).toMatchObject({ status: 403, body: expect.stringContaining('unknown_topic') });
    expect(await send(server, offHost)).toMatchObject({ status: 403, body: expect.stringContaining('bad_subscribe_url') });
    expect(server.confirmed).toEqual([]);
  });

  it('acknowledges an UnsubscribeConfirmation without acting', async () => {
    server = await startSnsTestServer();
    const fields = signSnsMessage(confirmationFields({ Type: 'UnsubscribeConfirmation' }), { version: '2' });
    expect((await send(server, fields)).status).toBe(200);
    expect(server.confirmed).toEqual([]);
  });

  it('answers 503 when enqueue fails, and processes the retry once Redis is back', async () => {
    let down = true;
    const jobs: unknown[] = [];
    server = await startSnsTestServer({
      enqueue: async (job) => {
        if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
        jobs.push(job);
      },
    });
    const fields = signSnsMessage(notificationFields(DQ), { version: '2' });
    expect((await send(server, fields)).status).toBe(503);
    expect(await server.redis.exists(server.dedupeKey(fields.MessageId!))).toBe(0);
    down = false;
    expect((await send(server, fields)).status).toBe(200);
    expect(jobs).toHaveLength(1);
  });

  it('finding 12: an alert whose enqueue never finished (the process died in it) is enqueued when SNS delivers it again', async () => {
    let dying = true;
    let attempts = 0;
    const jobs: unknown[] = [];
    server = await startSnsTestServer({
      enqueue: (job) => {
        attempts++;
        // The first delivery's process dies inside the enqueue: it never finishes and no 2xx is sent.
        if (dying) return new Promise(() => undefined);
        jobs.push(job);
        return Promise.resolve();
      },
    });
    const fields = signSnsMessage(notificationFields(DQ), { version: '2' });
    const lost = send(server, fields).catch(() => undefined);
    for (let i = 0; i < 200 && attempts === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(attempts).toBe(1);
    dying = false;
    // SNS got no answer, so it delivers the message again: it must be enqueued, not taken for a duplicate.
    expect(await send(server, fields)).toMatchObject({ status: 200, body: expect.not.stringContaining('duplicate') });
    expect(jobs).toHaveLength(1);
    expect(await send(server, fields)).toMatchObject({ status: 200, body: expect.stringContaining('duplicate') });
    expect(jobs).toHaveLength(1);
    void lost;
  });

  it('answers 503 when a confirmation cannot reach SNS, so SNS resends it', async () => {
    server = await startSnsTestServer({ confirm: () => Promise.reject(new Error('ETIMEDOUT')) });
    expect((await send(server, signSnsMessage(confirmationFields(), { version: '2' }))).status).toBe(503);
  });

  it('refuses oversized bodies (413), header/body type mismatches (400) and other methods (405)', async () => {
    server = await startSnsTestServer();
    const huge = signSnsMessage(notificationFields({ ...DQ, blob: 'x'.repeat(300 * 1024) }), { version: '2' });
    expect((await send(server, huge)).status).toBe(413);
    const note = signSnsMessage(notificationFields(DQ), { version: '2' });
    expect((await server.post(JSON.stringify(note), { ...snsHeaders(note), 'x-amz-sns-message-type': 'SubscriptionConfirmation' })).status).toBe(400);
    const res = await fetch(server.url);
    expect(res.status).toBe(405);
    expect(server.jobs).toEqual([]);
    // The connection is still usable after a 413.
    expect((await send(server, note)).status).toBe(200);
  });
});
