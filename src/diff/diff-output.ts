import type { Output } from '../config/catalog-schema.ts';
import { UsageError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { pushdownDiff, type WarehouseQuery } from './databricks/pushdown-diff.ts';
import { warehouseRelation } from './databricks/warehouse-relations.ts';
import type { DatasetAccess } from '../datasets/register-dataset.ts';
import type { DatasetSource, JobRunWindow } from '../datasets/types.ts';
import { diffDatasets } from './run-diff.ts';
import type { CompareOptions, DiffCounts, DiffReport, EngineOptions } from './types.ts';

export interface DiffOutputDeps {
  /** S3 and download settings for `path:` datasets. */
  access?: DatasetAccess;
  /** A Databricks SQL warehouse (`DATABRICKS_WAREHOUSE_ID`); needed when both sides are `table:`. */
  warehouse?: WarehouseQuery;
  engine?: EngineOptions;
  /** The Databricks job run that wrote the target (a parallel run): what `version: run` resolves against. */
  run?: JobRunWindow;
  signal?: AbortSignal;
  logger?: Logger;
}

/** The catalog's `compare` block in the engine's terms. */
export function compareOptionsOf(output: Pick<Output, 'compare'>): CompareOptions {
  const c = output.compare;
  return {
    ignore: c.ignore,
    absTolerance: c.numeric.abs,
    relTolerance: c.numeric.rel,
    timestamps: c.timestamps,
    trim: c.trim,
    ignoreCase: c.ignoreCase,
  };
}

/**
 * The share of keys that differed, from a report's counts: what the next diff of the same
 * output can expect (`DiffInput.expectedShare`). Duplicated keys count, as they are sent on.
 */
export function differingShare(c: DiffCounts): number {
  const keys = c.onlyLegacy + c.onlyTarget + c.changed + c.duplicateKeys.legacy + c.duplicateKeys.target;
  return keys / Math.max(1, c.legacy, c.target);
}

/**
 * Diffs one catalog output whose templates are already rendered: two `table:` datasets, or an
 * output with `engine: warehouse` (a `path:` side read with `read_files`), run in the warehouse;
 * otherwise DuckDB, a `table:` beside a `path:` read through Unity Catalog's
 * metadata and temporary credentials with the Delta reader. `expectedShare` (the last run's
 * `differingShare`) only picks where DuckDB's checksum path starts.
 */
export async function diffOutput(
  output: Pick<Output, 'key' | 'compare'> & Partial<Pick<Output, 'engine'>> & { legacy: DatasetSource; target: DatasetSource },
  deps: DiffOutputDeps = {},
  expectedShare?: number,
): Promise<DiffReport> {
  const options = compareOptionsOf(output);
  const { legacy, target } = output;
  const inWarehouse = output.engine === 'warehouse' || ('table' in legacy && 'table' in target);
  if (inWarehouse) {
    const why = output.engine === 'warehouse' ? 'the output says engine: warehouse' : 'both datasets are tables';
    if (!deps.warehouse) throw new UsageError(`${why}: set DATABRICKS_WAREHOUSE_ID to diff them in the warehouse`);
    const ctx = { access: deps.access, run: deps.run };
    const [l, t] = await Promise.all([warehouseRelation(legacy, deps.warehouse, ctx), warehouseRelation(target, deps.warehouse, ctx)]);
    return pushdownDiff({ query: deps.warehouse, legacy: l, target: t, key: output.key, options });
  }
  return diffDatasets({
    legacy,
    target,
    key: output.key,
    options,
    expectedShare,
    access: deps.access,
    register: { target: { run: deps.run } },
    engine: deps.engine,
    signal: deps.signal,
    logger: deps.logger,
  });
}
