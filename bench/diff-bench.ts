/**
 * The diff benchmark (issue 3): two generated Parquet datasets of N rows × 12 columns of mixed
 * types, at several difference rates. For each rate, measured in the same run, each in its own
 * child process so peak RSS is per measurement:
 *   diff        diffDatasets() as the bot runs it (strategy auto)
 *   diff, known diffDatasets() told the last run's share of differing keys (`expectedShare`,
 *               here the rate itself), as the bot does from parallel-run history
 *   plain join  the same report from one full join (strategy join)
 *   lower bound DuckDB reading both datasets and hashing every row once
 * Targets (2-core machine): diff within 2x of the lower bound at 0 and 0.01 %, never slower
 * than the plain join, peak RSS under 2 GiB.
 *
 *   npx tsx bench/diff-bench.ts [--rows 10000000] [--rates 0,0.0001,0.01,0.1] [--repeat 1] [--keep] [--steps]
 *
 * `--steps` adds, per rate, one more diff whose SQL statements are timed one by one (the
 * per-step costs in src/diff/README.md).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { diffDatasets, withDuckDb, type EngineOptions } from '../src/diff/index.ts';
import { registerDataset } from '../src/datasets/index.ts';

export interface DiffBenchOptions {
  rows?: number;
  rates?: number[];
  /** Runs per measurement; the median is kept. */
  repeat?: number;
  engine?: EngineOptions;
  dir?: string;
  keep?: boolean;
  /** Also time one diff per rate statement by statement. */
  steps?: boolean;
  log?: (line: string) => void;
}

export interface Measurement {
  ms: number;
  maxRssMiB: number;
  strategy?: string;
  changed?: number;
  /** `--steps`: the diff's statements taking 20 ms or more, in order. */
  steps?: Array<{ sql: string; ms: number }>;
}

export interface DiffBenchRow {
  rate: number;
  diff: Measurement;
  /** The diff told the share of differing keys to expect. */
  known: Measurement;
  join: Measurement;
  lower: Measurement;
  steps?: Measurement['steps'];
}

export const COLUMNS = 'id, c_int, c_big, c_dec, c_dbl, c_str, c_date, c_ts, c_bool, c_small, c_dbl2, c_cat';

/** Rows hit by a difference: 90 % get one changed value, 5 % vanish, and as many new ones appear. */
export function datasetSql(rows: number, rate: number, shuffle: boolean): string {
  const hit = Math.round(rate * 1_000_000);
  const dropped = Math.round(hit * 0.05);
  const extra = Math.round(rows * rate * 0.05);
  const changed = (which: number, normal: string, other: string) => `CASE WHEN r < ${hit} AND r >= ${dropped} AND w = ${which} THEN ${other} ELSE ${normal} END`;
  const body = `SELECT i::BIGINT AS id,
      ${changed(0, '(i % 1000)::INTEGER', '-1::INTEGER')} AS c_int,
      (i * 7919)::BIGINT AS c_big,
      ${changed(1, '((i % 100000) / 100.0)::DECIMAL(18,2)', '0.01::DECIMAL(18,2)')} AS c_dec,
      ${changed(2, '(i * 0.37)::DOUBLE', '(i * 0.37 + 1)::DOUBLE')} AS c_dbl,
      ${changed(3, `'name_' || (i % 5000)::VARCHAR`, `'changed'`)} AS c_str,
      DATE '2020-01-01' + (i % 1000)::INTEGER AS c_date,
      ${changed(4, `TIMESTAMP '2020-01-01' + to_microseconds(i * 1000)`, `TIMESTAMP '1999-01-01'`)} AS c_ts,
      (i % 2 = 0) AS c_bool, (i % 77)::SMALLINT AS c_small, ((i % 1000) * 1.5)::DOUBLE AS c_dbl2, 'cat_' || (i % 13)::VARCHAR AS c_cat
    FROM (SELECT i, hash(i, 42) % 1000000 AS r, hash(i, 7) % 5 AS w FROM range(${rows}) t(i)) x
    WHERE NOT (r < ${dropped})`;
  const extras = extra > 0 ? ` UNION ALL SELECT (${rows} + i)::BIGINT, 1, 1, 1.00, 1.0, 'extra', DATE '2020-01-01', TIMESTAMP '2020-01-01', true, 1::SMALLINT, 1.0, 'cat' FROM range(${extra}) t(i)` : '';
  return shuffle ? `SELECT * FROM (${body}${extras}) ORDER BY hash(id)` : body;
}

async function generate(dir: string, rows: number, rates: number[], engine: EngineOptions, log: (s: string) => void) {
  const started = performance.now();
  await withDuckDb({ ...engine, memoryLimit: '2GB' }, async (db) => {
    await db.run(`COPY (${datasetSql(rows, 0, false)}) TO '${join(dir, 'legacy.parquet')}' (FORMAT parquet)`);
    for (const rate of rates) await db.run(`COPY (${datasetSql(rows, rate, true)}) TO '${join(dir, `target-${rate}.parquet`)}' (FORMAT parquet)`);
  });
  log(`generated ${rows.toLocaleString('en-US')} rows x 12 columns, ${rates.length + 1} datasets in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** Child-process side: one measurement, its result as JSON on the last stdout line. */
async function measure(kind: string, legacy: string, target: string, engine: EngineOptions, expectedShare?: number): Promise<Measurement> {
  const started = performance.now();
  let extra: Partial<Measurement> = {};
  if (kind === 'lower') {
    await withDuckDb(engine, async (db) => {
      for (const [view, path] of [['legacy', legacy], ['target', target]] as const) {
        await registerDataset(db, view, { path, format: 'parquet' });
        await db.one(`SELECT sum(hash(${COLUMNS})) AS h FROM ${view}`);
      }
    });
  } else {
    const steps: Array<{ sql: string; ms: number }> = [];
    const onStatement = (sql: string, ms: number) => {
      if (ms >= 20) steps.push({ sql: sql.replace(/\s+/g, ' ').slice(0, 90).replaceAll('|', '\\|'), ms });
    };
    const report = await diffDatasets({
      legacy: { path: legacy, format: 'parquet' },
      target: { path: target, format: 'parquet' },
      key: ['id'],
      strategy: kind === 'join' ? 'join' : 'auto',
      expectedShare: kind === 'known' ? expectedShare : undefined,
      engine: kind === 'steps' ? { ...engine, onStatement } : engine,
    });
    extra = { strategy: report.strategy, changed: report.counts.changed + report.counts.onlyLegacy + report.counts.onlyTarget, ...(kind === 'steps' ? { steps } : {}) };
  }
  return { ms: performance.now() - started, maxRssMiB: process.resourceUsage().maxRSS / 1024, ...extra };
}

const exec = promisify(execFile);

async function inChild(kind: string, legacy: string, target: string, engine: EngineOptions, expectedShare?: number): Promise<Measurement> {
  // Resolved here so the child finds tsx whatever its working directory.
  const args = ['--import', import.meta.resolve('tsx'), fileURLToPath(import.meta.url), '--measure', kind, '--legacy', legacy, '--target', target];
  if (engine.memoryLimit) args.push('--memory-limit', engine.memoryLimit);
  if (engine.threads) args.push('--threads', String(engine.threads));
  if (expectedShare !== undefined) args.push('--expected-share', String(expectedShare));
  const { stdout } = await exec(process.execPath, args, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Measurement;
}

const median = (ms: Measurement[]) => [...ms].sort((a, b) => a.ms - b.ms)[Math.floor(ms.length / 2)] as Measurement;

export async function runDiffBench(opts: DiffBenchOptions = {}): Promise<DiffBenchRow[]> {
  const rows = opts.rows ?? 10_000_000;
  const rates = opts.rates ?? [0, 0.0001, 0.01, 0.1];
  const engine = opts.engine ?? { memoryLimit: '1GB', threads: 2 };
  const log = opts.log ?? ((s: string) => console.log(s));
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'cutover-diff-bench-')));
  try {
    await generate(dir, rows, rates, engine, log);
    // Flush the ~2 GB just written, so the kernel's writeback does not run under the measurements.
    await exec('sync');
    const out: DiffBenchRow[] = [];
    for (const rate of rates) {
      const legacy = join(dir, 'legacy.parquet');
      const target = join(dir, `target-${rate}.parquet`);
      const runs: Record<'diff' | 'known' | 'join' | 'lower', Measurement[]> = { diff: [], known: [], join: [], lower: [] };
      // Interleaved, so drift on a shared machine hits all three alike.
      for (let i = 0; i < (opts.repeat ?? 1); i++) {
        for (const kind of ['lower', 'diff', 'known', 'join'] as const) {
          // The join spills to disk: its writeback must not run under the next measurement.
          await exec('sync');
          runs[kind].push(await inChild(kind, legacy, target, engine, kind === 'known' ? rate : undefined));
        }
      }
      const row: DiffBenchRow = { rate, diff: median(runs.diff), known: median(runs.known), join: median(runs.join), lower: median(runs.lower) };
      if (opts.steps) {
        await exec('sync');
        row.steps = (await inChild('steps', legacy, target, engine)).steps;
      }
      log(`rate ${formatRate(rate)}: diff ${fmt(row.diff.ms)} s, known ${fmt(row.known.ms)} s, plain join ${fmt(row.join.ms)} s, lower bound ${fmt(row.lower.ms)} s`);
      out.push(row);
    }
    return out;
  } finally {
    if (!opts.keep && !opts.dir) await rm(dir, { recursive: true, force: true });
  }
}

const fmt = (ms: number) => (ms / 1000).toFixed(2);
const formatRate = (rate: number) => `${+(rate * 100).toPrecision(3)} %`;

export function formatDiffBench(rows: DiffBenchRow[], opts: { rows: number; engine: EngineOptions }): string {
  const head = `diff benchmark: ${opts.rows.toLocaleString('en-US')} rows x 12 columns, memory_limit ${opts.engine.memoryLimit ?? '1GB'}, threads ${opts.engine.threads ?? 2}`;
  const lines = [
    head,
    '| rate | diff s | plain join s | lower bound s | diff / lower | diff / join | strategy | differing keys | peak RSS MiB diff / join / lower |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${formatRate(r.rate)} | ${fmt(r.diff.ms)} | ${fmt(r.join.ms)} | ${fmt(r.lower.ms)} | ${(r.diff.ms / r.lower.ms).toFixed(2)}x | ` +
        `${(r.diff.ms / r.join.ms).toFixed(2)}x | ${r.diff.strategy} | ${(r.diff.changed ?? 0).toLocaleString('en-US')}` +
        `${r.diff.changed === r.join.changed ? '' : ` (join: ${r.join.changed})`} | ${Math.round(r.diff.maxRssMiB)} / ${Math.round(r.join.maxRssMiB)} / ${Math.round(r.lower.maxRssMiB)} |`,
    );
  }
  lines.push(
    '',
    "the same diff told the last run's share of differing keys (expectedShare = the rate):",
    '| rate | diff s | diff / lower | diff / join | strategy | differing keys | peak RSS MiB |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const r of rows) {
    lines.push(
      `| ${formatRate(r.rate)} | ${fmt(r.known.ms)} | ${(r.known.ms / r.lower.ms).toFixed(2)}x | ${(r.known.ms / r.join.ms).toFixed(2)}x | ${r.known.strategy} | ` +
        `${(r.known.changed ?? 0).toLocaleString('en-US')}${r.known.changed === r.join.changed ? '' : ` (join: ${r.join.changed})`} | ${Math.round(r.known.maxRssMiB)} |`,
    );
  }
  lines.push('targets: diff / lower <= 2x at 0 and 0.01 %; diff / join <= 1x; peak RSS < 2048 MiB');
  for (const r of rows.filter((row) => row.steps)) {
    lines.push('', `steps of one diff at ${formatRate(r.rate)} (statements of 20 ms or more):`, '| s | statement |', '| --- | --- |');
    for (const s of r.steps ?? []) lines.push(`| ${fmt(s.ms)} | \`${s.sql}\` |`);
  }
  return lines.join('\n');
}

/** `npm run bench -- diff [--rows N] [--rates a,b] [--repeat N] [--keep] [--target-format delta]` (bench/run.ts calls this). */
export async function main(argv: string[]): Promise<void> {
  // `--target-format delta`: the Delta benchmark (bench/delta-bench.ts), with its own options.
  const format = argv.find((a, i) => argv[i - 1] === '--target-format') ?? argv.find((a) => a.startsWith('--target-format='))?.split('=')[1];
  if (format === 'delta') {
    const { main: deltaMain } = await import('./delta-bench.ts');
    await deltaMain(argv);
    return;
  }
  if (format !== undefined && format !== 'parquet') throw new Error(`--target-format must be parquet or delta, not ${format}`);
  const { values } = parseArgs({
    args: argv,
    options: {
      rows: { type: 'string' },
      rates: { type: 'string' },
      repeat: { type: 'string' },
      'memory-limit': { type: 'string' },
      threads: { type: 'string' },
      keep: { type: 'boolean' },
      steps: { type: 'boolean' },
      measure: { type: 'string' },
      legacy: { type: 'string' },
      target: { type: 'string' },
      'expected-share': { type: 'string' },
      'target-format': { type: 'string' },
    },
  });
  const engine: EngineOptions = { memoryLimit: values['memory-limit'] ?? '1GB', threads: Number(values.threads ?? 2) };
  if (values.measure) {
    const share = values['expected-share'] === undefined ? undefined : Number(values['expected-share']);
    console.log(JSON.stringify(await measure(values.measure, values.legacy ?? '', values.target ?? '', engine, share)));
    return;
  }
  const rows = Number(values.rows ?? 10_000_000);
  const rates = values.rates ? values.rates.split(',').map(Number) : undefined;
  const result = await runDiffBench({ rows, rates, repeat: Number(values.repeat ?? 1), engine, keep: values.keep, steps: values.steps });
  console.log(formatDiffBench(result, { rows, engine }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
