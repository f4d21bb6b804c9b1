import type { ApiService } from '../errors.ts';
import type { Metrics } from '../metrics.ts';

export type Fetch = typeof fetch;

/**
 * Wraps `fetch` so every outside call is counted and timed by service, operation and status.
 * Clients take a `fetch` option (STYLE 10); the app passes one of these.
 */
export function instrumentedFetch(service: ApiService, metrics: Metrics | undefined, base: Fetch = fetch): Fetch {
  if (!metrics) return base;
  return async (input, init) => {
    const started = performance.now();
    const operation = operationOf(input);
    try {
      const res = await base(input, init);
      metrics.observeApiCall(service, operation, res.status, (performance.now() - started) / 1000);
      return res;
    } catch (err) {
      metrics.observeApiCall(service, operation, 'error', (performance.now() - started) / 1000);
      throw err;
    }
  };
}

/** A low-cardinality operation label: the URL path without ids, e.g. `/api/2.1/jobs/runs/get`. */
function operationOf(input: Parameters<Fetch>[0]): string {
  const raw = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  try {
    return new URL(raw).pathname.replace(/\/\d+(?=\/|$)/g, '/:id');
  } catch {
    return 'unknown';
  }
}
