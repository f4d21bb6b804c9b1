import { registerDataset, type DatasetAccess, type DatasetSource, type JobRunWindow } from '../datasets/index.ts';
import { datasetLabel } from '../datasets/render-dataset.ts';
import { tableRef, type DuckDbSession, type WarehouseQuery } from '../diff/index.ts';
import { UsageError } from '../errors.ts';
import { databricksChecks, duckdbChecks, type CheckDialect } from './check-dialect.ts';
import type { QueryRows } from './execute-check.ts';

/** Where an output's checks run: the engine, its dialect, and the output's name in it. */
export interface OutputSource {
  engine: 'duckdb' | 'databricks';
  dialect: CheckDialect;
  relation: string;
  query: QueryRows;
}

export interface OutputSourcesOptions {
  /** Rendered datasets of the side being checked, by output name. */
  datasets: ReadonlyMap<string, DatasetSource>;
  /** The one DuckDB session of the run; needed when any dataset is a `path:`. */
  session?: DuckDbSession;
  warehouse?: WarehouseQuery;
  access?: DatasetAccess;
  /** The Databricks job run behind the checked side, for `version: run`. */
  run?: JobRunWindow;
}

/**
 * Resolves outputs to queryable relations through the diff's data-access layer: a `path:`
 * dataset becomes a DuckDB view named after the output (`registerDataset`), a `table:` runs on
 * the warehouse. Each output is registered at most once, also when several checks or a
 * `relationships` check from another output need it; a failure is remembered the same way, so
 * an unreadable output costs one attempt and every check that needs it reports the reason.
 */
export function createOutputSources(options: OutputSourcesOptions): (output: string) => Promise<OutputSource> {
  const cache = new Map<string, Promise<OutputSource>>();
  return (output) => {
    let source = cache.get(output);
    if (!source) {
      source = resolve(output, options);
      // Marked handled here; each caller awaits it and sees the error itself.
      source.catch(() => undefined);
      cache.set(output, source);
    }
    return source;
  };
}

async function resolve(output: string, options: OutputSourcesOptions): Promise<OutputSource> {
  const dataset = options.datasets.get(output);
  if (!dataset) throw new UsageError(`no output named "${output}"`);
  if ('table' in dataset && (options.warehouse || !options.access?.unityCatalog)) {
    const { warehouse } = options;
    if (!warehouse) throw new UsageError(`${dataset.table} is a table: set DATABRICKS_WAREHOUSE_ID to check it on the SQL warehouse`);
    const query: QueryRows = (sql, values) => warehouse(sql, values ? { parameters: Object.entries(values).map(([name, value]) => ({ name, value, type: 'STRING' })) } : undefined);
    return { engine: 'databricks', dialect: databricksChecks, relation: tableRef(dataset.table).sql, query };
  }
  // A path, or a table without a warehouse: read through the Delta reader (a table via Unity Catalog).
  const { session } = options;
  if (!session) throw new Error(`no DuckDB session for ${datasetLabel(dataset)}`);
  const registered = await registerDataset(session, output, dataset, options.access, { run: options.run });
  return { engine: 'duckdb', dialect: duckdbChecks, relation: registered.view, query: (sql, values) => session.all(sql, values) };
}
