import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ApiService } from './errors.ts';

/**
 * Prometheus metrics. One registry per app instance (tests start several in one process),
 * so nothing here is a module-level singleton.
 */
export interface Metrics {
  registry: Registry;
  apiCalls: Counter<'service' | 'operation' | 'status'>;
  apiLatency: Histogram<'service' | 'operation' | 'status'>;
  /** Times one outside call; `status` is the HTTP status, or `error` when none came back. */
  observeApiCall(service: ApiService, operation: string, status: number | 'error', seconds: number): void;
}

export function createMetrics({ defaults = true }: { defaults?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry, prefix: 'cutover_' });
  const apiCalls = new Counter({
    name: 'cutover_api_calls_total',
    help: 'Calls to outside APIs by service, operation and HTTP status',
    labelNames: ['service', 'operation', 'status'] as const,
    registers: [registry],
  });
  const apiLatency = new Histogram({
    name: 'cutover_api_call_duration_seconds',
    help: 'Latency of calls to outside APIs by service, operation and HTTP status',
    labelNames: ['service', 'operation', 'status'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return {
    registry,
    apiCalls,
    apiLatency,
    observeApiCall(service, operation, status, seconds) {
      const labels = { service, operation, status: String(status) };
      apiCalls.inc(labels);
      apiLatency.observe(labels, seconds);
    },
  };
}
