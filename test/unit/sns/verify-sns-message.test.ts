import { describe, expect, it } from 'vitest';
import { verifySnsMessage, type VerifySnsOptions } from '../../../src/handlers/sns/verify-sns-message.ts';
import {
  TEST_CERT_URL,
  TEST_TOPIC,
  confirmationFields,
  countingFetcher,
  notificationFields,
  otherSigningIdentity,
  signSnsMessage,
  type SnsFields,
} from '../../helpers/sns-signing.ts';

const DQ = { pipeline: 'incites-monthly', period: '2026-01', passed: false };

function setup(overrides: Partial<VerifySnsOptions> = {}) {
  const fetcher = countingFetcher();
  const opts: VerifySnsOptions = { allowedTopics: [TEST_TOPIC], fetchCertificate: fetcher.fetchCertificate, ...overrides };
  return { calls: fetcher.calls, verify: (fields: SnsFields | string) => verifySnsMessage(typeof fields === 'string' ? fields : JSON.stringify(fields), opts) };
}

describe('verifySnsMessage: accepted', () => {
  for (const version of ['1', '2'] as const) {
    it(`accepts a v${version} Notification (with and without Subject)`, async () => {
      const { verify, calls } = setup();
      const plain = signSnsMessage(notificationFields(DQ), { version });
      const withSubject = signSnsMessage(notificationFields(DQ, { Subject: 'DQ failed: incites-monthly\nline two' }), { version });
      await expect(verify(plain)).resolves.toMatchObject({ ok: true, message: { Type: 'Notification', MessageId: plain.MessageId } });
      await expect(verify(withSubject)).resolves.toMatchObject({ ok: true, message: { Subject: 'DQ failed: incites-monthly\nline two' } });
      expect(calls).toEqual([TEST_CERT_URL, TEST_CERT_URL]);
    });

    it(`accepts v${version} SubscriptionConfirmation and UnsubscribeConfirmation`, async () => {
      const { verify } = setup();
      const sub = signSnsMessage(confirmationFields(), { version });
      const unsub = signSnsMessage(confirmationFields({ Type: 'UnsubscribeConfirmation' }), { version });
      await expect(verify(sub)).resolves.toMatchObject({ ok: true, message: { Type: 'SubscriptionConfirmation', Token: sub.Token } });
      await expect(verify(unsub)).resolves.toMatchObject({ ok: true, message: { Type: 'UnsubscribeConfirmation' } });
    });
  }

  it('accepts non-ASCII messages (the signature covers UTF-8 bytes)', async () => {
    const { verify } = setup();
    await expect(verify(signSnsMessage(notificationFields({ ...DQ, note: 'Zürich — 東京 ✓' }), { version: '2' }))).resolves.toMatchObject({ ok: true });
  });
});

describe('verifySnsMessage: rejected', () => {
  const valid = () => signSnsMessage(notificationFields(DQ, { Subject: 'DQ' }), { version: '2' });

  it('rejects a signature from another key', async () => {
    const { verify } = setup();
    const forged = signSnsMessage(notificationFields(DQ), { version: '2', key: otherSigningIdentity().key });
    await expect(verify(forged)).resolves.toEqual({ ok: false, status: 403, reason: 'bad_signature' });
  });

  it('rejects tampered fields: Message changed, Subject added or removed, Signature garbled', async () => {
    const { verify } = setup();
    const signedWithout = signSnsMessage(notificationFields(DQ), { version: '1' });
    const { Subject: _dropped, ...withoutSubject } = valid();
    const cases = [
      { ...valid(), Message: JSON.stringify({ ...DQ, pipeline: 'other' }) },
      { ...signedWithout, Subject: 'injected' },
      withoutSubject,
      { ...valid(), Timestamp: new Date(Date.now() - 1000).toISOString() },
      { ...valid(), Signature: 'AAAA' + String(valid().Signature).slice(4) },
      { ...valid(), Signature: 'not base64!' },
      { ...valid(), SignatureVersion: '1' }, // signed with SHA256, claimed SHA1
    ];
    for (const fields of cases) await expect(verify(fields)).resolves.toMatchObject({ ok: false, status: 403, reason: 'bad_signature' });
  });

  it('rejects SignatureVersion 3 without fetching', async () => {
    const { verify, calls } = setup();
    await expect(verify({ ...valid(), SignatureVersion: '3' })).resolves.toEqual({ ok: false, status: 403, reason: 'unsupported_signature_version' });
    expect(calls).toEqual([]);
  });

  it.each([
    ['another host', 'https://evil.example.com/x.pem'],
    ['an SNS-looking prefix of another host', 'https://sns.us-east-1.amazonaws.com.evil.com/x.pem'],
    ['http', 'http://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem'],
    ['another region than the topic', 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem'],
    ['the China partition for an aws topic', 'https://sns.us-east-1.amazonaws.com.cn/SimpleNotificationService-test.pem'],
    ['a non-.pem path', 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.txt'],
    ['credentials in the URL', 'https://user:pw@sns.us-east-1.amazonaws.com/x.pem'],
    ['another port', 'https://sns.us-east-1.amazonaws.com:8443/x.pem'],
    ['a query string', 'https://sns.us-east-1.amazonaws.com/x.pem?redirect=https://evil.example.com'],
    ['not a URL', 'sns.us-east-1.amazonaws.com/x.pem'],
  ])('rejects a certificate URL on %s, and never fetches it', async (_label, certUrl) => {
    const { verify, calls } = setup();
    const fields = signSnsMessage(notificationFields(DQ), { version: '2', certUrl });
    await expect(verify(fields)).resolves.toEqual({ ok: false, status: 403, reason: 'bad_cert_url' });
    expect(calls).toEqual([]);
  });

  it('rejects a topic that is not allow-listed, even when correctly signed', async () => {
    const { verify, calls } = setup();
    const other = 'arn:aws:sns:us-east-1:111122223333:someone-elses-topic';
    await expect(verify(signSnsMessage(notificationFields(DQ, { TopicArn: other }), { version: '2' }))).resolves.toEqual({ ok: false, status: 403, reason: 'unknown_topic' });
    await expect(verify(signSnsMessage(confirmationFields({ TopicArn: other }), { version: '2' }))).resolves.toMatchObject({ reason: 'unknown_topic' });
    expect(calls).toEqual([]);
  });

  it('rejects a replayed message older than the max age, and one from the future', async () => {
    const now = Date.now();
    const { verify, calls } = setup({ now: () => now, maxAgeMs: 60 * 60_000 });
    const at = (offsetMs: number) => signSnsMessage(notificationFields(DQ, { Timestamp: new Date(now + offsetMs).toISOString() }), { version: '2' });
    await expect(verify(at(-61 * 60_000))).resolves.toEqual({ ok: false, status: 403, reason: 'stale_message' });
    await expect(verify(at(6 * 60_000))).resolves.toEqual({ ok: false, status: 403, reason: 'future_message' });
    expect(calls).toEqual([]);
    await expect(verify(at(-59 * 60_000))).resolves.toMatchObject({ ok: true });
    await expect(verify(at(4 * 60_000))).resolves.toMatchObject({ ok: true });
    const strict = setup({ now: () => now, maxAgeMs: 5 * 60_000 });
    await expect(strict.verify(at(-6 * 60_000))).resolves.toMatchObject({ reason: 'stale_message' });
  });

  it('rejects missing or mistyped fields and malformed JSON with 400', async () => {
    const { verify, calls } = setup();
    for (const field of ['Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL']) {
      const { [field]: _gone, ...rest } = valid();
      await expect(verify(rest)).resolves.toEqual({ ok: false, status: 400, reason: 'missing_field' });
    }
    const { Token: _t, ...noToken } = signSnsMessage(confirmationFields(), { version: '2' });
    await expect(verify(noToken)).resolves.toEqual({ ok: false, status: 400, reason: 'missing_field' });
    await expect(verify(JSON.stringify({ ...valid(), SignatureVersion: 2 }))).resolves.toMatchObject({ status: 400, reason: 'missing_field' });
    await expect(verify({ ...valid(), Subject: 42 } as unknown as SnsFields)).resolves.toMatchObject({ status: 400 });
    await expect(verify({ ...valid(), MessageId: 'a b' })).resolves.toMatchObject({ status: 400, reason: 'missing_field' });
    await expect(verify({ ...valid(), Type: 'Surprise' })).resolves.toMatchObject({ status: 400, reason: 'unknown_type' });
    await expect(verify({ ...valid(), Timestamp: 'yesterday' })).resolves.toMatchObject({ status: 400, reason: 'bad_timestamp' });
    for (const body of ['', 'not json', '[]', 'null', '"x"', '{"Type":']) {
      await expect(verify(body)).resolves.toEqual({ ok: false, status: 400, reason: 'malformed_json' });
    }
    expect(calls).toEqual([]);
  });

  it('rejects when the certificate cannot be fetched or is not a certificate', async () => {
    const failing = setup({ fetchCertificate: async () => Promise.reject(new Error('ECONNREFUSED')) });
    await expect(failing.verify(valid())).resolves.toEqual({ ok: false, status: 403, reason: 'cert_unavailable' });
    const junk = setup({ fetchCertificate: async () => '<html>hello</html>' });
    await expect(junk.verify(valid())).resolves.toEqual({ ok: false, status: 403, reason: 'cert_unavailable' });
  });
});
