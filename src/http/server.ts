import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import type { PreflightReport } from '../doctor/types.ts';
import { findingLine } from '../doctor/run-preflight.ts';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';

export interface HttpServerOptions {
  /** Bolt's HTTPReceiver listener for `/slack/events`; absent in the worker role and in Socket Mode. */
  slack?: RequestListener;
  /** `POST /sns` (issue 4); absent until wired. */
  sns?: RequestListener;
  redis: Redis;
  metrics: Metrics;
  /** The latest preflight, shown in `/readyz` (undefined until the first one ends, or when it is off). */
  preflight?: () => PreflightReport | undefined;
  /** Refreshes gauges (queue depths, runs by state) just before a scrape. */
  beforeScrape?: () => Promise<void>;
  logger: Logger;
}

/**
 * The app's one HTTP server (DESIGN.md routes). Bolt only gets `/slack/events`, where it
 * verifies every request's signature itself; health and metrics are plain routes.
 */
export function createHttpServer(opts: HttpServerOptions): Server {
  const routes: Record<string, RequestListener | undefined> = {
    'POST /slack/events': opts.slack,
    'POST /sns': opts.sns,
    'GET /healthz': (_req, res) => send(res, 200, 'application/json', '{"ok":true}'),
    'GET /readyz': (_req, res) => void readiness(opts.redis, opts.preflight?.()).then(([code, body]) => send(res, code, 'application/json', body)),
    'GET /metrics': (_req, res) =>
      void (async () => {
        await opts.beforeScrape?.().catch((err) => opts.logger.warn({ err }, 'metrics refresh failed'));
        send(res, 200, opts.metrics.registry.contentType, await opts.metrics.registry.metrics());
      })(),
  };
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    const handler = routes[`${req.method} ${path}`];
    if (!handler) return send(res, 404, 'application/json', '{"error":"not_found"}');
    try {
      handler(req, res);
    } catch (err) {
      opts.logger.error({ err, path }, 'request failed');
      if (!res.headersSent) send(res, 500, 'application/json', '{"error":"internal"}');
    }
  });
}

/**
 * Ready means Redis answers: without it nothing can be taken or kept. The preflight's findings
 * are reported beside it (`degraded`), not as 503: one unreachable bucket or DAG must not take
 * the bot out of the load balancer, which would also stop it saying in Slack what is wrong.
 */
async function readiness(redis: Redis, preflight: PreflightReport | undefined): Promise<[number, string]> {
  const checks = preflight
    ? { preflight: { ok: preflight.ok, checkedAt: new Date(preflight.at).toISOString(), targets: preflight.checked, problems: preflight.findings.map(findingLine) } }
    : {};
  let redisState: 'up' | 'down' | 'unexpected reply';
  try {
    const pong = await Promise.race([redis.ping(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000))]);
    redisState = pong === 'PONG' ? 'up' : 'unexpected reply';
  } catch {
    redisState = 'down';
  }
  const up = redisState === 'up';
  const status = !up ? 'not ready' : preflight && !preflight.ok ? 'degraded' : 'ready';
  return [up ? 200 : 503, JSON.stringify({ ok: up, status, redis: redisState, ...checks })];
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}
