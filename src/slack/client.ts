import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { WebClient } from '@slack/web-api';
import type { Fetch } from '../http/instrumented-fetch.ts';
import type { Logger } from '../logger.ts';
import { RateBudgetShortError, type Priority, type RedisRateLimiter } from '../rate-limit/token-bucket.ts';
import { boltLogger } from './bolt-logger.ts';
import { slackBucket, type SlackRateLimits } from './rate-limits.ts';

/** How a Slack call made inside `withSlackCall` waits for its rate budget. */
export interface SlackCallContext {
  /** `low` for intermediate progress edits: they leave the last tokens to final states and new messages. */
  priority: Priority;
  /** Rather than sleep longer than this, the call fails with RateBudgetShortError (the job comes back later). */
  maxWaitMs?: number;
}

const callContext = new AsyncLocalStorage<SlackCallContext>();

/** Runs `fn` with every Slack call in it waiting for budget as `ctx` says. */
export function withSlackCall<T>(ctx: SlackCallContext, fn: () => Promise<T>): Promise<T> {
  return callContext.run(ctx, fn);
}

/** The RateBudgetShortError behind an error thrown by a Slack call, if that is why it failed. */
export function budgetShortOf(err: unknown): RateBudgetShortError | undefined {
  for (let e = err; e; e = (e as { cause?: unknown; original?: unknown }).cause ?? (e as { original?: unknown }).original) {
    if (e instanceof RateBudgetShortError) return e;
  }
  return undefined;
}

// WebClient retries any error its fetch throws except p-retry's AbortError; this is the very
// class it checks against (resolved from @slack/web-api itself, whatever npm hoisted).
const requireFromWebApi = createRequire(createRequire(import.meta.url).resolve('@slack/web-api'));
const { AbortError } = requireFromWebApi('p-retry') as { AbortError: new (e: Error) => Error };

/**
 * Wraps the fetch of a WebClient so every Web API call first takes a token from its method's
 * bucket in Redis (per channel for chat.postMessage), shared by every worker process, and a
 * 429's Retry-After pauses that bucket for all of them. Calls to other URLs (file uploads) pass.
 */
export function rateLimitedSlackFetch(opts: { limiter: RedisRateLimiter; limits: SlackRateLimits; apiUrl: string; base: Fetch; logger?: Logger }): Fetch {
  const { limiter, limits, apiUrl, base } = opts;
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(apiUrl)) return base(input, init);
    const method = url.slice(apiUrl.length).split(/[?#]/)[0] ?? '';
    const { bucket, spec } = slackBucket(limits, method, channelOf(init?.body));
    const ctx = callContext.getStore();
    try {
      await limiter.acquire(bucket, spec, { priority: ctx?.priority ?? 'high', maxWaitMs: ctx?.maxWaitMs });
    } catch (err) {
      if (err instanceof RateBudgetShortError) throw new AbortError(err);
      throw err;
    }
    const res = await base(input, init);
    if (res.status === 429) {
      const seconds = Number.parseInt(res.headers.get('retry-after') ?? '', 10);
      const ms = Number.isFinite(seconds) ? seconds * 1000 : 1000;
      opts.logger?.warn({ method, bucket, retryAfterMs: ms }, 'Slack answered 429: pausing the bucket for every worker');
      await limiter.pause(bucket, ms);
    }
    return res;
  };
}

/** The `channel` of a url-encoded or JSON body (WebClient sends url-encoded forms). */
function channelOf(body: unknown): string | undefined {
  if (typeof body !== 'string') return undefined;
  if (body.startsWith('{')) {
    try {
      return (JSON.parse(body) as { channel?: string }).channel;
    } catch {
      return undefined;
    }
  }
  return new URLSearchParams(body).get('channel') ?? undefined;
}

export interface SlackClientOptions {
  botToken?: string;
  apiUrl: string;
  logger: Logger;
  /** The instrumented fetch (metrics); the limiter goes in front of it. */
  fetch: Fetch;
  limiter: RedisRateLimiter;
  limits: SlackRateLimits;
}

/** WebClient options with the shared limiter: used for the app's own client and Bolt's. */
export function slackClientOptions(opts: Omit<SlackClientOptions, 'botToken'>): NonNullable<ConstructorParameters<typeof WebClient>[1]> {
  return {
    slackApiUrl: opts.apiUrl,
    logger: boltLogger(opts.logger),
    // Retries with Retry-After on 429 happen inside the client; keep them short so a job can
    // fail and be retried by BullMQ instead of holding a worker for half an hour.
    retryConfig: { retries: 5, factor: 2, minTimeout: 500, maxTimeout: 30_000 },
    fetch: rateLimitedSlackFetch({ limiter: opts.limiter, limits: opts.limits, apiUrl: opts.apiUrl, base: opts.fetch, logger: opts.logger }),
  } as ConstructorParameters<typeof WebClient>[1] & object;
}

/** The one place the app builds its Slack Web API client. */
export function createSlackClient(opts: SlackClientOptions): WebClient {
  return new WebClient(opts.botToken, slackClientOptions(opts));
}
