import { ApiError } from '../../errors.ts';
import type { Fetch } from '../../http/instrumented-fetch.ts';
import { errorFromResponse, networkError } from './api-error.ts';

/** Where the bearer token for each call comes from. */
export interface TokenSource {
  token(signal?: AbortSignal): Promise<string>;
  /** Forget a cached token (after a 401) so the next call fetches a fresh one. */
  invalidate(): void;
  /** Secret values to scrub from error messages. */
  readonly secrets: readonly string[];
}

export function personalAccessToken(token: string): TokenSource {
  return { token: async () => token, invalidate: () => {}, secrets: [token] };
}

export interface OAuthM2MOptions {
  host: string;
  clientId: string;
  clientSecret: string;
  fetch: Fetch;
  /** Clock for expiry; tests move it forward instead of waiting an hour. */
  now: () => number;
}

/** Refresh this long before the token expires so a call never goes out with a dying token. */
const REFRESH_MARGIN_MS = 60_000;
/** Databricks M2M tokens last one hour; assumed when the response omits `expires_in`. */
const DEFAULT_EXPIRES_IN_S = 3600;

/**
 * OAuth machine-to-machine (client credentials) against the workspace's own token endpoint.
 * The token is cached until 60 s before it expires; concurrent callers share one in-flight
 * request so a burst of polls after expiry costs one token call, not one each.
 */
export class OAuthM2MTokenSource implements TokenSource {
  readonly secrets: readonly string[];
  #cached?: { accessToken: string; refreshAt: number };
  #inFlight?: Promise<string>;

  constructor(private readonly opts: OAuthM2MOptions) {
    this.secrets = [opts.clientSecret];
  }

  async token(signal?: AbortSignal): Promise<string> {
    if (this.#cached && this.opts.now() < this.#cached.refreshAt) return this.#cached.accessToken;
    // The shared request is not tied to any one caller's signal: aborting one caller must
    // not fail the others, so each caller only stops waiting.
    this.#inFlight ??= this.#fetchToken().finally(() => {
      this.#inFlight = undefined;
    });
    return abortable(this.#inFlight, signal);
  }

  invalidate(): void {
    this.#cached = undefined;
  }

  async #fetchToken(): Promise<string> {
    const { host, clientId, clientSecret } = this.opts;
    const operation = 'POST /oidc/v1/token';
    let res: Response;
    try {
      res = await this.opts.fetch(`${host}/oidc/v1/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'all-apis' }).toString(),
      });
    } catch (err) {
      throw networkError(err, operation);
    }
    if (!res.ok) throw await errorFromResponse(res, operation, this.secrets);
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number };
    // A 2xx without a token is a broken gateway or endpoint, not our credentials: retry later.
    if (!body.access_token) throw new ApiError({ service: 'databricks', message: `Databricks ${operation} returned no access_token`, retryable: true });
    const expiresInMs = (Number(body.expires_in) || DEFAULT_EXPIRES_IN_S) * 1000;
    this.#cached = { accessToken: body.access_token, refreshAt: this.opts.now() + Math.max(0, expiresInMs - REFRESH_MARGIN_MS) };
    return body.access_token;
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
