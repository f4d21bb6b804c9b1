import type { Pipeline } from '../config/catalog-schema.ts';
import { resolveParams } from '../config/params.ts';
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
 * A new `queued` run. Its engine config is rendered here once so that a missing `--param`
 * is a usage error for the person typing, not a failed job later.
 */
export function newRunRecord(n: NewRun): RunRecord {
  const config = engineConfigFor(n.pipeline, n.side, n.env);
  // Declared params only, each matching its pattern, defaults filled in: what the run records is what it uses.
  const params = resolveParams(n.pipelineName, n.pipeline, n.params);
  renderEngineConfig(config, { period: n.period, params });
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
