import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { createLogger, type Logger } from '../../../src/logger.ts';
import { createSnsListener, snsKeys, type SnsAlertJob, type SnsListenerOptions } from '../../../src/handlers/sns/index.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';
import { TEST_TOPIC, countingFetcher } from '../../helpers/sns-signing.ts';

export const ROUTES = [{ match: { AlarmName: 'incites-monthly-late', 'Trigger.Namespace': 'Databricks' }, pipeline: 'incites-monthly' }];
export const PIPELINES = ['incites-monthly', 'billing-daily'];

export interface SnsTestServer {
  url: string;
  jobs: SnsAlertJob[];
  confirmed: string[];
  certFetches: string[];
  logs: Array<Record<string, unknown>>;
  redis: Redis;
  /** The Redis key that marks a MessageId as processed. */
  dedupeKey(messageId: string): string;
  post(body: string | Buffer, headers?: Record<string, string>): Promise<{ status: number; body: string }>;
  close(): Promise<void>;
}

/**
 * The `/sns` listener on 127.0.0.1 with a real Redis under a unique prefix, a recording
 * `enqueue` and `confirm`, and the test certificate served by an injected fetcher.
 */
export async function startSnsTestServer(overrides: Partial<SnsListenerOptions> = {}): Promise<SnsTestServer> {
  const redis = testRedis();
  const prefix = uniquePrefix('sns');
  const jobs: SnsAlertJob[] = [];
  const confirmed: string[] = [];
  const logs: SnsTestServer['logs'] = [];
  const logger: Logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(JSON.parse(line)) } });
  const fetcher = countingFetcher();
  const keys = snsKeys(prefix);
  const listener = createSnsListener({
    allowedTopics: [TEST_TOPIC],
    routes: ROUTES,
    pipelines: PIPELINES,
    fetchCertificate: fetcher.fetchCertificate,
    redis,
    keys,
    enqueue: async (job) => void jobs.push(job),
    confirm: async (url) => void confirmed.push(url),
    logger,
    ...overrides,
  });
  const server: Server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sns`;
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });

  const post: SnsTestServer['post'] = (body, headers = { 'content-type': 'text/plain; charset=UTF-8' }) =>
    new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });

  return {
    url,
    jobs,
    confirmed,
    certFetches: fetcher.calls,
    logs,
    redis,
    dedupeKey: (id) => keys.snsMessage(id),
    post,
    async close() {
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await deletePrefix(redis, prefix);
      await redis.quit();
    },
  };
}
