import type { EMRClient } from '@aws-sdk/client-emr';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { EngineConfig, Pipeline } from '../../config/catalog-schema.ts';
import { engineConfigFor, type Side } from '../../engines/resolve-engine.ts';
import { ConfigError } from '../../errors.ts';
import type { AirflowClient } from '../../engines/airflow/client.ts';
import type { DatabricksClient } from '../../engines/databricks/client.ts';
import type { RunStore } from '../../store/run-store.ts';
import type { StageStore } from '../../store/stage-store.ts';
import type { ActionName } from '../describe-action.ts';

/** What `sns.publish` hands to the publisher the app injects (it owns the topic and the SNS client). */
export interface CutoverEvent {
  event: string;
  pipeline: string;
  step: string;
  subject: string;
  detail: Record<string, unknown>;
}

export type PublishCutoverEvent = (event: CutoverEvent) => Promise<void>;

/**
 * Everything an action may touch, injected. A client left undefined (not configured in this
 * deployment) makes the actions that need it fail with a permanent ConfigError.
 */
export interface ActionContext {
  pipeline: string;
  /** The step being executed or rolled back. */
  step: string;
  /** The pipeline's catalog entry (target job id, legacy cluster and step name). */
  config: Pipeline;
  /** Who the change is for (the audit actor of a stage change): the requester or `cutover`. */
  actor: string;
  databricks?: Pick<DatabricksClient, 'getJob' | 'updateJob'>;
  airflow?: Pick<AirflowClient, 'setDagPaused'>;
  emr?: EMRClient;
  scheduler?: SchedulerClient;
  eventbridge?: EventBridgeClient;
  stages?: Pick<StageStore, 'get' | 'set'>;
  /** Which pipeline a run belongs to (`emr.cancelPending` cancels only this pipeline's Cutover steps). */
  runs?: Pick<RunStore, 'get'>;
  publish?: PublishCutoverEvent;
  /** Added to the `sns.publish` event's detail (request id, kind, approvers…). */
  detail?: Record<string, unknown>;
  signal?: AbortSignal;
  now?: () => number;
}

/**
 * The engine config of the pipeline's production environment: cutover actions change
 * production, so a pipeline without `environments.prod` has none (a permanent ConfigError).
 */
export function productionConfig(ctx: Pick<ActionContext, 'config' | 'pipeline' | 'step'>, side: Side): EngineConfig {
  try {
    return engineConfigFor(ctx.config, side, 'prod');
  } catch (err) {
    throw new ConfigError(`cutover step ${ctx.step}`, [`${ctx.pipeline}: ${(err as Error).message}`]);
  }
}

/** One action's outcome, with a short line for the thread. */
export interface ActionResult {
  action: ActionName;
  /** False when the target was already in the wanted state (a retried action changes nothing). */
  changed: boolean;
  text: string;
}
