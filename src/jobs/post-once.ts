import { randomUUID } from 'node:crypto';
import type { Block, ChatPostMessageArguments, KnownBlock } from '@slack/web-api';
import type { MessageRef } from '../store/run-record.ts';
import type { JobDeps } from './job-deps.ts';
import { slackErrorCode } from './slack-errors.ts';

/**
 * Every message Cutover posts once and then edits in place (a run's status, a parallel run's or a
 * backfill's message, a DQ summary, a cutover request and its progress, a failure alert) is
 * posted through here, so a worker killed after Slack stored the message but before its `ts` was
 * recorded does not leave it behind as a second, forever stale message: `chat.postMessage` has
 * no idempotency key, so before each post an intent (a nonce and the time) is written on the
 * slot, the message carries the nonce in its metadata, and a later attempt that finds the intent
 * looks for that message in the channel (or thread) and adopts it instead of posting again.
 */
export const POST_EVENT_TYPE = 'cutover_status';

/** Slack's clock and ours may differ: the search starts this long before the intent. */
const CLOCK_MARGIN_MS = 5 * 60_000;
/** Pages of 200 looked through before giving up and posting (a channel busier than that in the window is unusual). */
const MAX_PAGES = 5;
const PAGE_SIZE = 200;
/** An intent outlives any retry schedule of a notify job; it is deleted once the ts is recorded. */
const INTENT_TTL_MS = 14 * 24 * 3600_000;

/** Errors of the history read that mean "cannot look", not "try again": the post goes ahead (at-least-once). */
const CANNOT_LOOK = new Set(['missing_scope', 'not_in_channel', 'channel_not_found', 'thread_not_found', 'method_not_supported_for_channel_type', 'not_allowed_token_type']);
/** Errors of a post with metadata that a post without it avoids (a token Slack will not take metadata from). */
const METADATA_REFUSED = new Set(['metadata_must_be_sent_from_app', 'invalid_metadata_format', 'invalid_metadata_schema', 'metadata_too_large']);

export interface PostArgs {
  channel: string;
  /** A reply in this thread: the orphan is looked for with conversations.replies instead of conversations.history. */
  thread_ts?: string;
  reply_broadcast?: boolean;
  text: string;
  blocks?: Array<KnownBlock | Block>;
}

interface Intent {
  nonce: string;
  at: number;
}

export type PostOnceDeps = Pick<JobDeps, 'slack' | 'redis' | 'keys' | 'logger' | 'crashPoint'>;

/**
 * Posts the message of `slot` (or adopts the one a killed attempt posted, edited to `args`) and
 * hands its ref to `record`, which stores it; then forgets the intent. The caller holds the
 * slot's lock (renderInSlot, withSlotLock), so no two attempts run at once.
 */
export async function postOnce<T>(deps: PostOnceDeps, slot: string, args: PostArgs, record: (ref: MessageRef) => Promise<T>): Promise<T> {
  const key = deps.keys.postIntent(slot);
  let intent = parseIntent(await deps.redis.get(key));
  let ref = intent ? await findOrphan(deps, slot, intent, args) : undefined;
  if (ref && !(await adopt(deps, slot, ref, args))) ref = undefined;
  if (!ref) {
    if (!intent) {
      // Slack's clock, not an injected one, is what the history read compares it with.
      intent = { nonce: randomUUID(), at: Date.now() };
      await deps.redis.set(key, JSON.stringify(intent), 'PX', INTENT_TTL_MS);
    }
    ref = await post(deps, slot, intent, args);
    // Test-only: the window this module closes (Slack has the message, the record not yet its ts).
    deps.crashPoint?.('slack.posted');
  }
  const out = await record(ref);
  await deps.redis.del(key);
  return out;
}

/** Edits the orphan to what the message shows now; false when it vanished meanwhile (deleted by someone), so it is posted anew. */
async function adopt(deps: PostOnceDeps, slot: string, ref: MessageRef, args: PostArgs): Promise<boolean> {
  deps.logger.info({ slot, ts: ref.ts }, 'adopting a message an interrupted attempt posted');
  try {
    await deps.slack.chat.update({ channel: ref.channel, ts: ref.ts, text: args.text, blocks: args.blocks });
    return true;
  } catch (err) {
    if (slackErrorCode(err) === 'message_not_found') return false;
    throw err;
  }
}

async function post(deps: PostOnceDeps, slot: string, intent: Intent, args: PostArgs): Promise<MessageRef> {
  const message = { ...args, unfurl_links: false } as ChatPostMessageArguments;
  const metadata = { event_type: POST_EVENT_TYPE, event_payload: { slot, nonce: intent.nonce } };
  try {
    const res = await deps.slack.chat.postMessage({ ...message, metadata } as ChatPostMessageArguments);
    return { channel: res.channel ?? args.channel, ts: res.ts! };
  } catch (err) {
    const code = slackErrorCode(err);
    if (!code || !METADATA_REFUSED.has(code)) throw err;
    // Nothing was posted: post plainly (at-least-once, as before) rather than not at all.
    warnOnce(deps, `post:${code}`, { code }, 'Slack refused message metadata; posting without it (a killed worker may leave a duplicate message)');
    const res = await deps.slack.chat.postMessage(message);
    return { channel: res.channel ?? args.channel, ts: res.ts! };
  }
}

interface HistoryMessage {
  ts?: string;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
}

/**
 * The message an earlier attempt posted for this intent, read from the channel's history (or the
 * thread's replies) since the intent's time. Slack's history is newest first, so the pages are
 * few: only messages posted since the attempt. Undefined when none (the post never reached Slack)
 * or when the bot may not read the history (then the post goes ahead, as before this existed).
 */
async function findOrphan(deps: PostOnceDeps, slot: string, intent: Intent, args: PostArgs): Promise<MessageRef | undefined> {
  const base = { channel: args.channel, oldest: slackTs(intent.at - CLOCK_MARGIN_MS), inclusive: true, include_all_metadata: true, limit: PAGE_SIZE };
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    let res: { messages?: HistoryMessage[]; has_more?: boolean; response_metadata?: { next_cursor?: string } };
    try {
      res = args.thread_ts
        ? await deps.slack.conversations.replies({ ...base, ts: args.thread_ts, cursor })
        : await deps.slack.conversations.history({ ...base, cursor });
    } catch (err) {
      const code = slackErrorCode(err);
      if (!code || !CANNOT_LOOK.has(code)) throw err; // transient: the job retries, the intent stays
      warnOnce(deps, `history:${code}`, { code, channel: args.channel }, 'cannot read the channel history to find a message an interrupted attempt posted; posting again (grant channels:history and groups:history and invite the bot for exactly-once messages)');
      return undefined;
    }
    const found = (res.messages ?? []).find((m) => m.ts && m.metadata?.event_type === POST_EVENT_TYPE && m.metadata.event_payload?.slot === slot && m.metadata.event_payload.nonce === intent.nonce);
    if (found) return { channel: args.channel, ts: found.ts! };
    cursor = res.response_metadata?.next_cursor || undefined;
    if (!res.has_more || !cursor) return undefined;
  }
  deps.logger.warn({ slot, channel: args.channel, pages: MAX_PAGES }, 'no earlier post found in the pages read; posting again');
  return undefined;
}

function parseIntent(raw: string | null): Intent | undefined {
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw) as Partial<Intent>;
    return typeof v.nonce === 'string' && typeof v.at === 'number' ? { nonce: v.nonce, at: v.at } : undefined;
  } catch {
    return undefined;
  }
}

/** A Slack timestamp (`seconds.micros`) for a time in ms. */
export function slackTs(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(6);
}

/** Once per process and reason: these are configuration facts, not events. */
const warned = new Set<string>();
function warnOnce(deps: PostOnceDeps, reason: string, fields: Record<string, unknown>, message: string): void {
  if (warned.has(reason)) return;
  warned.add(reason);
  deps.logger.warn(fields, message);
}
