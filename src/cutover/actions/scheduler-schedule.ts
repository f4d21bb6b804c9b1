import { GetScheduleCommand, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { ConfigError } from '../../errors.ts';
import { callAws } from '../../engines/emr/to-api-error.ts';
import type { ActionContext, ActionResult } from './context.ts';

export interface ScheduleChange {
  name: string;
  group?: string;
  state: 'ENABLED' | 'DISABLED';
}

/** Scheduler refuses a StartDate earlier than this before the call (UpdateSchedule validates it like CreateSchedule). */
const START_DATE_SLACK_MS = 5 * 60_000;

/**
 * `scheduler.schedule`: enables or disables one EventBridge Scheduler schedule (e.g. the one
 * that starts the legacy state machine). UpdateSchedule replaces the whole schedule with what it
 * is sent, so the schedule is read first and every field is sent back as it was, with only
 * `State` changed. A StartDate already passed is the one exception: Scheduler refuses one more
 * than 5 minutes old, and once reached it no longer changes when the schedule fires.
 */
export async function setScheduleState(change: ScheduleChange, ctx: ActionContext): Promise<ActionResult> {
  if (!ctx.scheduler) throw new ConfigError(`cutover step ${ctx.step}`, ['scheduler.schedule: no EventBridge Scheduler client is configured (AWS_REGION)']);
  const client = ctx.scheduler;
  const GroupName = change.group ?? 'default';
  const where = `${GroupName}/${change.name}`;
  const signal = ctx.signal;
  const current = await callAws('scheduler', 'GetSchedule', () => client.send(new GetScheduleCommand({ Name: change.name, GroupName }), { abortSignal: signal }), signal);
  const word = change.state === 'DISABLED' ? 'disabled' : 'enabled';
  if (current.State === change.state) return { action: 'scheduler.schedule', changed: false, text: `EventBridge Scheduler schedule ${where} was already ${word}` };
  const now = ctx.now?.() ?? Date.now();
  const startDate = current.StartDate && current.StartDate.getTime() > now - START_DATE_SLACK_MS ? current.StartDate : undefined;
  await callAws(
    'scheduler',
    'UpdateSchedule',
    () =>
      client.send(
        new UpdateScheduleCommand({
          Name: change.name,
          GroupName,
          State: change.state,
          ScheduleExpression: current.ScheduleExpression,
          ScheduleExpressionTimezone: current.ScheduleExpressionTimezone,
          FlexibleTimeWindow: current.FlexibleTimeWindow,
          Target: current.Target,
          Description: current.Description,
          StartDate: startDate,
          EndDate: current.EndDate,
          KmsKeyArn: current.KmsKeyArn,
          ActionAfterCompletion: current.ActionAfterCompletion,
        }),
        { abortSignal: signal },
      ),
    signal,
  );
  const target = current.Target?.Arn ? ` (target ${current.Target.Arn})` : '';
  return { action: 'scheduler.schedule', changed: true, text: `EventBridge Scheduler schedule ${where} ${word}: ${current.ScheduleExpression ?? ''}${target}` };
}
