import { ApiError, asCodedError } from '../errors.ts';

/**
 * The one place that turns an error into words for people (STYLE 8): what happened and
 * what to do next. Used by command replies, button handlers and failed-job notes.
 */
export function describeError(err: unknown): string {
  const e = asCodedError(err);
  switch (e.code) {
    case 'usage_invalid':
      return `:warning: ${e.message}`;
    case 'permission_denied':
      return `:no_entry: ${e.message}`;
    case 'not_found':
      return `:mag: ${e.message}`;
    case 'invalid_state':
      return `:hourglass: ${e.message}`;
    case 'config_invalid':
      return `:gear: Cutover's configuration is wrong: ${e.message}. Ask the bot's owners to fix the catalog.`;
    case 'query_failed':
      return e.retryable ? `:hourglass: ${e.message}; Cutover keeps retrying, nothing is lost.` : `:x: ${e.message}`;
    case 'api_error': {
      const api = e as ApiError;
      const what = `${api.service}${api.statusCode ? ` answered ${api.statusCode}` : ' did not answer'}${api.apiCode ? ` ${api.apiCode}` : ''}`;
      return api.retryable
        ? `:hourglass: ${what}; Cutover keeps retrying, nothing is lost.`
        : `:x: ${what}: ${api.message}`;
    }
    default:
      return `:boom: Something went wrong inside Cutover (${e.message}). Nothing was started; try again, and tell the bot's owners if it persists.`;
  }
}
