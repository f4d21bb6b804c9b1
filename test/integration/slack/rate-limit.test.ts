import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisRateLimiter } from '../../../src/rate-limit/token-bucket.ts';
import { createSlackClient, withSlackCall, budgetShortOf } from '../../../src/slack/client.ts';
import { SLACK_TIERS, type SlackRateLimits } from '../../../src/slack/rate-limits.ts';
import { createLogger } from '../../../src/logger.ts';
import { FakeSlack } from '../../fakes/slack-server.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';

// Scaled-down tiers so the test takes seconds: the fake allows larger bursts than our buckets at
// the same rate, so a busy machine's delay between taking a token and the call arriving (up to
// ~0.6 s here) does not turn into a 429.
const FAKE_LIMITS = { 'chat.update': { rate: 300, burst: 6 }, 'chat.postMessage': { rate: 300, burst: 4, perChannel: true }, '*': { rate: 600, burst: 5 } };
const OUR_LIMITS: SlackRateLimits = { ...SLACK_TIERS, 'chat.update': { rate: 300, burst: 2 }, 'chat.postMessage': { rate: 300, burst: 1, perChannel: true } };

const logger = createLogger({ level: 'silent' });
const redis = testRedis();
const redis2 = testRedis();
const prefix = uniquePrefix('ratelimit');
const tiered = new FakeSlack({ rateLimits: FAKE_LIMITS });
const plain = new FakeSlack();
let tieredUrl = '';
let plainUrl = '';

beforeAll(async () => {
  [tieredUrl, plainUrl] = await Promise.all([tiered.start(), plain.start()]);
});
afterAll(async () => {
  await Promise.all([tiered.stop(), plain.stop()]);
  await deletePrefix(redis, prefix);
  redis.disconnect();
  redis2.disconnect();
});

/** A client as a worker process builds it: its own Redis connection, the shared prefix. */
const worker = (conn: typeof redis, apiUrl: string, limits = OUR_LIMITS, keyPrefix = prefix) =>
  createSlackClient({ botToken: 'xoxb-test', apiUrl, logger, fetch, limiter: new RedisRateLimiter(conn, keyPrefix, logger), limits });

describe('the fake Slack enforces per-method tiers', () => {
  it('answers 429 with a whole-second Retry-After once a bucket is empty, per channel for chat.postMessage', async () => {
    tiered.reset();
    const raw = new WebClient('xoxb-test', { slackApiUrl: tieredUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 } });
    const posted = await raw.chat.postMessage({ channel: 'C1', text: 'a' });
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => raw.chat.update({ channel: 'C1', ts: posted.ts!, text: 'b' })));
    // The burst of 6, plus whatever the bucket refilled (5 a second) while the calls went out.
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(6);
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeLessThan(12);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'slack_webapi_rate_limited_error', retryAfter: 1 });
    // Another channel has its own chat.postMessage bucket.
    const posts = await Promise.allSettled(Array.from({ length: 8 }, () => raw.chat.postMessage({ channel: 'C1', text: 'more' })));
    expect(posts.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'slack_webapi_rate_limited_error' } });
    await expect(raw.chat.postMessage({ channel: 'C2', text: 'other channel' })).resolves.toMatchObject({ ok: true });
    expect(Object.keys(tiered.rateLimited()).sort()).toEqual(['chat.postMessage:C1', 'chat.update']);
  });

  it('enforces nothing unless asked, so other tests need not pace themselves', async () => {
    const raw = new WebClient('xoxb-test', { slackApiUrl: plainUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 } });
    const posted = await raw.chat.postMessage({ channel: 'C1', text: 'a' });
    await Promise.all(Array.from({ length: 30 }, () => raw.chat.update({ channel: 'C1', ts: posted.ts!, text: 'b' })));
    expect(plain.calls.filter((c) => c.status === 429)).toHaveLength(0);
  });
});

describe('one Slack rate limiter shared by all workers', () => {
  it('keeps two workers sending 30 edits and 6 posts to one channel under the fake tiers: no 429 at all', async () => {
    tiered.reset();
    const [a, b] = [worker(redis, tieredUrl), worker(redis2, tieredUrl)];
    const posted = await a.chat.postMessage({ channel: 'C9', text: 'status' });
    const edits = Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).chat.update({ channel: 'C9', ts: posted.ts!, text: `edit ${i}` }));
    const posts = Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).chat.postMessage({ channel: 'C9', text: `post ${i}` }));
    await Promise.all([...edits, ...posts]);
    expect(tiered.callsTo('chat.update')).toHaveLength(30);
    expect(tiered.callsTo('chat.postMessage')).toHaveLength(7);
    expect(tiered.rateLimited()).toEqual({});
  });

  it("pauses a bucket for every worker on a 429's Retry-After", async () => {
    tiered.reset();
    const a = worker(redis, tieredUrl);
    const other = new RedisRateLimiter(redis2, prefix, logger);
    tiered.failNext('chat.update', [{ status: 429, retryAfter: 2 }]);
    const posted = await a.chat.postMessage({ channel: 'C7', text: 'status' });
    const edit = a.chat.update({ channel: 'C7', ts: posted.ts!, text: 'edit' });
    await tiered.waitFor(() => tiered.callsTo('chat.update').length === 1);
    // The fake records the call before its 429 reaches the client: wait for the pause to be written.
    for (const until = Date.now() + 5000; (await redis.keys(`${prefix}*chat.update:pause`)).length === 0; ) {
      if (Date.now() > until) throw new Error('the 429 never paused the bucket');
      await new Promise((r) => setTimeout(r, 10));
    }
    // The other worker, with its own connection, is told to wait out the Retry-After too.
    const wait = await other.take('slack:chat.update', OUR_LIMITS['chat.update']!);
    expect(wait).toBeGreaterThan(1000);
    await edit;
    const [refused, retried] = tiered.callsTo('chat.update');
    expect(refused!.status).toBe(429);
    expect(retried!.status).toBe(200);
  });

  it('gives the last tokens to urgent calls: a progress edit gives up, a final state goes', async () => {
    tiered.reset();
    const limits: SlackRateLimits = { ...OUR_LIMITS, 'chat.update': { rate: 6, burst: 5 } }; // one a 10 s once empty
    const a = worker(redis, tieredUrl, limits, `${prefix}:urgent`); // a bucket of its own, full
    const posted = await a.chat.postMessage({ channel: 'C5', text: 'status' });
    let progress = 0;
    let short: ReturnType<typeof budgetShortOf>;
    for (;;) {
      try {
        await withSlackCall({ priority: 'low', maxWaitMs: 500 }, () => a.chat.update({ channel: 'C5', ts: posted.ts!, text: 'progress' }));
        progress++;
      } catch (err) {
        short = budgetShortOf(err);
        break;
      }
    }
    expect(short?.waitMs).toBeGreaterThan(500);
    expect(progress).toBe(4); // 5 tokens, the last one kept back from progress edits
    await withSlackCall({ priority: 'high', maxWaitMs: 500 }, () => a.chat.update({ channel: 'C5', ts: posted.ts!, text: 'succeeded' }));
    expect(tiered.message('C5', posted.ts!)?.text).toBe('succeeded');
    expect(tiered.rateLimited()).toEqual({});
  });
});
