import { join } from 'node:path';
import { diffDatasets, type DiffReport } from '../../../src/diff/index.ts';
import type { DeltaVersion, RegisterOptions } from '../../../src/datasets/types.ts';
import { writeFiles } from '../diff/helpers.ts';

let counter = 0;

/**
 * Diffs a Delta table (target) against the rows `legacySql` produces, written as a plain Parquet
 * file (legacy): an identical pair must be `clean`, a planted difference must be counted.
 */
export async function diffDelta(dir: string, table: string, legacySql: string, opts: { version?: DeltaVersion; key?: string[]; register?: RegisterOptions } = {}): Promise<DiffReport> {
  const legacy = join(dir, `legacy-${counter++}.parquet`);
  await writeFiles({ [legacy]: legacySql });
  return diffDatasets({
    legacy: { path: legacy, format: 'parquet' },
    target: { path: table, version: opts.version },
    key: opts.key ?? ['id'],
    register: { target: opts.register },
    joinBelowRows: 0,
  });
}

/** The counts that say what differs, for compact assertions. */
export function differences(r: DiffReport): { onlyLegacy: number; onlyTarget: number; changed: number; missing: string[]; extra: string[] } {
  return { onlyLegacy: r.counts.onlyLegacy, onlyTarget: r.counts.onlyTarget, changed: r.counts.changed, missing: r.schema.missing, extra: r.schema.extra };
}

export const NONE = { onlyLegacy: 0, onlyTarget: 0, changed: 0, missing: [], extra: [] };
