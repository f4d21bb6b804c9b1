/**
 * The diff engine's public types. `DiffReport` is the `cutover diff --json` contract of
 * DESIGN.md ("Command line"); the fields after `columns` are extras the contract allows.
 */

import type { SourceInfo } from '../datasets/types.ts';

export type TimestampPrecision = 's' | 'ms' | 'us';

/** How values are compared; mirrors the catalog's `compare` block. */
export interface CompareOptions {
  /** Columns left out of every level (schema, checksums, mismatches). */
  ignore?: string[];
  /** Floats are equal when |a-b| <= abs ... */
  absTolerance?: number;
  /** ... or |a-b| <= rel * max(|a|, |b|). */
  relTolerance?: number;
  /** Timestamps are compared in UTC, truncated to this precision. Default `us`. */
  timestamps?: TimestampPrecision;
  trim?: boolean;
  ignoreCase?: boolean;
  /** Samples kept per column (and per key list). Default 10. */
  sampleLimit?: number;
}

/**
 * `auto` (default): bucket checksums, then the detailed diff of differing buckets only, or of
 * differing keys when many buckets differ. `join` is the plain full join, kept as the baseline
 * and as a cross-check; `buckets` (re-read differing buckets whole) and `keys` (name differing
 * keys from slim rows first) force one branch of `auto` (for tests).
 */
export type DiffStrategy = 'auto' | 'buckets' | 'keys' | 'join';

export interface EngineOptions {
  /** DuckDB `memory_limit`; above it DuckDB spills to the temporary folder. Default `1GB`. */
  memoryLimit?: string;
  /** DuckDB worker threads. Default 2 (the bot shares its machine with Slack handling). */
  threads?: number;
  /** Parent of the per-diff temporary folder (spill files, S3 downloads). Default os.tmpdir(). */
  tempDir?: string;
  /** Called after each SQL statement with its duration: what `npm run bench -- diff --steps` prints. */
  onStatement?: (sql: string, ms: number) => void;
}

export interface TypeChange {
  column: string;
  legacy: string;
  target: string;
  /** True when the change keeps every value equal after canonicalisation (see README.md). */
  tolerated: boolean;
}

export type KeyValues = Record<string, string | null>;

export interface MismatchSample {
  key: KeyValues;
  legacy: string | null;
  target: string | null;
}

export interface SideCounts {
  legacy: number;
  target: number;
}

export interface DiffCounts {
  legacy: number;
  target: number;
  /** Distinct keys present only in legacy (null keys excluded). */
  onlyLegacy: number;
  onlyTarget: number;
  /** Keys present exactly once on both sides whose compared columns differ. */
  changed: number;
  /** Number of distinct keys that occur more than once on that side. */
  duplicateKeys: SideCounts;
  /** Rows with a NULL in any key column; they take no part in matching. */
  nullKeys: SideCounts;
}

export interface DiffReport {
  verdict: 'clean' | 'different';
  schema: { missing: string[]; extra: string[]; typeChanges: TypeChange[] };
  counts: DiffCounts;
  columns: Record<string, { mismatches: number; samples: MismatchSample[] }>;
  /** Extras: sample keys behind the counts (sorted by key, up to `sampleLimit` each). */
  keySamples: { onlyLegacy: KeyValues[]; onlyTarget: KeyValues[]; duplicateLegacy: KeyValues[]; duplicateTarget: KeyValues[] };
  key: string[];
  engine: 'duckdb' | 'databricks';
  strategy: string;
  buckets?: { total: number; differing: number };
  durationMs: number;
  /** What each side was read as: the format and, for Delta, the version and its commit time. */
  sources?: { legacy: SourceInfo; target: SourceInfo };
}
