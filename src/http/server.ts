import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import type { Metrics } from '../metrics.ts';

export interface HttpServerOptions {
  /** Bolt's HTTPReceiver listener for `/slack/events`; absent in the worker role and in Socket Mode. */
  slack?: RequestListener;
  /** `POST /sns` (issue 4); absent until wired. */
  sns?: RequestListener;
  redis: Redis;
  metrics: Metrics;
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
    'GET /readyz': (_req, res) => void readiness(opts.redis).then(([code, body]) => send(res, code, 'application/json', body)),
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

async function readiness(redis: Redis): Promise<[number, string]> {
  try {
    const pong = await Promise.race([redis.ping(), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 1000))]);
    return pong === 'PONG' ? [200, '{"ok":true,"redis":"up"}'] : [503, '{"ok":false,"redis":"unexpected reply"}'];
  } catch {
    return [503, '{"ok":false,"redis":"down"}'];
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}
