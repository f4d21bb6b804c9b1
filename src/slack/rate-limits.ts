import type { BucketSpec } from '../rate-limit/token-bucket.ts';

/** A Web API method's limit: a token bucket, per workspace or (chat.postMessage) per channel. */
export interface SlackMethodLimit extends BucketSpec {
  perChannel?: boolean;
}

/** Method name -> limit; `*` is every method not named. */
export type SlackRateLimits = Record<string, SlackMethodLimit>;

/**
 * Slack's published tiers (per method, per workspace, per app): Tier 2 20+/min, Tier 3 50+/min,
 * Tier 4 100+/min; chat.postMessage about 1 a second per channel. The bursts are ours: Slack
 * "tolerates bursts somewhat" without saying how much, so a bucket starts with a fifth of a
 * minute's calls and never lets a window hold more than Slack's own count plus that.
 */
const TIER2: SlackMethodLimit = { rate: 20, burst: 4 };
const TIER3: SlackMethodLimit = { rate: 50, burst: 10 };
const TIER4: SlackMethodLimit = { rate: 100, burst: 20 };

export const SLACK_TIERS: Readonly<SlackRateLimits> = {
  'chat.postMessage': { rate: 60, burst: 1, perChannel: true },
  'chat.update': TIER3,
  'chat.postEphemeral': TIER4,
  'chat.getPermalink': TIER4,
  'conversations.info': TIER3,
  'conversations.open': TIER3,
  // Finding a message a killed worker posted (src/jobs/post-once.ts); Tier 3 for internal apps.
  'conversations.history': TIER3,
  'conversations.replies': TIER3,
  'users.info': TIER4,
  'usergroups.users.list': TIER2,
  'views.open': TIER4,
  'views.update': TIER4,
  'views.push': TIER4,
  'views.publish': TIER4,
  'files.getUploadURLExternal': TIER4,
  'files.completeUploadExternal': TIER4,
  'auth.test': TIER4,
  '*': TIER3,
};

/** The bucket a call goes to: `slack:<method>`, or `slack:<method>:<channel>` for per-channel limits. */
export function slackBucket(limits: SlackRateLimits, method: string, channel: string | undefined): { bucket: string; spec: SlackMethodLimit } {
  const spec = limits[method] ?? limits['*'] ?? TIER3;
  return { bucket: spec.perChannel && channel ? `slack:${method}:${channel}` : `slack:${method}`, spec };
}
