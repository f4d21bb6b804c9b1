import type { EMRClient } from '@aws-sdk/client-emr';
import type { AirflowCostConfig, Catalog, EmrCostConfig } from '../config/catalog-schema.ts';
import type { AirflowClient } from '../engines/airflow/client.ts';
import { parseAirflowExternalId } from '../engines/airflow/engine.ts';
import { parseExternalId } from '../engines/emr/step-status.ts';
import type { RunRecord } from '../store/run-record.ts';
import type { MeasureCluster } from './cost-explorer.ts';
import { measureDatabricksRun, type BillingQuery } from './databricks-billing.ts';
import { listInstanceSpans, shareOfCluster } from './emr-share.ts';
import { sandboxCost } from './sandbox-cost.ts';
import type { CostMeasurement, CostMethod, MeasureCost } from './types.ts';

/** What measuring needs; a source that is absent makes its runs' cost `unknown`, with the reason. */
export interface CostSources {
  catalog: Catalog;
  /** The SQL warehouse, for the billing tables; absent without DATABRICKS_WAREHOUSE_ID. */
  billing?: BillingQuery;
  /** Cost Explorer by the cluster tag, for transient EMR clusters. */
  costExplorer?: MeasureCluster;
  emr?: EMRClient;
  airflow?: AirflowClient;
  now: () => number;
}

/**
 * The source a run's cost comes from, from the catalog alone: what a refusal of that source is
 * stored with (`RunCost.method`), since the error it throws does not say. Undefined where the
 * catalog names no source (an EMR or Airflow side without `legacy.cost`, an engine not measured).
 * Agrees with the `method` the meter answers with (test/unit/cost/measure-cost.test.ts).
 */
export function costMethodOf(catalog: Catalog, run: Pick<RunRecord, 'pipeline' | 'side' | 'engine'>): CostMethod | undefined {
  const pipeline = catalog.pipelines[run.pipeline];
  const config = run.side === 'legacy' ? pipeline?.legacy : pipeline?.target;
  if (!config || config.engine !== run.engine) return undefined;
  switch (config.engine) {
    case 'sandbox':
      return 'sandbox';
    case 'databricks':
      return 'databricks-billing';
    case 'emr':
    case 'airflow':
      return !config.cost ? undefined : config.cost.cluster === 'transient' ? 'cost-explorer' : 'emr-share';
    default:
      return undefined;
  }
}

const NO_WAREHOUSE = 'no SQL warehouse is configured (DATABRICKS_WAREHOUSE_ID), and the Databricks cost comes from the billing system tables';

/** Picks the cost source for a run from its engine and the catalog, and measures it. */
export function createCostMeter(src: CostSources): MeasureCost {
  return async (run: RunRecord, signal?: AbortSignal): Promise<CostMeasurement> => {
    const pipeline = src.catalog.pipelines[run.pipeline];
    if (!pipeline) return { kind: 'unknown', reason: `pipeline ${run.pipeline} is no longer in the catalog` };
    const config = run.side === 'legacy' ? pipeline.legacy : pipeline.target;
    if (!config || config.engine !== run.engine) return { kind: 'unknown', reason: `the catalog's ${run.side} engine is no longer ${run.engine}` };
    const window = run.startedAt !== undefined && run.endedAt !== undefined ? { start: run.startedAt, end: run.endedAt } : undefined;
    switch (config.engine) {
      case 'sandbox':
        return sandboxCost(run, config.costPerSecond ?? 4, src.now());
      case 'databricks':
        if (!src.billing) return { kind: 'unknown', method: 'databricks-billing', reason: NO_WAREHOUSE };
        return measureDatabricksRun(src.billing, run, config.jobId, signal);
      case 'emr': {
        if (!run.externalId || !window) return { kind: 'unknown', reason: 'the EMR step never ran' };
        const { clusterId } = parseExternalId(run.externalId);
        return measureEmr(src, clusterId, config.cost, window, signal);
      }
      case 'airflow':
        if (!run.externalId || !window) return { kind: 'unknown', reason: 'the DAG run never ran' };
        return measureAirflow(src, run.externalId, config.cost, window, signal);
      case 'redshift':
      case 'stepfunctions':
      case 'emr-serverless':
        return { kind: 'unknown', reason: `Cutover does not measure the cost of ${config.engine} runs yet` };
    }
  };
}

async function measureEmr(src: CostSources, clusterId: string, cost: EmrCostConfig | undefined, window: { start: number; end: number }, signal?: AbortSignal): Promise<CostMeasurement> {
  if (!cost) return { kind: 'unknown', reason: 'the catalog says nothing about the legacy cost: set legacy.cost (cluster: transient for Cost Explorer, or instancePrices for a shared cluster)' };
  if (cost.cluster === 'transient') {
    if (!src.costExplorer) return { kind: 'unknown', method: 'cost-explorer', reason: 'Cost Explorer is not available to the workers' };
    return src.costExplorer(clusterId, window, signal);
  }
  if (!src.emr) return { kind: 'unknown', method: 'emr-share', reason: 'EMR is not available to the workers' };
  return shareOfCluster(await listInstanceSpans(src.emr, clusterId, signal), window, cost, clusterId);
}

async function measureAirflow(src: CostSources, externalId: string, cost: AirflowCostConfig | undefined, window: { start: number; end: number }, signal?: AbortSignal): Promise<CostMeasurement> {
  if (!cost) return { kind: 'unknown', reason: 'the catalog names no cost source for this Airflow DAG: set legacy.cost to the EMR cluster beneath it' };
  if (cost.cluster === 'shared') return measureEmr(src, cost.clusterId, cost, window, signal);
  if (!src.airflow) return { kind: 'unknown', method: 'cost-explorer', reason: 'Airflow is not available to the workers' };
  const { dagId, dagRunId } = parseAirflowExternalId(externalId);
  const value = await src.airflow.getXcomValue(dagId, dagRunId, cost.clusterIdFrom.task, cost.clusterIdFrom.key, signal);
  const clusterId = /j-[A-Z0-9]+/.exec(value)?.[0];
  if (!clusterId) return { kind: 'unknown', method: 'cost-explorer', reason: `XCom ${cost.clusterIdFrom.key} of task ${cost.clusterIdFrom.task} holds no EMR cluster id` };
  return measureEmr(src, clusterId, { cluster: 'transient', instancePrices: {}, emrUplift: 0 }, window, signal);
}
