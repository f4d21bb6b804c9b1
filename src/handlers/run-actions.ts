import { requestCancel } from '../commands/cancel.ts';
import type { CommandDeps } from '../commands/command-deps.ts';
import type { InteractionRouter, Reply } from './interaction-router.ts';
import { isTerminal } from '../engines/types.ts';
import { ACTION_IDS } from '../slack/index.ts';
import type { RunRecord } from '../store/run-record.ts';

/**
 * The buttons of a run's alert thread. Each click is acked at once, checked against
 * `permissions.run` for the run's env, and turned into a job; refusals are ephemeral.
 */
export function registerRunActions(app: InteractionRouter, deps: CommandDeps): void {
  const on = (actionId: string, handle: (run: RunRecord, user: string, reply: Reply) => Promise<void>) => {
    app.button(actionId, async ({ body, action }, reply) => {
      const run = await deps.runs.get(action.value ?? '');
      if (!run) return void (await reply(`:mag: That run (\`${action.value}\`) is no longer known to Cutover.`));
      if (!(await deps.permissions.canRun(body.user.id, run.env))) {
        return void (await reply(`:no_entry: You are not allowed to act on ${run.env} runs of ${run.pipeline}.`));
      }
      await handle(run, body.user.id, reply);
    });
  };

  on(ACTION_IDS.repair, async (run, user, reply) => {
    if (run.state !== 'failed') return void (await reply(`Run \`${run.id}\` is *${run.state}*; only a failed run can be repaired.`));
    // The click is recorded on the run in one compare-and-set: of two clicks at once only one
    // becomes a request (a double click repairs once), and each request has its own number, so
    // a Repair after a refused one is a new job rather than the old job's id again.
    let mine = false; // whether this click's write is the one stored (the last call of `mutate` decides)
    const updated = await deps.runs.update(
      run.id,
      (r) => {
        mine = r.state === 'failed' && !r.repairRequest;
        const n = (r.repairRequests ?? 0) + 1;
        return mine ? { ...r, repairRequest: { n, by: user, at: deps.now() }, repairRequests: n } : undefined;
      },
      { actor: user, action: 'run.repair-requested' },
    );
    const request = updated.repairRequest;
    if (!mine || !request) {
      if (request) return void (await reply(`:hourglass_flowing_sand: A repair of \`${run.id}\` is already under way (asked for by <@${request.by}>).`));
      return void (await reply(`Run \`${run.id}\` is *${updated.state}*; only a failed run can be repaired.`));
    }
    await deps.queues.repair(run.id, user, request.n);
    await reply(`:wrench: Repair of \`${run.id}\` requested: its failed tasks will re-run; progress appears in this thread.`);
  });

  on(ACTION_IDS.cancel, async (run, user, reply) => {
    if (isTerminal(run.state)) return void (await reply(`Run \`${run.id}\` has already ended: *${run.state}*.`));
    await requestCancel(deps, run.id, user);
    await deps.queues.threadNote(run.id, { kind: 'cancel-requested', by: user }, `note-${run.id}-cancel-${deps.now()}`);
    await reply(`:octagonal_sign: Cancelling \`${run.id}\`.`);
  });

  on(ACTION_IDS.ack, async (run, user, reply) => {
    if (run.acknowledgedBy) {
      return void (await reply(`Already acknowledged by <@${run.acknowledgedBy.user}>.`));
    }
    const at = deps.now();
    const updated = await deps.runs.update(run.id, (r) => (r.acknowledgedBy ? undefined : { ...r, acknowledgedBy: { user, at } }), { actor: user, action: 'run.acknowledge' });
    if (updated.acknowledgedBy?.user !== user) return void (await reply(`Already acknowledged by <@${updated.acknowledgedBy?.user}>.`));
    await deps.queues.threadNote(run.id, { kind: 'acknowledged', by: user, at }, `note-${run.id}-ack`);
    await deps.queues.status(run.id);
  });
}
