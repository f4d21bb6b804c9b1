import { UnrecoverableError } from 'bullmq';
import { ApiError } from '../errors.ts';

/** Slack platform errors that no retry can fix. Anything else (network, 5xx, rate limits) is retried. */
const PERMANENT = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'missing_scope',
  'invalid_blocks',
  'msg_too_long',
  'no_text',
  'restricted_action',
  'cant_update_message',
  'message_not_found',
]);

/** The `error` of a Slack platform error (`ok: false`, e.g. `missing_scope`), if that is what `err` is. */
export function slackErrorCode(err: unknown): string | undefined {
  const e = err as { code?: string; data?: { error?: string } } | undefined;
  return e?.code === 'slack_webapi_platform_error' ? e.data?.error : undefined;
}

/** Turns a @slack/web-api error into an ApiError (retryable) or an UnrecoverableError. */
export function toSlackJobError(err: unknown): Error {
  const e = err as { data?: { error?: string }; retryAfter?: number; statusCode?: number; message?: string };
  const apiCode = e.data?.error;
  const platformCode = slackErrorCode(err);
  if (platformCode && PERMANENT.has(platformCode)) {
    return new UnrecoverableError(`Slack refused the call: ${platformCode}`);
  }
  return new ApiError({
    service: 'slack',
    message: `Slack call failed: ${apiCode ?? e.message ?? 'unknown error'}`,
    apiCode,
    statusCode: e.statusCode,
    retryable: true,
    retryAfterMs: e.retryAfter !== undefined ? e.retryAfter * 1000 : undefined,
    cause: err,
  });
}
