import type { CutoverAction, EngineConfig, Pipeline } from '../config/catalog-schema.ts';
import { engineConfigFor, type Side } from '../engines/resolve-engine.ts';

/** Every action's key, from the catalog schema (`databricks.schedule`, `events.rule`, …). */
export type ActionName = CutoverAction extends infer A ? (A extends unknown ? keyof A : never) : never;

/** An action's key with the value the schema gives that key: a switch on the key narrows the value. */
export type ActionEntry = { [K in ActionName]: [K, Extract<CutoverAction, Record<K, unknown>>[K]] }[ActionName];

/** The one key of an action object and its value (the catalog schema allows exactly one). */
export function actionEntry(action: CutoverAction): ActionEntry {
  const [entry] = Object.entries(action) as ActionEntry[];
  if (!entry) throw new TypeError('a cutover action has exactly one key');
  return entry;
}

/** The event name `sns.publish` sends: its own string, or `cutover.step` for `true`. */
export const snsEventName = (value: string | boolean): string => (typeof value === 'string' ? value : 'cutover.step');

/** The production config of a side, or undefined when the catalog has none (the view then says less). */
function productionSide(config: Pipeline, side: Side): EngineConfig | undefined {
  try {
    return engineConfigFor(config, side, 'prod');
  } catch {
    return undefined;
  }
}

/**
 * What an action will do, in words for the plan view and the approval request. With the
 * pipeline's config the words name the job, cluster and step they touch.
 */
export function describeAction(action: CutoverAction, config?: Pipeline): string {
  const [name, value] = actionEntry(action);
  switch (name) {
    case 'databricks.schedule': {
      const target = config && productionSide(config, 'target');
      const job = target?.engine === 'databricks' ? `Databricks job ${target.jobId}` : 'the Databricks job';
      return value === 'PAUSED'
        ? `pause the schedule of ${job} (cron and time zone kept)`
        : `unpause the schedule of ${job} (same cron and time zone)`;
    }
    case 'emr.cancelPending': {
      const prod = config?.legacy ? productionSide(config, 'legacy') : undefined;
      const legacy = prod?.engine === 'emr' ? prod : undefined;
      return legacy
        ? `cancel the pending EMR steps of ${legacy.step.name} on cluster ${legacy.clusterId}`
        : 'cancel the pending EMR steps of the legacy job';
    }
    case 'airflow.pauseDag':
      return `pause the Airflow DAG ${String(value)}`;
    case 'airflow.unpauseDag':
      return `unpause the Airflow DAG ${String(value)}`;
    case 'sns.publish':
      return `publish \`${snsEventName(value)}\` to the alerts SNS topic`;
    case 'stage':
      return `set the pipeline's stage to ${String(value)}`;
    case 'scheduler.schedule':
      return `${verb(value.state)} the EventBridge Scheduler schedule ${value.group ?? 'default'}/${value.name} (everything else kept)`;
    case 'events.rule':
      return `${verb(value.state)} the EventBridge rule ${value.name}${value.eventBus ? ` on ${value.eventBus}` : ''}`;
    case 'redshift.scheduledQuery':
      return `${verb(value.state)} the Redshift scheduled query ${value.rule} (its EventBridge rule)`;
  }
}

const verb = (state: 'ENABLED' | 'DISABLED'): string => (state === 'DISABLED' ? 'disable' : 'enable');
