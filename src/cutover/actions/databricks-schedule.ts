import { ConfigError, InvalidStateError } from '../../errors.ts';
import { productionConfig, type ActionContext, type ActionResult } from './context.ts';

/**
 * `databricks.schedule: PAUSED|UNPAUSED` on the pipeline's target job. `jobs/update` replaces
 * top-level settings wholesale, so it sends the job's own schedule (same cron, same time zone)
 * with only `pause_status` changed, and no other setting: DESIGN "Actions change only what they name".
 */
export async function setDatabricksSchedule(status: 'PAUSED' | 'UNPAUSED', ctx: ActionContext): Promise<ActionResult> {
  // The production job: `environments.prod.target` over `target:`.
  const target = productionConfig(ctx, 'target');
  if (target.engine !== 'databricks') {
    throw new ConfigError(`cutover step ${ctx.step}`, [`databricks.schedule: ${ctx.pipeline}'s target engine is ${target.engine}, not databricks`]);
  }
  if (!ctx.databricks) {
    throw new ConfigError(`cutover step ${ctx.step}`, ['databricks.schedule: Databricks is not configured (DATABRICKS_HOST and a token)']);
  }
  const job = await ctx.databricks.getJob(target.jobId, ctx.signal);
  const schedule = job.settings.schedule;
  const verb = status === 'PAUSED' ? 'pause' : 'unpause';
  if (!schedule) {
    throw new InvalidStateError(`Databricks job ${target.jobId} has no schedule to ${verb}: give it one in Databricks, or take databricks.schedule out of step ${ctx.step}`);
  }
  const where = `${schedule.quartz_cron_expression} ${schedule.timezone_id}`;
  // Databricks treats a schedule without pause_status as UNPAUSED.
  if ((schedule.pause_status ?? 'UNPAUSED') === status) {
    return { action: 'databricks.schedule', changed: false, text: `Databricks job ${target.jobId} schedule was already ${status} (${where})` };
  }
  await ctx.databricks.updateJob(target.jobId, { schedule: { ...schedule, pause_status: status } }, ctx.signal);
  return { action: 'databricks.schedule', changed: true, text: `Databricks job ${target.jobId} schedule ${status} (${where})` };
}
