import type { CutoverAction, Stage } from '../../config/catalog-schema.ts';
import { ConfigError } from '../../errors.ts';
import { actionEntry, snsEventName } from '../describe-action.ts';
import type { ActionContext, ActionResult } from './context.ts';
import { setDatabricksSchedule } from './databricks-schedule.ts';
import { cancelPendingEmrSteps } from './emr-cancel-pending.ts';
import { setRuleState } from './eventbridge-rule.ts';
import { setScheduleState } from './scheduler-schedule.ts';

export type { ActionContext, ActionResult, CutoverEvent, PublishCutoverEvent } from './context.ts';
export { setDatabricksSchedule } from './databricks-schedule.ts';
export { cancelPendingEmrSteps } from './emr-cancel-pending.ts';
export { setRuleState } from './eventbridge-rule.ts';
export { setScheduleState } from './scheduler-schedule.ts';

/**
 * Runs one cutover action. Every action is idempotent (it checks or sets a state rather than
 * toggling), so a BullMQ retry after a crash is safe. Errors are thrown as they are: an
 * `ApiError` keeps `retryable`, and a ConfigError/InvalidStateError is permanent.
 */
export async function executeAction(action: CutoverAction, ctx: ActionContext): Promise<ActionResult> {
  const [name, value] = actionEntry(action);
  switch (name) {
    case 'databricks.schedule':
      return setDatabricksSchedule(value as 'PAUSED' | 'UNPAUSED', ctx);
    case 'emr.cancelPending':
      return cancelPendingEmrSteps(ctx);
    case 'airflow.pauseDag':
    case 'airflow.unpauseDag':
      return setAirflowPaused(String(value), name === 'airflow.pauseDag', ctx);
    case 'sns.publish':
      return publish(snsEventName(value), ctx);
    case 'stage':
      return setStage(value as Stage, ctx);
    case 'scheduler.schedule':
      return setScheduleState(value, ctx);
    case 'events.rule':
      return setRuleState(value, ctx);
    case 'redshift.scheduledQuery':
      return setRuleState({ name: value.rule, eventBus: value.eventBus, state: value.state }, ctx, { redshiftQuery: true });
  }
}

export type ActionProgress =
  | { index: number; status: 'running' }
  | { index: number; status: 'done'; result: ActionResult }
  | { index: number; status: 'failed'; error: unknown };

/**
 * Runs actions in order, from `from` (to resume after the ones a failed attempt completed),
 * reporting each start and end to `onProgress` (e.g. to edit the thread). `beforeEach` runs
 * before each action and stops the run by throwing (e.g. when the approved plan changed).
 * Stops at the first error and rethrows it unchanged.
 */
export async function executeActions(
  actions: readonly CutoverAction[],
  ctx: ActionContext,
  { from = 0, onProgress, beforeEach }: { from?: number; onProgress?: (p: ActionProgress) => Promise<void> | void; beforeEach?: (index: number) => Promise<void> } = {},
): Promise<ActionResult[]> {
  const results: ActionResult[] = [];
  for (let index = from; index < actions.length; index++) {
    await beforeEach?.(index);
    await onProgress?.({ index, status: 'running' });
    try {
      const result = await executeAction(actions[index]!, ctx);
      results.push(result);
      await onProgress?.({ index, status: 'done', result });
    } catch (error) {
      await onProgress?.({ index, status: 'failed', error });
      throw error;
    }
  }
  return results;
}

async function setAirflowPaused(dagId: string, paused: boolean, ctx: ActionContext): Promise<ActionResult> {
  const action = paused ? 'airflow.pauseDag' : 'airflow.unpauseDag';
  if (!ctx.airflow) throw new ConfigError(`cutover step ${ctx.step}`, [`${action}: Airflow is not configured (AIRFLOW_URL)`]);
  const dag = await ctx.airflow.setDagPaused(dagId, paused, ctx.signal);
  return { action, changed: true, text: `Airflow DAG ${dagId} ${dag.is_paused ? 'paused' : 'unpaused'}` };
}

async function publish(event: string, ctx: ActionContext): Promise<ActionResult> {
  if (!ctx.publish) throw new ConfigError(`cutover step ${ctx.step}`, ['sns.publish: no SNS topic is configured (alerts.snsTopicArn)']);
  const subject = `Cutover ${ctx.pipeline}: step ${ctx.step}`;
  await ctx.publish({ event, pipeline: ctx.pipeline, step: ctx.step, subject, detail: { actor: ctx.actor, ...ctx.detail } });
  return { action: 'sns.publish', changed: true, text: `published ${event} to SNS` };
}

async function setStage(stage: Stage, ctx: ActionContext): Promise<ActionResult> {
  if (!ctx.stages) throw new ConfigError(`cutover step ${ctx.step}`, ['stage: no stage store was given']);
  const before = await ctx.stages.get(ctx.pipeline);
  // Unchanged: no write, so a retried step does not add a second audit event.
  if (before === stage) return { action: 'stage', changed: false, text: `stage was already ${stage}` };
  await ctx.stages.set(ctx.pipeline, stage, ctx.actor, ctx.now?.() ?? Date.now());
  return { action: 'stage', changed: true, text: `stage ${before} → ${stage}` };
}
