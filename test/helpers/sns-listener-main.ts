import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createCrashPoint } from '../../src/crash-point.ts';
import { createSnsListener, snsKeys, type AlarmRouteRule } from '../../src/handlers/sns/index.ts';
import { Queues } from '../../src/jobs/queues.ts';
import { createLogger } from '../../src/logger.ts';
import { keyspace } from '../../src/store/redis.ts';
import { TEST_CERT_URL } from './sns-signing.ts';

/**
 * `POST /sns` as the app's web role wires it (src/app.ts: the real listener, the real Redis and
 * queues, the crash point of `CUTOVER_TEST_CRASH_AT`), in a process of its own. The only
 * difference: the signing certificate is read from `SNS_CERT_FILE` instead of fetched from
 * sns.<region>.amazonaws.com, which a test cannot serve. Prints `{"port":N}` once listening.
 */
const env = process.env;
const certPem = readFileSync(env.SNS_CERT_FILE!, 'utf8');
const prefix = env.CUTOVER_REDIS_PREFIX!;
const redis = new Redis(env.REDIS_URL!, { maxRetriesPerRequest: 1 });
const queues = new Queues(new Redis(env.REDIS_URL!, { maxRetriesPerRequest: null }), keyspace(prefix).bullPrefix);
const listener = createSnsListener({
  allowedTopics: [env.SNS_TOPIC!],
  routes: JSON.parse(env.SNS_ROUTES ?? '[]') as AlarmRouteRule[],
  pipelines: (env.SNS_PIPELINES ?? '').split(','),
  fetchCertificate: async (url) => {
    if (url !== TEST_CERT_URL) throw new Error(`no certificate at ${url}`);
    return certPem;
  },
  redis,
  keys: snsKeys(prefix),
  enqueue: (alert) => queues.snsAlert(alert),
  logger: createLogger({ level: 'info' }),
  crashPoint: createCrashPoint(env.CUTOVER_TEST_CRASH_AT),
});
const server = createServer(listener);
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as AddressInfo).port })));
