import { X509Certificate, verify } from 'node:crypto';
import type { FetchCertificate } from './fetch-sns-certificate.ts';
import { checkSigningCertUrl, parseTopicArn } from './sns-url-rules.ts';

interface SnsCommon {
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: '1' | '2';
  Signature: string;
  SigningCertURL: string;
}
export interface SnsNotification extends SnsCommon {
  Type: 'Notification';
  Subject?: string;
  UnsubscribeURL?: string;
  /** Not signed by SNS: use only to ignore a message, never to trust one. */
  MessageAttributes?: Record<string, { Type?: unknown; Value?: unknown } | undefined>;
}
export interface SnsSubscriptionMessage extends SnsCommon {
  Type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  SubscribeURL: string;
  Token: string;
}
/** A message whose signature, topic, certificate URL and age have all been checked. */
export type SnsMessage = SnsNotification | SnsSubscriptionMessage;

/** Stable codes for logs and tests; 400 = not an SNS message at all, 403 = not one we trust. */
export type SnsRejectReason =
  | 'malformed_json'
  | 'missing_field'
  | 'unknown_type'
  | 'bad_timestamp'
  | 'unsupported_signature_version'
  | 'unknown_topic'
  | 'bad_cert_url'
  | 'stale_message'
  | 'future_message'
  | 'cert_unavailable'
  | 'bad_signature';

export type VerifyResult = { ok: true; message: SnsMessage } | { ok: false; status: 400 | 403; reason: SnsRejectReason };

export interface VerifySnsOptions {
  /** Exact topic ARNs we accept anything from (`alerts.inboundTopics`). */
  allowedTopics: ReadonlySet<string> | readonly string[];
  /** Only called with a URL that passed the SNS host rule for the topic's region. */
  fetchCertificate: FetchCertificate;
  /** Older messages are replays: SNS stops retrying after 3,600 s. Default 1 h. */
  maxAgeMs?: number;
  /** Clock skew tolerated for timestamps in the future. Default 5 min. */
  maxFutureMs?: number;
  now?: () => number;
}

// The signed fields, in the order AWS concatenates them (Subject only when present).
const NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const CONFIRMATION_FIELDS = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const;
const COMMON_FIELDS = ['Type', 'MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL'] as const;
const TYPES = new Set(['Notification', 'SubscriptionConfirmation', 'UnsubscribeConfirmation']);
const ALGORITHMS: Record<string, string> = { '1': 'sha1', '2': 'sha256' };
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const MESSAGE_ID = /^[A-Za-z0-9-]{1,100}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

const reject = (status: 400 | 403, reason: SnsRejectReason): VerifyResult => ({ ok: false, status, reason });

/**
 * Verifies the raw body of a `POST /sns` (SNS sends it as `text/plain`). Every check that
 * needs no network runs first, and the certificate is fetched only from a URL that passed
 * the host rule, so nothing in an unverified message can make us fetch an arbitrary URL.
 */
export async function verifySnsMessage(body: string, opts: VerifySnsOptions): Promise<VerifyResult> {
  const { allowedTopics, fetchCertificate, maxAgeMs = 3_600_000, maxFutureMs = 300_000, now = Date.now } = opts;
  const shape = checkShape(body);
  if (!shape.ok) return shape;
  const msg = shape.message;

  if (!ALGORITHMS[msg.SignatureVersion]) return reject(403, 'unsupported_signature_version');
  const allowed = 'has' in allowedTopics ? allowedTopics.has(msg.TopicArn) : allowedTopics.includes(msg.TopicArn);
  const topic = parseTopicArn(msg.TopicArn);
  if (!allowed || !topic) return reject(403, 'unknown_topic');
  const certUrl = checkSigningCertUrl(msg.SigningCertURL, topic);
  if (!certUrl) return reject(403, 'bad_cert_url');
  const age = now() - Date.parse(msg.Timestamp);
  if (age > maxAgeMs) return reject(403, 'stale_message');
  if (-age > maxFutureMs) return reject(403, 'future_message');
  if (!BASE64.test(msg.Signature)) return reject(403, 'bad_signature');

  let publicKey;
  try {
    publicKey = new X509Certificate(await fetchCertificate(certUrl.href)).publicKey;
  } catch {
    return reject(403, 'cert_unavailable');
  }
  if (publicKey.asymmetricKeyType !== 'rsa') return reject(403, 'cert_unavailable');
  const signed = Buffer.from(stringToSign(msg), 'utf8');
  let valid = false;
  try {
    valid = verify(ALGORITHMS[msg.SignatureVersion], signed, publicKey, Buffer.from(msg.Signature, 'base64'));
  } catch {
    // OpenSSL throws on some malformed signatures instead of returning false; same verdict.
  }
  return valid ? { ok: true, message: msg } : reject(403, 'bad_signature');
}

/** Parses and type-checks the fields without trusting any of them yet. */
function checkShape(body: string): { ok: true; message: SnsMessage } | Extract<VerifyResult, { ok: false }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, status: 400, reason: 'malformed_json' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, status: 400, reason: 'malformed_json' };
  const fields = parsed as Record<string, unknown>;
  const isString = (k: string) => Object.hasOwn(fields, k) && typeof fields[k] === 'string';
  if (!COMMON_FIELDS.every(isString)) return { ok: false, status: 400, reason: 'missing_field' };
  if (!TYPES.has(fields.Type as string)) return { ok: false, status: 400, reason: 'unknown_type' };
  const needed = fields.Type === 'Notification' ? [] : ['SubscribeURL', 'Token'];
  if (!needed.every(isString)) return { ok: false, status: 400, reason: 'missing_field' };
  // A Subject that is present must be a string: it is part of what was signed.
  if (Object.hasOwn(fields, 'Subject') && fields.Type === 'Notification' && !isString('Subject')) {
    return { ok: false, status: 400, reason: 'missing_field' };
  }
  if (!MESSAGE_ID.test(fields.MessageId as string)) return { ok: false, status: 400, reason: 'missing_field' };
  const ts = fields.Timestamp as string;
  if (!ISO_UTC.test(ts) || Number.isNaN(Date.parse(ts))) return { ok: false, status: 400, reason: 'bad_timestamp' };
  return { ok: true, message: fields as unknown as SnsMessage };
}

/** `Key\nValue\n` for each signed field present, in AWS's order. */
function stringToSign(msg: SnsMessage): string {
  const keys = msg.Type === 'Notification' ? NOTIFICATION_FIELDS : CONFIRMATION_FIELDS;
  const values = msg as unknown as Record<string, string | undefined>;
  return keys
    .filter((k) => values[k] !== undefined)
    .map((k) => `${k}\n${values[k]}\n`)
    .join('');
}
