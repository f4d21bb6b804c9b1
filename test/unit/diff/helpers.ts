import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffDatasets, withDuckDb, type DiffInput, type DiffReport, type DiffStrategy } from '../../../src/diff/index.ts';

/** A temp folder per test file; `cleanup` removes it. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'cutover-diff-test-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Writes each query's rows as a real Parquet (or CSV) file with DuckDB. */
export async function writeFiles(files: Record<string, string>, format: 'parquet' | 'csv' = 'parquet'): Promise<void> {
  await withDuckDb({ threads: 1 }, async (db) => {
    for (const [path, query] of Object.entries(files)) {
      await db.run(`COPY (${query}) TO '${path}' (FORMAT ${format}${format === 'csv' ? ', HEADER true' : ''})`);
    }
  });
}

export const STRATEGIES: DiffStrategy[] = ['auto', 'buckets', 'keys', 'join'];

/** The report without what legitimately differs between strategies. */
export function comparable(r: DiffReport): Omit<DiffReport, 'strategy' | 'durationMs' | 'buckets'> {
  const { strategy: _s, durationMs: _d, buckets: _b, ...rest } = r;
  return rest;
}

/**
 * Runs the diff with every strategy, checks they agree, and returns the `auto` report.
 * Every level test therefore also checks that the checksum path equals the plain join.
 */
export async function diffAll(input: Omit<DiffInput, 'strategy'>): Promise<DiffReport> {
  // joinBelowRows: 0 so `auto` takes the checksum path even on these tiny datasets.
  const reports = await Promise.all(STRATEGIES.map((strategy) => diffDatasets({ joinBelowRows: 0, ...input, strategy })));
  const [first, ...rest] = reports as [DiffReport, ...DiffReport[]];
  for (const [i, r] of rest.entries()) {
    const a = JSON.stringify(comparable(first));
    const b = JSON.stringify(comparable(r));
    if (a !== b) throw new Error(`strategy ${STRATEGIES[i + 1]} disagrees with auto:\n${a}\n${b}`);
  }
  return first;
}

/** Seeded PRNG (mulberry32): property tests that fail can be replayed from their seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
