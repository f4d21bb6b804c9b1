import type { DiffReport } from '../../../src/diff/types.ts';
import type { OutputSummary, ParallelRecord } from '../../../src/store/parallel-record.ts';
import type { RunRecord } from '../../../src/store/run-record.ts';
import { T0, makeRun } from './run-fixture.ts';

export { T0 };

/** 29m 10s and 12m 3s: the legacy and Databricks durations of the "both succeeded" runs. */
export const LEGACY_MS = 1_750_000;
export const TARGET_MS = 723_000;

/** A parallel run of incites-monthly 2024-05 while both runs are going. */
export function makeParallel(overrides: Partial<ParallelRecord> = {}): ParallelRecord {
  return {
    v: 1,
    id: 'p-m3k9x2-9c1d',
    kind: 'parallel',
    pipeline: 'incites-monthly',
    period: '2024-05',
    requestedBy: 'U0ALICE',
    channel: 'C0PIPELINES',
    legacyRunId: 'r-m3k9x1-0a0a',
    targetRunId: 'r-m3k9x2-4f7a',
    state: 'running',
    outputs: {},
    createdAt: T0,
    updatedAt: T0 + 70_000,
    version: 2,
    ...overrides,
  };
}

/** The EMR side: one Spark step. */
export function makeLegacyRun(overrides: Partial<RunRecord> = {}): RunRecord {
  return makeRun({
    id: 'r-m3k9x1-0a0a',
    engine: 'emr',
    side: 'legacy',
    stateMessage: 'RUNNING',
    externalId: 's-1ABCDEF',
    url: 'https://console.aws.amazon.com/emr/home#/clusterDetails/j-2AXXXXXXGAPLF',
    tasks: [{ key: 'spark-submit incites', state: 'running', startedAt: T0 + 5_000 }],
    parallelId: 'p-m3k9x2-9c1d',
    ...overrides,
  });
}

export function makeTargetRun(overrides: Partial<RunRecord> = {}): RunRecord {
  return makeRun({ parallelId: 'p-m3k9x2-9c1d', ...overrides });
}

/** Both runs succeeded: legacy took 29m 10s, Databricks 12m 3s. */
export function finishedRuns(): { legacy: RunRecord; target: RunRecord } {
  const legacy = makeLegacyRun({
    state: 'succeeded',
    stateMessage: 'COMPLETED',
    endedAt: T0 + 5_000 + LEGACY_MS,
    tasks: [{ key: 'spark-submit incites', state: 'succeeded', startedAt: T0 + 5_000, endedAt: T0 + 5_000 + LEGACY_MS }],
  });
  const target = makeTargetRun({
    state: 'succeeded',
    stateMessage: 'TERMINATED/SUCCESS',
    endedAt: T0 + 5_000 + TARGET_MS,
    tasks: [
      { key: 'extract', state: 'succeeded', startedAt: T0 + 5_000, endedAt: T0 + 65_000 },
      { key: 'transform', state: 'succeeded', startedAt: T0 + 65_000, endedAt: T0 + 600_000 },
      { key: 'load', state: 'succeeded', startedAt: T0 + 600_000, endedAt: T0 + 5_000 + TARGET_MS },
    ],
  });
  return { legacy, target };
}

const zeroCounts = (rows: number) => ({
  legacy: rows,
  target: rows,
  onlyLegacy: 0,
  onlyTarget: 0,
  changed: 0,
  duplicateKeys: { legacy: 0, target: 0 },
  nullKeys: { legacy: 0, target: 0 },
});

export function cleanOutput(output: string, rows = 1204): OutputSummary {
  return { output, verdict: 'clean', counts: zeroCounts(rows), schema: { missing: [], extra: [], typeChanges: [] }, topColumns: [], durationMs: 2_000 };
}

/** The counts shared by the "different" summary and report fixtures. */
const differentCounts = (): DiffReport['counts'] => ({
  legacy: 10_240,
  target: 10_236,
  onlyLegacy: 5,
  onlyTarget: 1,
  changed: 12,
  duplicateKeys: { legacy: 2, target: 0 },
  nullKeys: { legacy: 0, target: 3 },
});

const typeChanges = (): DiffReport['schema']['typeChanges'] => [
  { column: 'price', legacy: 'DECIMAL(18,2)', target: 'DECIMAL(18,4)', tolerated: false },
  { column: 'ts', legacy: 'TIMESTAMP', target: 'TIMESTAMP WITH TIME ZONE', tolerated: true },
];

export function differentOutput(output = 'citations'): OutputSummary {
  return {
    output,
    verdict: 'different',
    counts: differentCounts(),
    schema: {
      missing: ['legacy_flag'],
      extra: [],
      typeChanges: typeChanges(),
    },
    topColumns: [
      { column: 'amount', mismatches: 10 },
      { column: 'name', mismatches: 2 },
    ],
    durationMs: 3_500,
  };
}

export function errorOutput(output = 'authors'): OutputSummary {
  return { output, verdict: 'error', topColumns: [], error: 'no parquet objects under s3://legacy-bucket/authors/2024-05/' };
}

/** A report with every kind of difference, as `diffDatasets` returns it. */
export function makeReport(overrides: Partial<DiffReport> = {}): DiffReport {
  return {
    verdict: 'different',
    schema: {
      missing: ['legacy_flag'],
      extra: ['note'],
      typeChanges: typeChanges(),
    },
    counts: differentCounts(),
    columns: {
      name: { mismatches: 2, samples: [{ key: { id: '7' }, legacy: 'Ada', target: 'ada' }, { key: { id: '9' }, legacy: null, target: '' }] },
      amount: {
        mismatches: 10,
        samples: Array.from({ length: 10 }, (_, i) => ({ key: { id: String(100 + i) }, legacy: `${i}.5`, target: `${i}.75` })),
      },
      price: { mismatches: 1, samples: [{ key: { id: '3' }, legacy: '1.2300', target: '1.2301' }] },
      ts: { mismatches: 0, samples: [] },
    },
    keySamples: {
      onlyLegacy: ['1', '2', '4', '5', '6'].map((id) => ({ id })),
      onlyTarget: [{ id: '99' }],
      duplicateLegacy: [{ id: '11' }, { id: '12' }],
      duplicateTarget: [],
    },
    key: ['id'],
    engine: 'duckdb',
    strategy: 'checksum',
    buckets: { total: 1024, differing: 17 },
    durationMs: 3_500,
    ...overrides,
  };
}
