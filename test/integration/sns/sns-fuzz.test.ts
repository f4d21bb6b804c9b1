import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_CERT_URL, confirmationFields, notificationFields, signSnsMessage, snsHeaders, type SnsFields } from '../../helpers/sns-signing.ts';
import { startSnsTestServer, type SnsTestServer } from './sns-test-server.ts';

/**
 * 10,000 random and mutated bodies against the real listener (real Redis, keep-alive
 * connections, bounded concurrency). Invariants: every request is answered, nothing is 5xx,
 * anything that is not equivalent to a message we signed gets a 4xx, and every enqueued job
 * or confirmed URL comes from a message we signed, at most once per MessageId.
 */
const SEED = Number(process.env.SNS_FUZZ_SEED ?? 20260127);
const TOTAL = 10_000;
const CONCURRENCY = 32;

/** mulberry32: small, fast, and the same sequence for the same seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const id = () => Array.from({ length: 4 }, () => int(0x10000).toString(16).padStart(4, '0')).join('-') + `-${int(1e9)}`;
  return { next, int, pick, id };
}

const rnd = prng(SEED);
const signed = new Map<string, SnsFields>();
const sign = (fields: SnsFields, version: '1' | '2') => {
  const s = signSnsMessage(fields, { version });
  signed.set(s.MessageId!, s);
  return s;
};

const DQ = { pipeline: 'incites-monthly', period: '2026-01', passed: false, checks: [{ check: 'not_null', failingRows: 3 }] };
const ALARM = { AlarmName: 'incites-monthly-late', NewStateValue: 'ALARM', Trigger: { Namespace: 'Databricks', MetricName: 'Lateness' } };

function makeBases(): SnsFields[] {
  const bases: SnsFields[] = [];
  for (let i = 0; i < 40; i++) {
    const version = i % 2 ? '1' : '2';
    const MessageId = rnd.id();
    const kind = i % 5;
    if (kind === 0) bases.push(sign(notificationFields(DQ, { MessageId }), version));
    if (kind === 1) bases.push(sign(notificationFields(ALARM, { MessageId, Subject: `ALARM ${i}` }), version));
    if (kind === 2) bases.push(sign(notificationFields({ ...DQ, pipeline: 'billing-daily', note: 'ünïcødé ✓ "quoted"\n' }, { MessageId, Subject: 'DQ' }), version));
    if (kind === 3) bases.push(sign(confirmationFields({ MessageId, Token: `tok${i}` }), version));
    if (kind === 4) bases.push(sign(confirmationFields({ MessageId, Token: `tok${i}`, Type: 'UnsubscribeConfirmation' }), version));
  }
  return bases;
}

const randomString = (n: number) => Array.from({ length: n }, () => String.fromCharCode(rnd.pick([32 + rnd.int(95), rnd.int(0x3000), 0x22, 0x5c, 0x0a]))).join('');
const randomAscii = (n: number) => Array.from({ length: n }, () => String.fromCharCode(33 + rnd.int(94))).join('');
function randomJson(depth = 0): unknown {
  const k = rnd.int(depth > 3 ? 4 : 7);
  if (k === 0) return rnd.next() * 1e6 - 5e5;
  if (k === 1) return randomString(rnd.int(20));
  if (k === 2) return rnd.pick([null, true, false]);
  if (k === 3) return rnd.int(2) ? '1' : 3;
  if (k === 4) return Array.from({ length: rnd.int(4) }, () => randomJson(depth + 1));
  return Object.fromEntries(Array.from({ length: rnd.int(5) }, () => [rnd.pick(['Type', 'Message', 'pipeline', 'AlarmName', 'x', randomString(5)]), randomJson(depth + 1)]));
}
const wrongType = () => rnd.pick<unknown>([null, 2, true, [], {}, ['Notification'], { a: 1 }, 1e308, -0]);
const HOSTILE_URLS = ['https://evil.example.com/x.pem', 'https://sns.us-east-1.amazonaws.com.evil.com/x.pem', 'http://sns.us-east-1.amazonaws.com/x.pem', 'https://sns.eu-west-1.amazonaws.com/x.pem', 'https://169.254.169.254/x.pem', 'file:///etc/passwd'];

/** One request: a body derived from a signed base (or from nothing), and its headers. */
function makeRequest(bases: SnsFields[]): { body: string | Buffer; headers: Record<string, string> } {
  const base = rnd.pick(bases);
  const text = JSON.stringify(base);
  const headers = rnd.next() < 0.9 ? snsHeaders(base) : { 'content-type': rnd.pick(['text/plain; charset=UTF-8', 'application/json', '']), 'x-amz-sns-message-type': randomAscii(8) };
  const fields: Record<string, unknown> = { ...base };
  const key = rnd.pick(Object.keys(base));
  switch (rnd.int(16)) {
    case 0: // the untouched original (first time processed, then deduped)
      return { body: text, headers };
    case 1: { // flip 1-3 characters
      const chars = [...text];
      for (let i = rnd.int(3); i >= 0; i--) chars[rnd.int(chars.length)] = String.fromCharCode(32 + rnd.int(95));
      return { body: chars.join(''), headers };
    }
    case 2: // drop a field
      delete fields[key];
      return { body: JSON.stringify(fields), headers };
    case 3: // duplicate a field, first (JSON.parse keeps the last, i.e. the original) or last (a new value wins)
      return rnd.int(2)
        ? { body: `{${JSON.stringify(key)}:${JSON.stringify(randomJson())},${text.slice(1)}`, headers }
        : { body: `${text.slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(rnd.int(2) ? base[key] : randomJson())}}`, headers };
    case 4: // wrong type for a field
      fields[key] = wrongType();
      return { body: JSON.stringify(fields), headers };
    case 5: // a different plausible value: other topic, hostile cert URL, version, timestamp, subject
      Object.assign(fields, rnd.pick([
        { TopicArn: 'arn:aws:sns:us-east-1:111122223333:other' },
        { SigningCertURL: rnd.pick(HOSTILE_URLS) },
        { SignatureVersion: rnd.pick(['1', '2', '3', '0', '']) },
        { Timestamp: new Date(Date.now() - rnd.int(3) * 3_600_000 - 1000).toISOString() },
        { Subject: randomString(10) },
        { SubscribeURL: rnd.pick(HOSTILE_URLS) },
        { Message: JSON.stringify({ ...DQ, pipeline: 'billing-daily' }) },
      ]));
      return { body: JSON.stringify(fields), headers };
    case 6: // a huge string in a field (under the body cap)
      fields[key] = 'A'.repeat(50_000 + rnd.int(150_000));
      return { body: JSON.stringify(fields), headers };
    case 7:
      return { body: JSON.stringify(randomJson()), headers };
    case 8:
      return { body: Buffer.from(Array.from({ length: rnd.int(2000) }, () => rnd.int(256))), headers };
    case 9: // truncated
      return { body: text.slice(0, rnd.int(text.length)), headers };
    case 10: // pathological nesting
      return { body: rnd.int(2) ? '['.repeat(50_000) : `{"Message":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`, headers };
    case 11: // over the body cap: drained (300 KB) or cut off (2 MB, rarely)
      return { body: 'x'.repeat(rnd.next() < 0.05 ? 2_000_000 : 300_000), headers: rnd.next() < 0.5 ? headers : { 'content-type': 'text/plain' } };
    case 12: // the same content, re-encoded: escapes and whitespace (still valid)
      return { body: JSON.stringify(base, null, rnd.int(3)).replace(/é|ü|\//g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`), headers };
    case 13: // a freshly signed notification whose Message is junk: exercises the router
      return {
        body: JSON.stringify(sign(notificationFields(rnd.pick([() => randomString(30), () => JSON.stringify(randomJson()), () => JSON.stringify({ ...ALARM, ...(randomJson() as object) })])(), { MessageId: rnd.id() }), '2')),
        headers: { 'content-type': 'text/plain; charset=UTF-8' },
      };
    case 14: // a random subset of fields
      return { body: JSON.stringify(Object.fromEntries(Object.entries(fields).filter(() => rnd.int(2)))), headers };
    default: // an empty or whitespace body
      return { body: rnd.pick(['', ' ', '\n', '{}', 'null', '""']), headers };
  }
}

// Must equal the verifier's rule, so "equivalent" means exactly "would verify".
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const normUrl = (u: unknown) => {
  try {
    return typeof u === 'string' ? new URL(u).href : undefined;
  } catch {
    return undefined;
  }
};

/** The signed message this body is equivalent to, if any; anything else must get a 4xx. */
function equivalentBase(body: string | Buffer): SnsFields | undefined {
  let v: unknown;
  try {
    v = JSON.parse(body.toString());
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const f = v as Record<string, unknown>;
  const base = typeof f.MessageId === 'string' ? signed.get(f.MessageId) : undefined;
  if (!base) return undefined;
  const keys = base.Type === 'Notification' ? ['Type', 'TopicArn', 'Message', 'Timestamp', 'Subject', 'SignatureVersion'] : ['Type', 'TopicArn', 'Message', 'Timestamp', 'SubscribeURL', 'Token', 'SignatureVersion'];
  if (!keys.every((k) => f[k] === base[k])) return undefined;
  if (typeof f.Signature !== 'string' || !BASE64.test(f.Signature) || !Buffer.from(f.Signature, 'base64').equals(Buffer.from(base.Signature!, 'base64'))) return undefined;
  return normUrl(f.SigningCertURL) === TEST_CERT_URL ? base : undefined;
}

describe('POST /sns fuzz', () => {
  let server: SnsTestServer;
  beforeAll(async () => {
    server = await startSnsTestServer();
  });
  afterAll(async () => server?.close());

  // About 12 s alone; a CI machine whose two cores are shared took over 30 s once: the bound is generous.
  it(`answers ${TOTAL} random and mutated bodies with no 5xx and acts only on signed messages (seed ${SEED})`, { timeout: 90_000 }, async () => {
    const bases = makeBases();
    const requests = Array.from({ length: TOTAL }, () => makeRequest(bases));
    const statuses = new Array<number>(TOTAL);
    const started = performance.now();
    let nextIndex = 0;
    const worker = async () => {
      for (let i = nextIndex++; i < TOTAL; i = nextIndex++) {
        const { body, headers } = requests[i]!;
        statuses[i] = (await server.post(body, headers)).status;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (performance.now() - started) / 1000;
    console.info(`sns fuzz: ${TOTAL} requests in ${seconds.toFixed(2)} s (seed ${SEED}); statuses`, tally(statuses));

    expect(statuses.filter((s) => s !== undefined)).toHaveLength(TOTAL);
    const bad = statuses.map((s, i) => ({ s, i })).filter(({ s, i }) => s >= 500 || s < 200 || (s < 300 && !equivalentBase(requests[i]!.body)));
    expect(bad.map(({ s, i }) => `#${i} ${s}: ${requests[i]!.body.toString().slice(0, 200)}`)).toEqual([]);

    const perId = new Map<string, number>();
    for (const job of server.jobs) {
      const base = signed.get(job.messageId);
      expect(base, `enqueued an unsigned message ${job.messageId}`).toBeDefined();
      expect(job).toMatchObject({ topicArn: base!.TopicArn, timestamp: base!.Timestamp, message: JSON.parse(base!.Message!) });
      expect(job.subject).toBe(base!.Subject);
      perId.set(job.messageId, (perId.get(job.messageId) ?? 0) + 1);
    }
    expect([...perId.values()].every((n) => n === 1)).toBe(true);
    // Every routable base was sent untouched at least once with high probability; all were processed exactly once.
    const routableBases = bases.filter((b) => b.Type === 'Notification');
    expect(routableBases.filter((b) => perId.get(b.MessageId!) === 1).length).toBe(routableBases.length);
    const subscribeUrls = new Set(bases.map((b) => b.SubscribeURL));
    expect(server.confirmed.every((u) => subscribeUrls.has(u))).toBe(true);
    expect(new Set(server.confirmed).size).toBe(server.confirmed.length);
    expect(server.certFetches.every((u) => u.startsWith('https://sns.us-east-1.amazonaws.com/'))).toBe(true);
  });
});

function tally(statuses: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}
