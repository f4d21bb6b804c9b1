import type { CommandDeps } from '../commands/command-deps.ts';
import { requestCancel } from '../commands/cancel.ts';
import type { InteractionRouter, Reply } from './interaction-router.ts';
import { ACTION_IDS } from '../slack/index.ts';
import { cancelWaiting, retryFailed, RETRYABLE, type BackfillRecord } from '../store/backfill-record.ts';

const list = (periods: string[]) => (periods.length > 6 ? `${periods.slice(0, 6).join(', ')} and ${periods.length - 6} more` : periods.join(', '));

/**
 * The buttons of a backfill's message. Each click is acked at once and checked like `run`
 * (`permissions.run` for the backfill's env); the change is one compare-and-set of the
 * backfill with its audit event, then jobs do the rest. Refusals are ephemeral.
 */
export function registerBackfillActions(app: InteractionRouter, deps: CommandDeps): void {
  const on = (actionId: string, handle: (b: BackfillRecord, user: string, reply: Reply) => Promise<void>) => {
    app.button(actionId, async ({ body, action }, reply) => {
      const b = await deps.backfills.get(action.value ?? '');
      if (!b) return void (await reply(`:mag: That backfill (\`${action.value}\`) is no longer known to Cutover.`));
      if (!(await deps.permissions.canRun(body.user.id, b.env))) {
        return void (await reply(`:no_entry: You are not allowed to act on ${b.env} runs of ${b.pipeline}.`));
      }
      await handle(b, body.user.id, reply);
    });
  };

  on(ACTION_IDS.backfillCancel, async (b, user, reply) => {
    let changed = false;
    const updated = await deps.backfills.update(
      b.id,
      (cur) => {
        const next = cancelWaiting(cur, user, deps.now());
        changed = next !== undefined;
        return next;
      },
      { actor: user, action: 'backfill.cancel' },
    );
    if (!changed) return void (await reply(`Backfill \`${b.id}\` has nothing left to cancel: it is *${updated.state}*.`));
    const running = updated.periods.filter((p) => p.status === 'started' && p.runId);
    // Runs already on an engine are cancelled there; the poll job reports each one's end.
    for (const p of running) await requestCancel(deps, p.runId!, user);
    await deps.queues.advanceBackfill(b.id, `cancel-${updated.version}`);
    await deps.queues.backfillStatus(b.id, { immediate: true });
    const stopped = updated.periods.filter((p) => p.status === 'cancelled' && !p.runId).length;
    await reply(`:octagonal_sign: Cancelling the rest of backfill \`${b.id}\`: ${stopped} waiting period${stopped === 1 ? '' : 's'} will not start, ${running.length} running cancelled.`);
  });

  on(ACTION_IDS.backfillRetry, async (b, user, reply) => {
    let retried: string[] = [];
    const updated = await deps.backfills.update(
      b.id,
      (cur) => {
        retried = cur.periods.filter((p) => RETRYABLE.has(p.status)).map((p) => `${p.period}${p.status === 'skipped' ? ' (not started)' : ''}`);
        return retryFailed(cur);
      },
      { actor: user, action: 'backfill.retry' },
    );
    if (retried.length === 0) return void (await reply(`Backfill \`${b.id}\` has no failed or cancelled periods to retry.`));
    await deps.queues.advanceBackfill(b.id, `retry-${updated.retries}`);
    await reply(`:repeat: Retrying ${retried.length} period${retried.length === 1 ? '' : 's'} of \`${b.id}\`: ${list(retried)}, at most ${b.concurrency} at a time.`);
  });
}
