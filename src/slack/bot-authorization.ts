import type { Authorize, AuthorizeResult } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';

/**
 * Bolt's `authorize` for one workspace's bot token: `auth.test` once, its answer kept, and a
 * failure never kept. Given `token:` instead, Bolt calls `auth.test` as the app is created and
 * leaves the promise unhandled, so a Slack that does not answer at start-up crashed the process
 * (about 15 s later, when the client's retries ran out); here that fails only the requests that
 * arrive while Slack is away, and the next one asks again.
 */
export function botAuthorization(slack: WebClient, botToken: string): Authorize<boolean> {
  let cached: Promise<AuthorizeResult> | undefined;
  return async () => {
    cached ??= slack.auth.test({ token: botToken }).then((r) => ({
      botToken,
      botId: r.bot_id,
      botUserId: r.user_id,
      teamId: r.team_id,
      enterpriseId: r.enterprise_id || undefined,
    }));
    try {
      return await cached;
    } catch (err) {
      cached = undefined;
      throw err;
    }
  };
}
