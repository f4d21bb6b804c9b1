/**
 * `npm run bench -- scale [--runs 500 --channels 20 --jobs 50 --start-window-s 60 --run-s 120
 * --fail-pct 2 --poll-s 15 --workers 1,2 --ack-requests 200 --ack-run-requests 40 --ack-rounds 3]` (issue 17): many runs started within
 * a window across channels and Databricks jobs, the fake Databricks moving each through pending,
 * three tasks and a final state, the fake Slack enforcing Slack's published tiers with 429 and
 * Retry-After. Once with one process (CUTOVER_ROLE=all), once with that process plus a worker.
 * Acks of `/pipeline status` and `/pipeline run` sent to the `all` process during the load are
 * measured from a separate process, against a bare Bolt app measured in the same run.
 */
import type { Redis } from 'ioredis';
import { FakeDatabricks } from '../test/fakes/databricks-server.ts';
import { FakeSlack } from '../test/fakes/slack-server.ts';
import { SIGNING_SECRET, startAppProcess, type AppProcess } from '../test/helpers/app-process.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../test/helpers/redis.ts';
import { postSigned, slashCommandBody } from '../test/helpers/slack-requests.ts';
import { load, median, startBareBolt, type AckFigures } from './ack-bench.ts';

export interface ScaleOptions {
  runs: number;
  channels: number;
  jobs: number;
  startWindowS: number;
  runS: number;
  failPct: number;
  pollS: number;
  workers: number[];
  ackRequests: number;
  /** Each `/pipeline run` ack starts a real run, which takes Databricks and Slack budget from the load measured: fewer of them. */
  ackRunRequests: number;
  ackRounds: number;
}

export function parseScaleArgs(argv: string[]): ScaleOptions {
  const get = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : fallback;
  };
  const num = (name: string, fallback: number) => {
    const v = Number(get(name, String(fallback)));
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${name}: expected a number, got ${get(name, '')}`);
    return v;
  };
  return {
    runs: num('runs', 500),
    channels: num('channels', 20),
    jobs: num('jobs', 50),
    startWindowS: num('start-window-s', 60),
    runS: num('run-s', 120),
    failPct: num('fail-pct', 2),
    pollS: num('poll-s', 15),
    workers: get('workers', '1,2').split(',').map(Number),
    ackRequests: num('ack-requests', 200),
    ackRunRequests: num('ack-run-requests', 40),
    ackRounds: Math.max(1, num('ack-rounds', 3)),
  };
}

interface ScaleFigures {
  processes: number;
  delivered: number;
  runs: number;
  rateLimited: number;
  rateLimitedBuckets: number;
  maxPerBucket: number;
  dbPeak: number;
  dbMean: number;
  latencyP50: number;
  latencyP99: number;
  redisBytesPerRun: number;
  wallS: number;
  chatUpdates: number;
  /** Every Slack Web API call the fake answered, by method (what the budget went on). */
  slackCalls: Record<string, number>;
  ack?: { status: AckFigures; run: AckFigures; bareStatus: AckFigures; bareRun: AckFigures };
}

const catalog = (o: ScaleOptions) => `
pipelines:
${Array.from({ length: o.jobs }, (_, j) => `  scale-${j}:
    channel: C0CH${j % o.channels}
    stage: live
    target: { engine: databricks, jobId: ${1000 + j}, jobParameters: { period: "{{period}}" } }
`).join('')}  bench-ack:
    channel: C0ACK
    stage: live
    target: { engine: databricks, jobId: 999, jobParameters: { period: "{{period}}" } }
`;

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

async function redisBytesUnder(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let total = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    for (const key of keys) total += Number((await redis.memory('USAGE', key)) ?? 0);
  } while (cursor !== '0');
  return total;
}

async function runOnce(o: ScaleOptions, processes: number): Promise<ScaleFigures> {
  const slack = new FakeSlack({ rateLimits: 'published' });
  const databricks = new FakeDatabricks({ tokens: ['dapi-scale-bench'], msPerStep: Math.round((o.runS * 1000) / 4) });
  const [slackUrl, dbUrl] = await Promise.all([slack.start(), databricks.start()]);
  for (let j = 0; j < o.jobs; j++) databricks.addJob({ jobId: 1000 + j, tasks: ['extract', 'transform', 'load'] });
  databricks.addJob({ jobId: 999, tasks: ['main'] });
  const redis = testRedis();
  const prefix = uniquePrefix('bench-scale');
  const env = { SLACK_API_URL: slackUrl, DATABRICKS_HOST: dbUrl, DATABRICKS_TOKEN: 'dapi-scale-bench', CUTOVER_POLL_INTERVAL_MS: String(o.pollS * 1000), LOG_LEVEL: 'info' };
  const apps: AppProcess[] = [await startAppProcess({ catalogYaml: catalog(o), prefix, role: 'all', env })];
  for (let i = 1; i < processes; i++) apps.push(await startAppProcess({ catalogYaml: catalog(o), prefix, role: 'worker', env }));
  const all = apps[0]!;
  const bare = await startBareBolt(slackUrl);
  try {
    // Which command started which Databricks run: pipeline and period are unique per run.
    const started: Array<{ runId: string; job: number; period: string; fails: boolean }> = [];
    const failing = Math.round((o.runs * o.failPct) / 100);
    const t0 = Date.now();
    const sends: Array<Promise<void>> = [];
    for (let n = 0; n < o.runs; n++) {
      const job = n % o.jobs;
      const k = Math.floor(n / o.jobs);
      const period = `${2000 + Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}`;
      const fails = n % Math.max(1, Math.floor(o.runs / Math.max(1, failing))) === 0 && started.filter((s) => s.fails).length < failing;
      if (fails) databricks.setOutcomeFor(1000 + job, { period }, { fail: { task: 'load', error: 'bench failure' } });
      const at = t0 + (n * o.startWindowS * 1000) / o.runs;
      const entry = { runId: '', job, period, fails };
      started.push(entry);
      sends.push(
        (async () => {
          await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
          const id = `cmd-${n}`;
          const res = await postSigned(`${all.url}/slack/events`, slashCommandBody({ text: `run scale-${job} --period ${period}`, userId: 'U0BENCH', channelId: `C0CH${job % o.channels}`, responseUrl: slack.responseUrl(id) }), { secret: SIGNING_SECRET });
          const body = await res.text();
          let text = body ? (JSON.parse(body) as { text?: string }).text : undefined;
          for (let i = 0; !text && i < 600; i++) {
            await new Promise((r) => setTimeout(r, 100));
            text = (slack.responses.find((r) => r.id === id)?.body as { text?: string } | undefined)?.text;
          }
          entry.runId = /`(r-[a-z0-9]+-[a-f0-9]{6})`/.exec(text ?? '')?.[1] ?? '';
        })(),
      );
    }

    // Acks under load: half-way through the start window, from a separate process.
    const ackDone = (async () => {
      if (o.ackRequests <= 0) return undefined;
      await new Promise((r) => setTimeout(r, (o.startWindowS * 1000) / 2));
      const statusBody = slashCommandBody({ text: 'status scale-0', userId: 'U0BENCH', channelId: 'C0CH0', responseUrl: slack.responseUrl('ack-status') });
      const runBody = slashCommandBody({ text: 'run bench-ack --period 2026-01', userId: 'U0BENCH', channelId: 'C0ACK', responseUrl: slack.responseUrl('ack-run') });
      const conc = 5;
      // Bare Bolt and Cutover alternate, round after round, and each keeps its median round: the
      // load changes from second to second, so one after the other would compare two moments.
      const rounds = { bareStatus: [] as AckFigures[], status: [] as AckFigures[], bareRun: [] as AckFigures[], run: [] as AckFigures[] };
      for (let i = 0; i < o.ackRounds; i++) {
        rounds.bareStatus.push(await load(`${bare.url}/slack/events`, statusBody, o.ackRequests, conc));
        rounds.status.push(await load(`${all.url}/slack/events`, statusBody, o.ackRequests, conc));
        rounds.bareRun.push(await load(`${bare.url}/slack/events`, runBody, o.ackRunRequests, conc, 5));
        rounds.run.push(await load(`${all.url}/slack/events`, runBody, o.ackRunRequests, conc, 5));
      }
      return { bareStatus: median(rounds.bareStatus), status: median(rounds.status), bareRun: median(rounds.bareRun), run: median(rounds.run) };
    })();

    await Promise.all(sends);
    const memory = await redisBytesUnder(redis, prefix); // every run tracked, none ended yet (if run-s > start window)
    const ack = await ackDone;

    // Wait for every final state to reach Slack (or give up after a generous bound).
    const finalAt = new Map<string, number>();
    // Slack's chat.update tier alone needs about 1.2 s a run once the burst is spent.
    const deadline = Date.now() + (o.runS + o.startWindowS) * 1000 + o.runs * 1500 + 120_000;
    let reported = Date.now();
    const byRun = new Map(started.map((s) => [s.runId, s]));
    let scanned = 0;
    while (finalAt.size < started.length && Date.now() < deadline) {
      for (; scanned < slack.calls.length; scanned++) {
        const c = slack.calls[scanned]!;
        if (c.status !== 200 || c.error || (c.method !== 'chat.update' && c.method !== 'chat.postMessage') || c.body.thread_ts) continue;
        if (!/succeeded|failed/.test(String(c.body.text ?? ''))) continue;
        const blocks = c.body.blocks;
        const id = /r-[a-z0-9]+-[a-f0-9]{6}/.exec(typeof blocks === 'string' ? blocks : JSON.stringify(blocks ?? ''))?.[0];
        if (id && byRun.has(id) && !finalAt.has(id)) finalAt.set(id, c.at);
      }
      if (Date.now() - reported > 30_000) {
        reported = Date.now();
        console.error(`  ${finalAt.size}/${started.length} final states in Slack, ${slack.calls.filter((c) => c.status === 429).length} 429s so far`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const wallS = (Math.max(...finalAt.values()) - t0) / 1000;

    // State change at the fake (the run's end) to the Slack edit that shows it.
    const ends = new Map(databricks.timeline.map((t) => [`${t.jobId}/${t.params.period}`, t.endedAt]));
    const latencies = started.flatMap((s) => {
      const end = ends.get(`${1000 + s.job}/${s.period}`);
      const at = finalAt.get(s.runId);
      return end && at ? [(at - end) / 1000] : [];
    });
    // Databricks calls per second over the load (first to last call).
    const times = databricks.requests.map((r) => r.at);
    const perSecond = new Map<number, number>();
    for (const t of times) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    const span = times.length > 1 ? (Math.max(...times) - Math.min(...times)) / 1000 : 1;
    const limited = slack.rateLimited();
    return {
      processes,
      delivered: finalAt.size,
      runs: started.length,
      rateLimited: Object.values(limited).reduce((a, b) => a + b, 0),
      rateLimitedBuckets: Object.keys(limited).length,
      maxPerBucket: Math.max(0, ...Object.values(limited)),
      dbPeak: Math.max(0, ...perSecond.values()),
      dbMean: times.length / span,
      latencyP50: pct(latencies, 50),
      latencyP99: pct(latencies, 99),
      redisBytesPerRun: memory / o.runs,
      wallS,
      chatUpdates: slack.callsTo('chat.update').length,
      slackCalls: slack.calls.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c.method]: (acc[c.method] ?? 0) + 1 }), {}),
      ack,
    };
  } finally {
    await Promise.all([...apps.map((a) => a.stop()), bare.stop()]);
    await Promise.all([slack.stop(), databricks.stop()]);
    await deletePrefix(redis, prefix);
    redis.disconnect();
  }
}

export function formatScale(o: ScaleOptions, results: ScaleFigures[]): string {
  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
  const lines = [
    `scale: ${o.runs} runs started within ${o.startWindowS} s across ${o.channels} channels and ${o.jobs} Databricks jobs; each run pending -> 3 tasks -> final over ~${o.runS} s (${o.failPct} % failing); poll interval ${o.pollS} s; fake Slack enforcing Slack's published tiers (chat.update 50/min, chat.postMessage 1/s per channel) with 429 + Retry-After`,
    `  processes                          ${results.map((r) => String(r.processes === 1 ? '1 (all)' : `${r.processes} (all+worker)`).padStart(16)).join('')}`,
    `  final states in Slack              ${results.map((r) => `${r.delivered}/${r.runs}`.padStart(16)).join('')}`,
    `  Slack 429s (buckets, max/bucket)   ${results.map((r) => `${r.rateLimited} (${r.rateLimitedBuckets}, ${r.maxPerBucket})`.padStart(16)).join('')}`,
    `  chat.update calls                  ${results.map((r) => String(r.chatUpdates).padStart(16)).join('')}`,
    `  Databricks calls/s peak, mean      ${results.map((r) => `${r.dbPeak}, ${f(r.dbMean, 2)}`.padStart(16)).join('')}`,
    `  end-at-fake -> Slack p50, p99 (s)  ${results.map((r) => `${f(r.latencyP50)}, ${f(r.latencyP99)}`.padStart(16)).join('')}`,
    `  Redis bytes per tracked run        ${results.map((r) => f(r.redisBytesPerRun, 0).padStart(16)).join('')}`,
    `  first command -> last final (s)    ${results.map((r) => f(r.wallS).padStart(16)).join('')}`,
  ];
  for (const r of results) lines.push(`  Slack calls by method (${r.processes} process${r.processes > 1 ? 'es' : ''}): ${Object.entries(r.slackCalls).sort((a, b) => b[1] - a[1]).map(([m, n]) => `${m} ${n}`).join(', ')}`);
  if (results.length === 2) lines.push(`  two-process speed-up (wall time)   ${f(results[0]!.wallS / results[1]!.wallS, 2).padStart(16)}`);
  for (const r of results) {
    if (!r.ack) continue;
    const a = r.ack;
    lines.push(
      `  ack under load (${r.processes} process${r.processes > 1 ? 'es' : ''}), ${o.ackRequests} status / ${o.ackRunRequests} run requests a round at concurrency 5, median of ${o.ackRounds} alternating rounds, ms:  p50 / p99`,
      `    /pipeline status  cutover ${f(a.status.p50, 2)} / ${f(a.status.p99, 2)}   bare bolt ${f(a.bareStatus.p50, 2)} / ${f(a.bareStatus.p99, 2)}   ratio p99 ${f(a.status.p99 / a.bareStatus.p99, 2)}  (non-2xx ${a.status.non2xx})`,
      `    /pipeline run     cutover ${f(a.run.p50, 2)} / ${f(a.run.p99, 2)}   bare bolt ${f(a.bareRun.p50, 2)} / ${f(a.bareRun.p99, 2)}   ratio p99 ${f(a.run.p99 / a.bareRun.p99, 2)}  (non-2xx ${a.run.non2xx})`,
    );
  }
  lines.push(`  targets: all delivered; no 429 after the first; p99 < poll interval + 10 s; Databricks < 10 calls/s; ack p99 within 1.5x of bare Bolt`);
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<void> {
  const o = parseScaleArgs(argv);
  const results: ScaleFigures[] = [];
  for (const processes of o.workers) {
    console.error(`scale bench: ${processes} process(es)…`);
    results.push(await runOnce(o, processes));
  }
  console.log(formatScale(o, results));
}
