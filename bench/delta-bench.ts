/**
 * The Delta benchmark (issue 13): `npm run bench -- diff --target-format delta`.
 *
 * 1. The diff against a Delta target next to the same diff over plain Parquet holding the same
 *    live rows, measured in the same run, each in its own child process (peak RSS per
 *    measurement), interleaved so drift on a shared machine hits both alike. Per rate, one Delta
 *    table written by test/helpers/delta-writer.ts (the writer the reader's tests use):
 *      v0 create (deletion vectors enabled)
 *      v1 append: one file of older rows (10 % of the keys, stale values)
 *      v2 overwrite: removes v1's file (it stays on disk) and adds `--files` files holding the
 *         diff bench's target rows (bench/diff-bench.ts, shuffled by key hash)
 *      v3 delete: 5 % of the rows of every file deleted through deletion vectors (`u` DV files)
 *    The Parquet baseline is a folder with one file per Delta data file holding that file's live
 *    rows; the legacy side is one Parquet file of the live rows at rate 0. Both diffs run exactly
 *    as the bot runs them (strategy auto).
 * 2. Log replay: a table of `--commits` commits (streaming appends with stats and a partition
 *    value, a DV delete every 10th commit, an OPTIMIZE every 500th) with a classic checkpoint
 *    every `--checkpoint-interval` commits: what the reader does before any data file is opened
 *    (version resolved, log segment listed, checkpoint and commits replayed, protocol checked,
 *    read plan made), each in a fresh process, for the latest version, a version older than the
 *    `_last_checkpoint` hint (the whole log listed), and `version: run` (the log read backwards
 *    to the parallel run's commit).
 * Targets (2-core machine): Delta diff / Parquet diff <= 1.15x at 0 and 0.01 %; log replay < 1 s;
 * peak RSS < 2 GiB.
 *
 *   npm run bench -- diff --target-format delta [--rows 10000000] [--rates 0,0.0001] [--files 8]
 *     [--repeat 1] [--commits 10000] [--checkpoint-interval 100] [--memory-limit 1GB] [--threads 2]
 *     [--part diff|replay|all] [--keep]
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { buildLogSegment } from '../src/datasets/delta/log-segment.ts';
import { replayLog } from '../src/datasets/delta/log-replay.ts';
import { resolveVersion } from '../src/datasets/delta/resolve-version.ts';
import { checkProtocol, planRead } from '../src/datasets/delta/table-features.ts';
import { localTableStore } from '../src/datasets/delta/table-store.ts';
import type { DeltaVersion, JobRunWindow } from '../src/datasets/types.ts';
import { diffDatasets, sqlString, withDuckDb, type EngineOptions } from '../src/diff/index.ts';
import { DeltaWriter, type AddAction, type SparkField } from '../test/helpers/delta-writer.ts';
import { datasetSql } from './diff-bench.ts';

export interface DeltaBenchOptions {
  rows?: number;
  rates?: number[];
  files?: number;
  repeat?: number;
  commits?: number;
  checkpointInterval?: number;
  engine?: EngineOptions;
  keep?: boolean;
  /** Measure only the diffs or only the log replay (default both). */
  part?: 'diff' | 'replay' | 'all';
  log?: (line: string) => void;
}

export interface Measurement {
  ms: number;
  maxRssMiB: number;
  /**
   * CPU time (user + system) of the measurement: on a machine shared with other work, wall time
   * swings with their load far more than CPU time does, so the CPU ratio shows a change that the
   * wall ratio's noise hides (the target is on wall time).
   */
  cpuMs?: number;
  strategy?: string;
  changed?: number;
  /** Replay: what was replayed. */
  version?: number;
  commits?: number;
  checkpoint?: number;
  liveFiles?: number;
}

export interface DeltaDiffRow {
  rate: number;
  parquet: Measurement;
  delta: Measurement;
  /** Rows in the Delta table's live files, and of them the ones not deleted by a DV. */
  physicalRows: number;
  liveRows: number;
}

export interface ReplayRow {
  label: string;
  m: Measurement;
}

/** The table schema of the diff bench's 12 columns, as Spark would record it. */
const SCHEMA: SparkField[] = [
  { name: 'id', type: 'long' },
  { name: 'c_int', type: 'integer' },
  { name: 'c_big', type: 'long' },
  { name: 'c_dec', type: 'decimal(18,2)' },
  { name: 'c_dbl', type: 'double' },
  { name: 'c_str', type: 'string' },
  { name: 'c_date', type: 'date' },
  { name: 'c_ts', type: 'timestamp' },
  { name: 'c_bool', type: 'boolean' },
  { name: 'c_small', type: 'short' },
  { name: 'c_dbl2', type: 'double' },
  { name: 'c_cat', type: 'string' },
];
const DV_PROTOCOL = { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] };
/**
 * The rows the v3 DELETE removes: 5 % of the keys, spread over every file. (Not `hash(id, seed)`:
 * DuckDB combines the seed's hash with the key's, which correlates with the file split.)
 */
const DELETED = 'hash(id * 31 + 17) % 20 = 0';
/** Spark writes `timestamp` as UTC-adjusted micros, which DuckDB reads as TIMESTAMPTZ; so do both sides here. */
const sparkRows = (sql: string) => `SELECT * REPLACE (c_ts::TIMESTAMPTZ AS c_ts) FROM (${sql})`;

const exec = promisify(execFile);

async function generateDiffData(dir: string, rows: number, rates: number[], files: number, log: (s: string) => void): Promise<Map<number, { physicalRows: number; liveRows: number }>> {
  const started = performance.now();
  const counts = new Map<number, { physicalRows: number; liveRows: number }>();
  await withDuckDb({ memoryLimit: '2GB', threads: 2 }, async (db) => {
    await db.run(`COPY (SELECT * FROM (${sparkRows(datasetSql(rows, 0, false))}) WHERE NOT ${DELETED}) TO ${sqlString(join(dir, 'legacy.parquet'))} (FORMAT parquet)`);
    for (const rate of rates) {
      const stage = join(dir, `stage-${rate}.parquet`);
      // Keeps the shuffled order: each Delta data file holds its rows in key-hash order, like the Parquet target of the diff bench.
      await db.run(`SET preserve_insertion_order = true`);
      await db.run(`COPY (${sparkRows(datasetSql(rows, rate, true))}) TO ${sqlString(stage)} (FORMAT parquet)`);
      const w = await DeltaWriter.create(join(dir, `delta-${rate}`), SCHEMA, { protocol: DV_PROTOCOL });
      try {
        await w.append([await w.dataFile(`SELECT * REPLACE ('stale' AS c_str) FROM read_parquet(${sqlString(stage)}) WHERE id < ${Math.ceil(rows / 10)}`)]);
        const adds: AddAction[] = [];
        for (let f = 0; f < files; f++) adds.push(await w.dataFile(`SELECT * FROM read_parquet(${sqlString(stage)}) WHERE id % ${files} = ${f}`));
        await w.overwrite(adds);
        const parquetDir = join(dir, `parquet-${rate}`);
        await mkdir(parquetDir);
        const actions = [];
        let physicalRows = 0;
        let liveRows = 0;
        for (const [f, add] of adds.entries()) {
          const file = sqlString(join(w.root, decodeURIComponent(add.path)));
          const positions = (await db.all(`SELECT file_row_number AS p FROM read_parquet(${file}, file_row_number = true) WHERE ${DELETED} ORDER BY 1`)).map((r) => Number(r.p));
          const next = await w.withDeletionVector(add, positions, 'u');
          actions.push({ remove: { path: add.path, deletionTimestamp: Date.now(), dataChange: true, deletionVector: null } }, { add: next });
          await db.run(`COPY (SELECT * FROM read_parquet(${file}) WHERE NOT ${DELETED}) TO ${sqlString(join(parquetDir, `part-${String(f).padStart(5, '0')}.parquet`))} (FORMAT parquet)`);
          const total = Number(JSON.parse(add.stats ?? '{}').numRecords);
          physicalRows += total;
          liveRows += total - positions.length;
        }
        await w.commit(actions, { operation: 'DELETE', operationParameters: { predicate: `["(${DELETED})"]` } });
        counts.set(rate, { physicalRows, liveRows });
      } finally {
        await w.close();
      }
      await rm(stage);
    }
  });
  log(`generated: legacy + ${rates.length} Delta tables of ${rows.toLocaleString('en-US')} rows x 12 columns in ${files} files, and their Parquet twins, in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return counts;
}

/**
 * A log of `commits` commits (version 0 … commits-1): streaming appends, a DV delete on an
 * earlier file every 10th commit, an OPTIMIZE (remove 400 files, add 4) every 500th, the
 * parallel run's job commit 20 commits before the end; a classic checkpoint every `interval`.
 * No data file is written: log replay never opens one.
 */
async function generateReplayLog(root: string, commits: number, interval: number, log: (s: string) => void): Promise<{ jobCommit: number; windowStart: number; windowEnd: number }> {
  const started = performance.now();
  const schema: SparkField[] = [
    { name: 'id', type: 'long' },
    { name: 'amount', type: 'decimal(18,2)' },
    { name: 'note', type: 'string' },
    { name: 'day', type: 'date' },
  ];
  const w = await DeltaWriter.create(root, schema, { partitionColumns: ['day'], protocol: DV_PROTOCOL });
  const live: AddAction[] = [];
  const jobCommit = commits - 20;
  let windowStart = 0;
  let windowEnd = 0;
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  try {
    for (let v = 1; v < commits; v++) {
      const at = t0 + v * 60_000;
      const add = (n: number): AddAction => ({
        path: `day=2026-${String(1 + (n % 12)).padStart(2, '0')}-01/part-${String(n).padStart(5, '0')}-${n.toString(16).padStart(8, '0')}-5c6d-4e1f-9a2b-3c4d5e6f7a8b.c000.snappy.parquet`,
        partitionValues: { day: `2026-${String(1 + (n % 12)).padStart(2, '0')}-01` },
        size: 1_048_576 + n,
        modificationTime: at,
        dataChange: true,
        stats: JSON.stringify({ numRecords: 10_000, minValues: { id: n * 10_000, amount: 0.01, note: 'a' }, maxValues: { id: n * 10_000 + 9_999, amount: 9_999.99, note: 'z' }, nullCount: { id: 0, amount: 3, note: 17 } }),
      });
      let actions: Parameters<DeltaWriter['commit']>[0];
      let info: Record<string, unknown> = { operation: 'STREAMING UPDATE', operationParameters: { outputMode: 'Append', queryId: 'q', epochId: String(v) } };
      if (v % 500 === 0 && live.length > 400) {
        const removed = live.splice(0, 400);
        const added = [0, 1, 2, 3].map((i) => add(1_000_000 + v * 4 + i));
        live.push(...added);
        actions = [...removed.map((r) => ({ remove: { path: r.path, deletionTimestamp: at, dataChange: false, deletionVector: r.deletionVector ?? null } })), ...added.map((a) => ({ add: { ...a, dataChange: false } }))];
        info = { operation: 'OPTIMIZE', operationParameters: { predicate: '[]' } };
      } else if (v % 10 === 0 && live.length > 0) {
        const i = (v * 7919) % live.length;
        const old = live[i] as AddAction;
        const next = await w.withDeletionVector(old, [v % 10_000, (v * 3) % 10_000], 'i');
        live[i] = next;
        actions = [{ remove: { path: old.path, deletionTimestamp: at, dataChange: true, deletionVector: old.deletionVector ?? null } }, { add: next }];
        info = { operation: 'DELETE', operationParameters: { predicate: '["(id = 1)"]' } };
      } else {
        const a = add(v);
        live.push(a);
        actions = [{ add: a }];
      }
      if (v === jobCommit) {
        info = { ...info, operation: 'WRITE', job: { jobId: '42', jobName: 'insights', jobRunId: '5001', runId: '5002', jobOwnerId: '1', triggerType: 'manual' } };
        windowStart = at - 30_000;
        windowEnd = at + 30_000;
      }
      await w.commit(actions, info, { mtime: at });
      if (v % interval === 0) await w.checkpoint('classic');
    }
  } finally {
    await w.close();
  }
  log(`generated: a ${commits.toLocaleString('en-US')}-commit log (${live.length.toLocaleString('en-US')} live files, checkpoint every ${interval}) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { jobCommit, windowStart, windowEnd };
}

/** Child-process side: one measurement, its result as JSON on the last stdout line. */
async function measure(kind: string, args: { legacy: string; target: string; version?: string; run?: string }, engine: EngineOptions): Promise<Measurement> {
  if (kind === 'replay') return measureReplay(args.target, args.version ?? 'latest', args.run ? (JSON.parse(args.run) as JobRunWindow) : undefined, engine);
  const started = performance.now();
  const cpu = process.cpuUsage();
  const report = await diffDatasets({
    legacy: { path: args.legacy, format: 'parquet' },
    target: kind === 'delta' ? { path: args.target, format: 'delta' } : { path: args.target, format: 'parquet' },
    key: ['id'],
    engine,
  });
  return {
    ms: performance.now() - started,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    cpuMs: cpuMsSince(cpu),
    strategy: report.strategy,
    changed: report.counts.changed + report.counts.onlyLegacy + report.counts.onlyTarget,
  };
}

/** Everything registerDelta does before the scan: the reader's cost of a long log. */
async function measureReplay(root: string, version: string, run: JobRunWindow | undefined, engine: EngineOptions): Promise<Measurement> {
  return withDuckDb(engine, async (session) => {
    const started = performance.now();
    const store = localTableStore(root);
    const wanted: DeltaVersion = version === 'latest' || version === 'run' ? version : Number(version);
    const resolved = await resolveVersion(store, wanted, run);
    const segment = await buildLogSegment(store, resolved.version);
    const state = await replayLog(session, store, segment, (p) => checkProtocol(p, root));
    planRead(state, root);
    return {
      ms: performance.now() - started,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      version: state.version,
      commits: segment.commits.length,
      checkpoint: segment.checkpoint?.version,
      liveFiles: state.files.length,
    };
  });
}

async function inChild(kind: string, args: { legacy?: string; target: string; version?: string; run?: JobRunWindow }, engine: EngineOptions): Promise<Measurement> {
  const argv = ['--import', import.meta.resolve('tsx'), fileURLToPath(import.meta.url), '--measure', kind, '--legacy', args.legacy ?? '', '--target', args.target];
  if (args.version) argv.push('--version', args.version);
  if (args.run) argv.push('--run', JSON.stringify(args.run));
  if (engine.memoryLimit) argv.push('--memory-limit', engine.memoryLimit);
  if (engine.threads) argv.push('--threads', String(engine.threads));
  const { stdout } = await exec(process.execPath, argv, { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Measurement;
}

const cpuMsSince = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

const median = (ms: Measurement[]) => [...ms].sort((a, b) => a.ms - b.ms)[Math.floor(ms.length / 2)] as Measurement;
/** The median run by wall time, with the median CPU time of all runs (not necessarily that run's). */
const withMedianCpu = (ms: Measurement[]): Measurement => {
  const cpu = ms.flatMap((m) => (m.cpuMs === undefined ? [] : [m.cpuMs])).sort((a, b) => a - b);
  return { ...median(ms), cpuMs: cpu[Math.floor(cpu.length / 2)] };
};

export async function runDeltaBench(opts: DeltaBenchOptions = {}): Promise<{ diff: DeltaDiffRow[]; replay: ReplayRow[] }> {
  const rows = opts.rows ?? 10_000_000;
  const rates = opts.rates ?? [0, 0.0001];
  const files = opts.files ?? 8;
  const repeat = opts.repeat ?? 1;
  const engine = opts.engine ?? { memoryLimit: '1GB', threads: 2 };
  const log = opts.log ?? ((s: string) => console.log(s));
  const dir = await mkdtemp(join(tmpdir(), 'cutover-delta-bench-'));
  const part = opts.part ?? 'all';
  try {
    const diff = part === 'replay' ? [] : await measureDiffs(dir, rows, rates, files, repeat, engine, log);
    const replay = part === 'diff' ? [] : await measureReplays(dir, opts.commits ?? 10_000, opts.checkpointInterval ?? 100, repeat, engine, log);
    return { diff, replay };
  } finally {
    if (opts.keep) log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

async function measureDiffs(dir: string, rows: number, rates: number[], files: number, repeat: number, engine: EngineOptions, log: (s: string) => void): Promise<DeltaDiffRow[]> {
  const counts = await generateDiffData(dir, rows, rates, files, log);
  // Flush what was just written, so the kernel's writeback does not run under the measurements.
  await exec('sync');
  const diff: DeltaDiffRow[] = [];
  const legacy = join(dir, 'legacy.parquet');
  for (const rate of rates) {
    const runs: Record<'parquet' | 'delta', Measurement[]> = { parquet: [], delta: [] };
    for (let i = 0; i < repeat; i++) {
      for (const kind of ['parquet', 'delta'] as const) {
        await exec('sync');
        runs[kind].push(await inChild(kind, { legacy, target: join(dir, `${kind}-${rate}`) }, engine));
      }
    }
    const row: DeltaDiffRow = { rate, parquet: withMedianCpu(runs.parquet), delta: withMedianCpu(runs.delta), ...(counts.get(rate) ?? { physicalRows: 0, liveRows: 0 }) };
    log(`rate ${formatRate(rate)}: Parquet ${fmt(row.parquet.ms)} s, Delta ${fmt(row.delta.ms)} s`);
    diff.push(row);
  }
  return diff;
}

async function measureReplays(dir: string, commits: number, interval: number, repeat: number, engine: EngineOptions, log: (s: string) => void): Promise<ReplayRow[]> {
  const root = join(dir, 'replay');
  const job = await generateReplayLog(root, commits, interval, log);
  await exec('sync');
  // Just below a checkpoint: the most commits after one, and older than the hint.
  const older = Math.max(1, Math.floor(commits / 2 / interval) * interval + interval - 1);
  const cases: Array<{ label: string; version: string; run?: JobRunWindow }> = [
    { label: 'latest', version: 'latest' },
    { label: `version ${older.toLocaleString('en-US')} (older than the hint: whole log listed)`, version: String(older) },
    { label: 'version: run (log read back to the run\'s commit)', version: 'run', run: { jobRunId: '5001', startedAt: job.windowStart, endedAt: job.windowEnd } },
  ];
  const replay: ReplayRow[] = [];
  for (const c of cases) {
    const ms: Measurement[] = [];
    for (let i = 0; i < Math.max(3, repeat); i++) ms.push(await inChild('replay', { target: root, version: c.version, run: c.run }, engine));
    replay.push({ label: c.label, m: median(ms) });
  }
  return replay;
}

const fmt = (ms: number) => (ms / 1000).toFixed(2);
const cpuCell = (r: DeltaDiffRow) =>
  r.parquet.cpuMs === undefined || r.delta.cpuMs === undefined ? 'n/a' : `${fmt(r.parquet.cpuMs)} / ${fmt(r.delta.cpuMs)} (${(r.delta.cpuMs / r.parquet.cpuMs).toFixed(2)}x)`;
const formatRate = (rate: number) => `${+(rate * 100).toPrecision(3)} %`;
const n = (v: number | undefined) => (v ?? 0).toLocaleString('en-US');

export function formatDeltaBench(result: { diff: DeltaDiffRow[]; replay: ReplayRow[] }, opts: { rows: number; files: number; commits: number; interval: number; engine: EngineOptions }): string {
  const first = result.diff[0];
  const lines: string[] = [];
  if (result.diff.length > 0) lines.push(
    `Delta diff benchmark: ${n(opts.rows)} rows x 12 columns written to a Delta table in ${opts.files} files (create, append, overwrite leaving the appended file on disk, ` +
      `5 % deleted through deletion vectors: ${n(first?.liveRows)} of ${n(first?.physicalRows)} rows live at rate 0) vs. a Parquet folder of the same live rows; ` +
      `memory_limit ${opts.engine.memoryLimit ?? '1GB'}, threads ${opts.engine.threads ?? 2}`,
    '| rate | Parquet diff s | Delta diff s | Delta / Parquet | CPU s Parquet / Delta (ratio) | strategy Parquet / Delta | differing keys Parquet / Delta | peak RSS MiB Parquet / Delta |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const r of result.diff) {
    lines.push(
      `| ${formatRate(r.rate)} | ${fmt(r.parquet.ms)} | ${fmt(r.delta.ms)} | ${(r.delta.ms / r.parquet.ms).toFixed(2)}x | ${cpuCell(r)} | ${r.parquet.strategy} / ${r.delta.strategy} | ` +
        `${n(r.parquet.changed)} / ${n(r.delta.changed)}${r.parquet.changed === r.delta.changed ? '' : ' (MISMATCH)'} | ${Math.round(r.parquet.maxRssMiB)} / ${Math.round(r.delta.maxRssMiB)} |`,
    );
  }
  if (result.diff.length > 0) lines.push('targets: Delta / Parquet <= 1.15x at 0 and 0.01 %; peak RSS < 2048 MiB', '');
  if (result.replay.length === 0) return lines.join('\n');
  lines.push(
    `Delta log replay: ${n(opts.commits)} commits, a classic checkpoint every ${n(opts.interval)}; version resolved, log listed, checkpoint and commits replayed, ` +
      'protocol checked, read plan made (no data file opened); median of 3, each in a fresh process',
    '| snapshot | version | checkpoint | commits replayed | live files | s | peak RSS MiB |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const r of result.replay) {
    lines.push(`| ${r.label} | ${n(r.m.version)} | ${r.m.checkpoint === undefined ? 'none' : n(r.m.checkpoint)} | ${n(r.m.commits)} | ${n(r.m.liveFiles)} | ${(r.m.ms / 1000).toFixed(3)} | ${Math.round(r.m.maxRssMiB)} |`);
  }
  lines.push('target: log replay < 1 s');
  return lines.join('\n');
}

/** `npm run bench -- diff --target-format delta […]` (bench/diff-bench.ts hands over to this). */
export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'target-format': { type: 'string' },
      rows: { type: 'string' },
      rates: { type: 'string' },
      files: { type: 'string' },
      repeat: { type: 'string' },
      commits: { type: 'string' },
      'checkpoint-interval': { type: 'string' },
      'memory-limit': { type: 'string' },
      threads: { type: 'string' },
      keep: { type: 'boolean' },
      part: { type: 'string' },
      measure: { type: 'string' },
      legacy: { type: 'string' },
      target: { type: 'string' },
      version: { type: 'string' },
      run: { type: 'string' },
    },
  });
  const engine: EngineOptions = { memoryLimit: values['memory-limit'] ?? '1GB', threads: Number(values.threads ?? 2) };
  if (values.measure) {
    const args = { legacy: values.legacy ?? '', target: values.target ?? '', version: values.version, run: values.run };
    console.log(JSON.stringify(await measure(values.measure, args, engine)));
    return;
  }
  const rows = Number(values.rows ?? 10_000_000);
  const files = Number(values.files ?? 8);
  const commits = Number(values.commits ?? 10_000);
  const interval = Number(values['checkpoint-interval'] ?? 100);
  const rates = values.rates ? values.rates.split(',').map(Number) : undefined;
  for (const [name, v] of Object.entries({ rows, files, commits, 'checkpoint-interval': interval })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  }
  const part = values.part ?? 'all';
  if (part !== 'all' && part !== 'diff' && part !== 'replay') throw new Error('--part must be diff, replay or all');
  const result = await runDeltaBench({ rows, rates, files, commits, checkpointInterval: interval, repeat: Number(values.repeat ?? 1), engine, keep: values.keep, part });
  console.log(formatDeltaBench(result, { rows, files, commits, interval, engine }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2));
}
