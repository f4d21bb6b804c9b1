/** Fetches a signing certificate's PEM; only ever called with a URL that passed the SNS host rule. */
export type FetchCertificate = (url: string) => Promise<string>;

export interface CertificateFetcherOptions {
  /** Defaults to the global `fetch`. */
  fetch?: typeof globalThis.fetch;
  /** Per request; SNS waits for our answer, so a slow certificate host must not hold it. Default 5 s. */
  timeoutMs?: number;
  /** A real SNS certificate is ~2 KB; anything far larger is not one. Default 64 KiB. */
  maxBytes?: number;
  /** Distinct URLs kept; SNS rotates certificates rarely, so a handful is plenty. Default 32. */
  cacheSize?: number;
}

/**
 * The production certificate fetcher: https only, no redirects (a redirect could leave the
 * SNS host), a timeout and a size cap, and a bounded cache by URL so a burst of messages
 * costs one fetch. Concurrent callers share the in-flight request; failures are not cached.
 */
export function createCertificateFetcher(opts: CertificateFetcherOptions = {}): FetchCertificate {
  const { fetch = globalThis.fetch, timeoutMs = 5_000, maxBytes = 64 * 1024, cacheSize = 32 } = opts;
  const cache = new Map<string, Promise<string>>();
  return (url) => {
    const hit = cache.get(url);
    if (hit) {
      // Re-insert so the Map's insertion order doubles as least-recently-used order.
      cache.delete(url);
      cache.set(url, hit);
      return hit;
    }
    const pending = download(fetch, url, timeoutMs, maxBytes);
    cache.set(url, pending);
    pending.catch(() => cache.delete(url));
    while (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
    return pending;
  };
}

async function download(fetch: typeof globalThis.fetch, url: string, timeoutMs: number, maxBytes: number): Promise<string> {
  if (new URL(url).protocol !== 'https:') throw new Error('certificate URL must be https');
  const res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok || !res.body) throw new Error(`certificate fetch failed with HTTP ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > maxBytes) throw new Error('certificate too large');
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new Error('certificate too large');
    chunks.push(chunk);
  }
  const pem = Buffer.concat(chunks).toString('utf8');
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('response is not a PEM certificate');
  return pem;
}
