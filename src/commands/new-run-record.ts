import type { Pipeline } from '../config/catalog-schema.ts';
import { resolveParams } from '../config/params.ts';
import { renderDataset } from '../datasets/render-dataset.ts';
import { engineConfigFor, renderEngineConfig, type Side } from '../engines/resolve-engine.ts';
import type { RunEnv, RunRecord } from '../store/run-record.ts';
import { newRunId } from '../store/run-store.ts';

export interface NewRun {
  pipelineName: string;
  pipeline: Pipeline;
  side: Side;
  period: string;
  params: Record<string, string>;
  env: RunEnv;
  requestedBy: string;
  now: number;
  id?: string;
  parallelId?: string;
}

/**
 * A new `queued` run. Its engine config and its outputs' datasets are rendered here once, so a
 * missing `--param`, or a value that would take an output's path out of its folder, is a usage
 * error for the person typing, not a DQ or diff job that fails later where nobody sees it.
 */
export function newRunRecord(n: NewRun): RunRecord {
  const config = engineConfigFor(n.pipeline, n.side, n.env);
  // Declared params only, each matching its pattern, defaults filled in: what the run records is what it uses.
  const params = resolveParams(n.pipelineName, n.pipeline, n.params);
  renderEngineConfig(config, { period: n.period, params });
  for (const output of n.pipeline.outputs) for (const dataset of [output.legacy, output.target]) renderDataset(dataset, { period: n.period, params });
  return {
    v: 1,
    id: n.id ?? newRunId(n.now),
    pipeline: n.pipelineName,
    period: n.period,
    engine: config.engine,
    side: n.side,
    env: n.env,
    params,
    requestedBy: n.requestedBy,
    channel: n.pipeline.channel,
    state: 'queued',
    tasks: [],
    failures: [],
    createdAt: n.now,
    updatedAt: n.now,
    version: 1,
    repairs: 0,
    ...(n.parallelId ? { parallelId: n.parallelId } : {}),
  };
}
