import { generateKeyPairSync, randomBytes, randomUUID, sign, X509Certificate, type KeyObject } from 'node:crypto';

/**
 * Signs SNS messages the way SNS does, with a key and a self-signed X.509 certificate made
 * here, so tests exercise the real verification path without network. The certificate is
 * DER-encoded by hand (a dozen ASN.1 nodes) because Node has no certificate builder and
 * this keeps the tests free of an `openssl` binary. The string-to-sign is written out
 * independently of src/ so a mistake there cannot hide in a shared helper.
 */

/** Passes the production host rule; tests serve the test certificate for it. */
export const TEST_CERT_URL = 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem';
export const TEST_TOPIC = 'arn:aws:sns:us-east-1:111122223333:data-quality-alerts';

export interface SigningIdentity {
  key: KeyObject;
  certPem: string;
}

let cached: SigningIdentity | undefined;

/** One RSA-2048 key and certificate per test process (generation costs ~100 ms). */
export function testSigningIdentity(): SigningIdentity {
  cached ??= makeSelfSignedCertificate('sns.amazonaws.com test');
  return cached;
}

/** A second, unrelated identity: a message it signs must fail against the first's certificate. */
export function otherSigningIdentity(): SigningIdentity {
  return makeSelfSignedCertificate('attacker');
}

export type SnsFields = Record<string, string>;

const SIGNED_KEYS: Record<string, string[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

/** Adds `SignatureVersion`, `SigningCertURL` and a real `Signature` to `fields`. */
export function signSnsMessage(fields: SnsFields, opts: { version: '1' | '2'; key?: KeyObject; certUrl?: string }): SnsFields {
  const keys = SIGNED_KEYS[fields.Type ?? ''] ?? SIGNED_KEYS.Notification!;
  const text = keys.filter((k) => k in fields).map((k) => `${k}\n${fields[k]}\n`).join('');
  const signature = sign(opts.version === '1' ? 'sha1' : 'sha256', Buffer.from(text, 'utf8'), opts.key ?? testSigningIdentity().key);
  return { ...fields, SignatureVersion: opts.version, Signature: signature.toString('base64'), SigningCertURL: opts.certUrl ?? TEST_CERT_URL };
}

/** An unsigned Notification with SNS's usual fields; `overrides` win. */
export function notificationFields(message: unknown, overrides: SnsFields = {}): SnsFields {
  const id = overrides.MessageId ?? randomUUID();
  return {
    Type: 'Notification',
    MessageId: id,
    TopicArn: TEST_TOPIC,
    Message: typeof message === 'string' ? message : JSON.stringify(message),
    Timestamp: new Date().toISOString(),
    UnsubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TEST_TOPIC}:${id}`,
    ...overrides,
  };
}

/** An unsigned SubscriptionConfirmation (or, with `Type` overridden, UnsubscribeConfirmation). */
export function confirmationFields(overrides: SnsFields = {}): SnsFields {
  const topic = overrides.TopicArn ?? TEST_TOPIC;
  const token = randomBytes(32).toString('hex');
  return {
    Type: 'SubscriptionConfirmation',
    MessageId: randomUUID(),
    Token: token,
    TopicArn: topic,
    Message: `You have chosen to subscribe to the topic ${topic}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    SubscribeURL: `https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${topic}&Token=${token}`,
    Timestamp: new Date().toISOString(),
    ...overrides,
  };
}

/** The headers SNS sends with every POST. */
export function snsHeaders(fields: SnsFields): Record<string, string> {
  return {
    'content-type': 'text/plain; charset=UTF-8',
    'x-amz-sns-message-type': fields.Type ?? '',
    'x-amz-sns-message-id': fields.MessageId ?? '',
    'x-amz-sns-topic-arn': fields.TopicArn ?? '',
    'user-agent': 'Amazon Simple Notification Service Agent',
  };
}

/** A certificate fetcher serving `certPem` for TEST_CERT_URL only, counting its calls. */
export function countingFetcher(certPem = testSigningIdentity().certPem) {
  const calls: string[] = [];
  const fetchCertificate = async (url: string): Promise<string> => {
    calls.push(url);
    if (url !== TEST_CERT_URL) throw new Error(`no certificate at ${url}`);
    return certPem;
  };
  return { fetchCertificate, calls };
}

function makeSelfSignedCertificate(commonName: string): SigningIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const sha256WithRsa = seq(tlv(0x06, Buffer.from('2a864886f70d01010b', 'hex')), Buffer.from('0500', 'hex'));
  const name = seq(tlv(0x31, seq(tlv(0x06, Buffer.from('550403', 'hex')), tlv(0x0c, Buffer.from(commonName, 'utf8')))));
  const now = Date.now();
  const serial = randomBytes(8);
  // DER wants a positive, minimally encoded INTEGER: first byte 0x01..0x7f (a leading 0x00
  // followed by a byte below 0x80 is "illegal padding", which failed one CI run in 256).
  serial[0] = 1 + (serial[0]! % 0x7f);
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // version v3
    tlv(0x02, serial),
    sha256WithRsa,
    name,
    seq(utcTime(now - 86_400_000), utcTime(now + 30 * 86_400_000)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = seq(tbs, sha256WithRsa, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const certPem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
  const cert = new X509Certificate(certPem);
  if (!cert.checkPrivateKey(privateKey) || !cert.verify(cert.publicKey)) throw new Error('test certificate is broken');
  return { key: privateKey, certPem };
}

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : lengthBytes(n);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

function lengthBytes(n: number): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));

function utcTime(ms: number): Buffer {
  const iso = new Date(ms).toISOString(); // 2026-01-27T10:00:00.000Z -> 260127100000Z
  return tlv(0x17, Buffer.from(`${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`, 'ascii'));
}
