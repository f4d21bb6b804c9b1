import type { CommandDeps } from '../commands/command-deps.ts';
import type { InteractionRouter, Reply } from './interaction-router.ts';
import { withEvent } from '../dq/apply-dq-result.ts';
import { ACTION_IDS } from '../slack/index.ts';
import { parseDqButtonValue } from '../slack/build-dq-alert.ts';
import type { DqAlertRecord } from '../store/dq-alert-record.ts';

/**
 * The buttons of a DQ thread: Re-run checks, Acknowledge (who and when; stops reminders) and
 * Mute for this period. Acked at once; each needs the `dq` permission on the pipeline (the
 * catalog's `permissions.dq`, else its owners and `permissions.run.prod`); refusals ephemeral.
 */
export function registerDqActions(app: InteractionRouter, deps: CommandDeps): void {
  const on = (actionId: string, handle: (alert: DqAlertRecord, user: { id: string; name?: string }, channel: string | undefined, reply: Reply) => Promise<void>) => {
    app.button(actionId, async ({ body, action }, reply) => {
      const ref = parseDqButtonValue(action.value);
      const alert = ref ? await deps.dqAlerts.get(ref.pipeline, ref.period) : undefined;
      if (!alert) return void (await reply(':mag: That DQ alert is no longer known to Cutover.'));
      if (!(await deps.permissions.may('dq', body.user.id, alert.pipeline))) {
        return void (await reply(`:no_entry: You are not allowed to act on DQ alerts of ${alert.pipeline}: ask someone in \`permissions.dq\` (by default the pipeline's owners and \`permissions.run.prod\`).`));
      }
      await handle(alert, { id: body.user.id, name: body.user.name ?? body.user.username }, body.channel?.id, reply);
    });
  };

  on(ACTION_IDS.dqRerun, async (alert, user, channel, reply) => {
    const now = deps.now();
    const requestedBy = channel ? { user: user.id, channel } : undefined;
    await deps.queues.dqCheck({ pipeline: alert.pipeline, period: alert.period, source: 'rerun', requestedBy }, `dq-rerun-${alert.pipeline}-${alert.period}-${now}`);
    await reply(`:arrows_counterclockwise: Re-running the DQ checks of ${alert.pipeline} ${alert.period}; the summary above will show the result.`);
  });

  on(ACTION_IDS.dqAck, async (alert, user, _channel, reply) => {
    if (alert.state !== 'failing') return void (await reply(`The DQ alert of ${alert.pipeline} ${alert.period} is *${alert.state}*: nothing to acknowledge.`));
    const at = deps.now();
    const updated = await deps.dqAlerts.update(
      alert,
      (a) => (a.acknowledgedBy || a.state !== 'failing' ? undefined : { next: withEvent({ ...a, acknowledgedBy: { user: user.id, at } }, { kind: 'acknowledged', at, by: user.id }).next, change: { detail: { by: user.id } } }),
      { actor: user.id, actorName: user.name, action: 'dq.acknowledge' },
    );
    if (updated.acknowledgedBy?.user !== user.id || updated.acknowledgedBy.at !== at) {
      return void (await reply(updated.acknowledgedBy ? `Already acknowledged by <@${updated.acknowledgedBy.user}>.` : 'Nothing to acknowledge any more.'));
    }
    await deps.queues.dqThread(alert.pipeline, alert.period, updated.version);
  });

  on(ACTION_IDS.dqMute, async (alert, user, _channel, reply) => {
    if (alert.mutedBy) return void (await reply(`Already muted by <@${alert.mutedBy.user}>.`));
    const at = deps.now();
    const updated = await deps.dqAlerts.update(
      alert,
      (a) => (a.mutedBy ? undefined : { next: withEvent({ ...a, mutedBy: { user: user.id, at } }, { kind: 'muted', at, by: user.id }).next, change: { detail: { by: user.id } } }),
      { actor: user.id, actorName: user.name, action: 'dq.mute' },
    );
    if (updated.mutedBy?.user !== user.id || updated.mutedBy.at !== at) return void (await reply(`Already muted by <@${updated.mutedBy?.user}>.`));
    await deps.queues.dqThread(alert.pipeline, alert.period, updated.version);
  });
}
