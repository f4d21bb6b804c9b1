import { CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import type { Catalog } from '../config/catalog-schema.ts';
import type { Config } from '../config/load-config.ts';
import { SqlStatementClient } from '../diff/databricks/sql-statement-client.ts';
import { databricksTokenSource, type ApiClients } from '../engines/index.ts';
import { instrumentedFetch } from '../http/instrumented-fetch.ts';
import type { Metrics } from '../metrics.ts';
import { createCostExplorerSource } from './cost-explorer.ts';
import { createCostMeter } from './measure-cost.ts';
import type { MeasureCost } from './types.ts';

export type { CostMeasurement, CostMethod, KnownCost, MeasureCost, RunCost } from './types.ts';
export { createCostMeter } from './measure-cost.ts';

/**
 * The cost meter of the workers: the billing tables through the SQL warehouse (when one is
 * configured), Cost Explorer (always in us-east-1, where its API lives) and the EMR and Airflow
 * clients the engines use.
 */
export function createRunCostMeter(config: Config, { catalog, clients, metrics, now }: { catalog: Catalog; clients?: ApiClients; metrics?: Metrics; now: () => number }): MeasureCost {
  const db = config.databricks;
  const tokens = databricksTokenSource(config);
  const sql =
    db.host && db.warehouseId && tokens
      ? new SqlStatementClient({ host: db.host, warehouseId: db.warehouseId, getToken: () => tokens.token(), fetch: instrumentedFetch('databricks-sql', metrics) })
      : undefined;
  // The SDK's own retries are off: BullMQ retries the job with backoff instead.
  const ce = new CostExplorerClient({ region: 'us-east-1', endpoint: config.aws.endpoints.costExplorer, maxAttempts: 1 });
  return createCostMeter({
    catalog,
    billing: sql ? (statement, opts) => sql.query(statement, opts) : undefined,
    costExplorer: createCostExplorerSource({ client: ce, now }),
    emr: clients?.emr,
    airflow: clients?.airflow,
    now,
  });
}
