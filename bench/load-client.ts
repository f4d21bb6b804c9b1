/**
 * The load generator, run as its own process so its work never shares the server's event
 * loop. Sends `amount` signed `/pipeline` requests at `connections` concurrency with
 * autocannon and prints latency percentiles (ms) as one JSON line.
 */
import autocannon from 'autocannon';
import { signSlackBody } from '../test/helpers/slack-requests.ts';

const [url, body, secret, amount, connections, warmup = '100'] = process.argv.slice(2) as [string, string, string, string, string, string?];
const headers = { 'content-type': 'application/x-www-form-urlencoded', ...signSlackBody(secret, body) };

const run = (n: number) =>
  autocannon({ url, method: 'POST', body, headers, amount: n, connections: Number(connections), timeout: 10 });

// Warm-up: JIT, connection pools, Redis scripts loaded (fewer where each request starts a real run).
if (Number(warmup) > 0) await run(Math.min(Number(warmup), Number(amount)));
const result = await run(Number(amount));
process.stdout.write(
  `${JSON.stringify({ p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max, requests: result.requests.total, non2xx: result.non2xx, errors: result.errors })}\n`,
);
