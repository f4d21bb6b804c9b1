import { execFileSync, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { FakeSlack } from '../test/fakes/slack-server.ts';
import { BOT_TOKEN, SIGNING_SECRET, startAppProcess, type AppProcess } from '../test/helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../test/helpers/redis.ts';
import { slashCommandBody } from '../test/helpers/slack-requests.ts';

export interface AckFigures {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  requests: number;
  non2xx: number;
  errors: number;
}

const CATALOG = `
pipelines:
  bench-pipeline:
    channel: C0BENCH
    stage: live
    target: { engine: databricks, jobId: 1, jobParameters: { period: "{{period}}" } }
`;

/**
 * CPU pinning: on a 2-core machine the load client, Redis and the server otherwise fight for
 * the same cores, and Cutover (which uses Redis after each ack) would be charged for Redis's
 * CPU and the client's. With taskset, the server under test gets core 1 to itself and the
 * client and Redis share core 0, as they would be on other hosts in production.
 */
const PINNING = canPin();
const SERVER_CPU = PINNING ? ['taskset', '-c', '1'] : [];
const CLIENT_CPU = PINNING ? ['taskset', '-c', '0'] : [];

function canPin(): boolean {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return availableParallelism() >= 2;
  } catch {
    return false;
  }
}

/** Moves the local Redis to core 0 for the benchmark and returns how to undo it. */
function pinRedis(): () => void {
  if (!PINNING) return () => {};
  try {
    const pid = execFileSync('pgrep', ['-x', 'redis-server']).toString().trim().split('\n')[0]!;
    const before = /affinity mask: (\w+)/.exec(execFileSync('taskset', ['-p', pid]).toString())?.[1] ?? '3';
    execFileSync('taskset', ['-p', '1', pid]);
    return () => void execFileSync('taskset', ['-p', before, pid]);
  } catch {
    return () => {};
  }
}

/** Runs the load client in its own process against `url` and returns its figures. */
export async function load(url: string, body: string, amount: number, connections: number, warmup = 100): Promise<AckFigures> {
  const [command, ...args] = [...CLIENT_CPU, process.execPath, '--import', 'tsx', 'bench/load-client.ts', url, body, SIGNING_SECRET, String(amount), String(connections), String(warmup)];
  const child = spawn(command!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let last = '';
  createInterface({ input: child.stdout! }).on('line', (line) => (last = line));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`load client exited with ${code}`);
  return JSON.parse(last) as AckFigures;
}

export async function startBareBolt(slackUrl: string): Promise<AppProcess> {
  const [command, ...args] = [...SERVER_CPU, process.execPath, '--import', 'tsx', 'bench/bare-bolt-app.ts'];
  const proc = spawn(command!, args, {
    env: { ...process.env, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: slackUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) => createInterface({ input: proc.stdout! }).once('line', (l) => resolve(Number((JSON.parse(l) as { port: number }).port))));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stop = async () => {
    proc.kill('SIGTERM');
    await exited;
  };
  return { url: `http://127.0.0.1:${port}`, port, proc, logs: [], stop, kill: stop };
}

/**
 * Acknowledgement latency of signed `/pipeline run` requests: Cutover (web role: parse,
 * ack, then create the run and enqueue its jobs in Redis) against a bare Bolt app that only
 * acks, measured in the same run with the same load client.
 */
export async function runAckBench({ amount = 500, connections = 20, rounds = 5 } = {}): Promise<{ cutover: AckFigures; bare: AckFigures }> {
  const slack = new FakeSlack();
  const slackUrl = await slack.start();
  const redis = testRedis();
  const prefix = uniquePrefix('bench-ack');
  const body = slashCommandBody({ text: 'run bench-pipeline --period 2026-07', userId: 'U0BENCH', channelId: 'C0BENCH', responseUrl: slack.responseUrl('bench') });
  const bare = await startBareBolt(slackUrl);
  const app = await startAppProcess({ catalogYaml: CATALOG, prefix, role: 'web', env: { SLACK_API_URL: slackUrl }, wrapper: SERVER_CPU });
  const unpinRedis = pinRedis();
  try {
    // Alternate the two servers over several rounds and keep the median round of each, so
    // neither the order nor one noisy round (two cores, shared with Redis and the client) decides.
    const bareRounds: AckFigures[] = [];
    const cutoverRounds: AckFigures[] = [];
    for (let i = 0; i < rounds; i++) {
      bareRounds.push(await load(`${bare.url}/slack/events`, body, amount, connections));
      cutoverRounds.push(await load(`${app.url}/slack/events`, body, amount, connections));
    }
    return { cutover: median(cutoverRounds), bare: median(bareRounds) };
  } finally {
    unpinRedis();
    await Promise.all([app.stop(), bare.stop()]);
    await slack.stop();
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
}

/** Field-wise median over rounds. */
export function median(rounds: AckFigures[]): AckFigures {
  const mid = (pick: (f: AckFigures) => number) => {
    const xs = rounds.map(pick).sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)]!;
  };
  return { p50: mid((f) => f.p50), p90: mid((f) => f.p90), p99: mid((f) => f.p99), max: mid((f) => f.max), requests: mid((f) => f.requests), non2xx: Math.max(...rounds.map((f) => f.non2xx)), errors: Math.max(...rounds.map((f) => f.errors)) };
}

export function formatAckFigures({ cutover, bare }: { cutover: AckFigures; bare: AckFigures }, amount: number, connections: number): string {
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
  return [
    `ack latency: ${amount} signed /pipeline run requests at concurrency ${connections}, load from a separate process; median of alternating rounds; ${PINNING ? 'server pinned to core 1, client and Redis to core 0' : 'no CPU pinning'}`,
    `                 p50 ms   p99 ms   max ms   non-2xx  errors`,
    `  cutover      ${cutover.p50.toFixed(2).padStart(7)}  ${cutover.p99.toFixed(2).padStart(7)}  ${cutover.max.toFixed(2).padStart(7)}  ${String(cutover.non2xx).padStart(7)}  ${String(cutover.errors).padStart(6)}`,
    `  bare bolt    ${bare.p50.toFixed(2).padStart(7)}  ${bare.p99.toFixed(2).padStart(7)}  ${bare.max.toFixed(2).padStart(7)}  ${String(bare.non2xx).padStart(7)}  ${String(bare.errors).padStart(6)}`,
    `  ratio        ${ratio(cutover.p50, bare.p50).padStart(7)}  ${ratio(cutover.p99, bare.p99).padStart(7)}      (target: p99 < 50 ms and ratio <= 1.5)`,
  ].join('\n');
}
