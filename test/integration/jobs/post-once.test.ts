import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../../src/logger.ts';
import { POST_EVENT_TYPE, postOnce, type PostOnceDeps } from '../../../src/jobs/post-once.ts';
import { keyspace } from '../../../src/store/redis.ts';
import type { MessageRef } from '../../../src/store/run-record.ts';
import { FakeSlack } from '../../fakes/slack-server.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';

/**
 * Issue 17, a worker killed between Slack storing a message and the record getting its ts, with
 * real Redis and the real WebClient against the fake Slack (which keeps message metadata and
 * answers conversations.history/replies as Slack does). The kill is a crash point that throws
 * here, so the process goes on as a restarted worker would: the intent is in Redis, the ts not.
 */
const CHANNEL = 'C0POSTONCE';
const slack = new FakeSlack();
const redis = testRedis();
const prefix = uniquePrefix('post-once');
const keys = keyspace(prefix);
const warnings: string[] = [];
let deps: PostOnceDeps;
let crashAfterPost = false;

class Killed extends Error {}

beforeAll(async () => {
  const url = await slack.start();
  const logger = { info: () => undefined, warn: (_: unknown, msg: string) => void warnings.push(msg) } as unknown as Logger;
  deps = {
    slack: new WebClient('xoxb-test', { slackApiUrl: url, retryConfig: { retries: 0 } }),
    redis,
    keys,
    logger,
    crashPoint: (name) => {
      if (crashAfterPost && name === 'slack.posted') throw new Killed(name);
    },
  };
});

beforeEach(() => {
  crashAfterPost = false;
  warnings.length = 0;
});

afterAll(async () => {
  await slack.stop();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

const recorded = new Map<string, MessageRef>();
const record = (slot: string) => async (ref: MessageRef) => {
  recorded.set(slot, ref);
  return ref;
};
const topLevel = (slot: string) => slack.messages.filter((m) => m.channel === CHANNEL && !m.thread_ts && m.metadata?.event_payload.slot === slot);

/** A first attempt that dies right after Slack stored its message. */
async function killedAttempt(slot: string, args: { channel: string; thread_ts?: string; text: string }): Promise<void> {
  crashAfterPost = true;
  await expect(postOnce(deps, slot, args, record(slot))).rejects.toBeInstanceOf(Killed);
  crashAfterPost = false;
  expect(recorded.has(slot)).toBe(false);
  expect(await redis.exists(keys.postIntent(slot))).toBe(1);
}

describe('postOnce', () => {
  it('posts with the slot and a nonce in the metadata, records the ts, and forgets the intent', async () => {
    const ref = await postOnce(deps, 'r-first', { channel: CHANNEL, text: 'queued' }, record('r-first'));
    const [msg] = topLevel('r-first');
    expect(msg).toMatchObject({ ts: ref.ts, text: 'queued', metadata: { event_type: POST_EVENT_TYPE, event_payload: { slot: 'r-first', nonce: expect.stringMatching(/^[0-9a-f-]{36}$/) } } });
    expect(await redis.exists(keys.postIntent('r-first'))).toBe(0);
    expect(slack.callsTo('conversations.history')).toHaveLength(0); // no intent was left: nothing to look for
  });

  it('after a kill between the post and the record, adopts the posted message and edits it instead of posting again', async () => {
    await killedAttempt('r-killed', { channel: CHANNEL, text: 'queued' });
    const posts = slack.callsTo('chat.postMessage').length;

    const ref = await postOnce(deps, 'r-killed', { channel: CHANNEL, text: 'running' }, record('r-killed'));
    expect(slack.callsTo('chat.postMessage')).toHaveLength(posts);
    expect(topLevel('r-killed')).toEqual([expect.objectContaining({ ts: ref.ts, text: 'running' })]);
    expect(recorded.get('r-killed')).toEqual({ channel: CHANNEL, ts: ref.ts });
    expect(await redis.exists(keys.postIntent('r-killed'))).toBe(0);
    const read = slack.callsTo('conversations.history').at(-1)!.body;
    expect(read).toMatchObject({ channel: CHANNEL, include_all_metadata: 'true', inclusive: 'true' });
    // From a little before the attempt, not the whole channel.
    expect(Number(read.oldest)).toBeGreaterThan(Date.now() / 1000 - 3600);
  });

  it('finds the orphan past the first page when the channel got busy meanwhile', async () => {
    await killedAttempt('r-busy', { channel: CHANNEL, text: 'queued' });
    for (let i = 0; i < 230; i++) await deps.slack.chat.postMessage({ channel: CHANNEL, text: `someone else ${i}` });
    const before = slack.callsTo('conversations.history').length;
    await postOnce(deps, 'r-busy', { channel: CHANNEL, text: 'running' }, record('r-busy'));
    expect(topLevel('r-busy')).toHaveLength(1);
    expect(slack.callsTo('conversations.history').length - before).toBe(2);
  });

  it('looks for a thread reply among the thread’s replies', async () => {
    const parent = await postOnce(deps, 'r-parent', { channel: CHANNEL, text: 'failed' }, record('r-parent'));
    await killedAttempt('alert-r-parent', { channel: CHANNEL, thread_ts: parent.ts, text: 'alert v1' });
    const ref = await postOnce(deps, 'alert-r-parent', { channel: CHANNEL, thread_ts: parent.ts, text: 'alert v2' }, record('alert-r-parent'));
    expect(slack.threadReplies(CHANNEL, parent.ts)).toEqual([expect.objectContaining({ ts: ref.ts, text: 'alert v2' })]);
    expect(slack.callsTo('conversations.replies').at(-1)!.body).toMatchObject({ channel: CHANNEL, ts: parent.ts, include_all_metadata: 'true' });
  });

  it('posts anew when the orphan is deleted between the history read and the edit', async () => {
    await killedAttempt('r-deleted', { channel: CHANNEL, text: 'queued' });
    slack.failNext('chat.update', [{ error: 'message_not_found' }]);
    const ref = await postOnce(deps, 'r-deleted', { channel: CHANNEL, text: 'running' }, record('r-deleted'));
    expect(topLevel('r-deleted').map((m) => m.ts)).toContain(ref.ts);
    expect(slack.message(CHANNEL, ref.ts)!.text).toBe('running');
  });

  it('posts once when the killed attempt never reached Slack (an intent, no message)', async () => {
    await redis.set(keys.postIntent('r-unposted'), JSON.stringify({ nonce: 'n-1', at: Date.now() }));
    await postOnce(deps, 'r-unposted', { channel: CHANNEL, text: 'queued' }, record('r-unposted'));
    expect(topLevel('r-unposted')).toEqual([expect.objectContaining({ metadata: { event_type: POST_EVENT_TYPE, event_payload: { slot: 'r-unposted', nonce: 'n-1' } } })]);
  });

  it('without the history scope (or membership) posts again, and says so once', async () => {
    await killedAttempt('r-noscope', { channel: CHANNEL, text: 'queued' });
    slack.failNext('conversations.history', [{ error: 'missing_scope' }]);
    await postOnce(deps, 'r-noscope', { channel: CHANNEL, text: 'running' }, record('r-noscope'));
    expect(topLevel('r-noscope')).toHaveLength(2); // at least once, as before the intent existed
    await killedAttempt('r-noscope-2', { channel: CHANNEL, text: 'queued' });
    slack.failNext('conversations.history', [{ error: 'missing_scope' }]);
    await postOnce(deps, 'r-noscope-2', { channel: CHANNEL, text: 'running' }, record('r-noscope-2'));
    expect(warnings.filter((w) => /channels:history/.test(w))).toHaveLength(1);
  });

  it('leaves the intent for the retry when the history read fails for a while', async () => {
    await killedAttempt('r-flaky', { channel: CHANNEL, text: 'queued' });
    slack.failNext('conversations.history', [{ status: 500 }]);
    await expect(postOnce(deps, 'r-flaky', { channel: CHANNEL, text: 'running' }, record('r-flaky'))).rejects.toThrow();
    expect(await redis.exists(keys.postIntent('r-flaky'))).toBe(1);
    await postOnce(deps, 'r-flaky', { channel: CHANNEL, text: 'running' }, record('r-flaky'));
    expect(topLevel('r-flaky')).toEqual([expect.objectContaining({ text: 'running' })]);
  });

  it('posts without metadata when Slack refuses it from this token', async () => {
    slack.failNext('chat.postMessage', [{ error: 'metadata_must_be_sent_from_app' }]);
    const ref = await postOnce(deps, 'r-nometa', { channel: CHANNEL, text: 'queued' }, record('r-nometa'));
    expect(slack.message(CHANNEL, ref.ts)).toMatchObject({ text: 'queued' });
    expect(slack.message(CHANNEL, ref.ts)!.metadata).toBeUndefined();
  });
});
