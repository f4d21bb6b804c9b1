import type { Job } from 'bullmq';
import type { BackfillRecord } from '../store/backfill-record.ts';
import type { MessageRef, RunRecord } from '../store/run-record.ts';
import { buildBackfillView } from '../slack/index.ts';
import { loadBackfillRuns } from '../store/backfill-runs.ts';
import { BOT, type JobDeps } from './job-deps.ts';
import { renderInSlot } from './message-slot.ts';
import { postOnce } from './post-once.ts';
import { postAlertIfNeeded } from './notify-status.ts';
import { toSlackJobError } from './slack-errors.ts';

/**
 * The one parent message of a backfill, coalesced like a run's status message (renderInSlot).
 * Its ts becomes every period run's status message, so a failed period's alert (with Repair,
 * Cancel and Acknowledge), its repair notes and cancel notes are replies in this message's thread.
 *
 * The message shows the runs too, so "has it changed since it was rendered" is the backfill's
 * version plus every run's version: all of them only grow, and runs are only ever added.
 */
export async function notifyBackfill(deps: JobDeps, job: Job<{ backfillId: string }>, token: string | undefined): Promise<void> {
  const { backfills, queues } = deps;
  const id = job.data.backfillId;
  await renderInSlot(deps, job, token, id, {
    posted: async () => Boolean((await backfills.get(id))?.message),
    render: async () => {
      const b = await backfills.get(id);
      if (!b) return undefined;
      const runs = await loadBackfillRuns(deps.runs, b);
      const view = buildBackfillView(b, runs, deps.now());
      let current = b;
      try {
        if (!b.message) {
          current = await postOnce(deps, id, { channel: b.channel, text: view.text, blocks: view.blocks }, (ref) =>
            backfills.update(id, (cur) => (cur.message ? undefined : { ...cur, message: ref }), { ...BOT, action: 'backfill.message' }),
          );
        } else {
          await deps.slack.chat.update({ channel: b.message.channel, ts: b.message.ts, text: view.text, blocks: view.blocks });
        }
      } catch (err) {
        throw toSlackJobError(err);
      }
      if (current.message) {
        for (const [runId, run] of runs) runs.set(runId, await adoptMessage(deps, run, current.message));
      }
      return compositeVersion(current, runs);
    },
    latestVersion: async () => {
      const b = await backfills.get(id);
      return b ? compositeVersion(b, await loadBackfillRuns(deps.runs, b)) : undefined;
    },
    again: () => queues.backfillStatus(id),
  });
}

/** Every run the backfill ever started, current attempts and earlier ones. */
const compositeVersion = (b: BackfillRecord, runs: ReadonlyMap<string, RunRecord>): number => [...runs.values()].reduce((sum, r) => sum + r.version, b.version);

/** The parent message is the run's status message; a failed run's alert goes into its thread once. */
async function adoptMessage(deps: JobDeps, run: RunRecord, message: MessageRef): Promise<RunRecord> {
  const current = run.statusMessage ? run : await deps.runs.update(run.id, (r) => (r.statusMessage ? undefined : { ...r, statusMessage: message }), { ...BOT, action: 'run.message' });
  return postAlertIfNeeded(deps, current);
}
