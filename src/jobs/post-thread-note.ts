import { UnrecoverableError, type Job } from 'bullmq';
import { ApiError } from '../errors.ts';
import { buildAckNote, buildRepairNote } from '../slack/index.ts';
import type { JobDeps } from './job-deps.ts';
import type { ThreadNote } from './queues.ts';
import { postOnce } from './post-once.ts';
import { toSlackJobError } from './slack-errors.ts';

/** As long as a post intent: longer than any retry schedule of a notify job. */
const NOTE_MARK_TTL_MS = 14 * 24 * 3600_000;

/** Posts one note (repair progress, acknowledgement, cancel request, error) into the run's thread, once. */
export async function postThreadNote(deps: JobDeps, job: Job<{ runId: string; note: ThreadNote }>): Promise<void> {
  // Every note job has an id of its own (`note-<run>-repair-2-started`, `note-<run>-ack`, …): the
  // note's slot. A made-up one could be shared by two notes and swallow the second.
  const slot = job.id;
  if (!slot) throw new UnrecoverableError('thread note job has no id');
  const done = deps.keys.notePosted(slot);
  if (await deps.redis.exists(done)) return;
  const run = await deps.runs.require(job.data.runId);
  const parent = run.statusMessage;
  if (!parent) {
    // The status message is posted first by its own job; wait for it rather than start a stray thread.
    throw new ApiError({ service: 'slack', message: 'status message not posted yet', retryable: true, retryAfterMs: 1000 });
  }
  const note = job.data.note;
  const body =
    note.kind === 'acknowledged'
      ? buildAckNote(note.by, note.at)
      : note.kind === 'repair-started'
        ? buildRepairNote(run, 'started', note.by)
        : note.kind === 'repair-finished'
          ? buildRepairNote(run, 'finished')
          : note.kind === 'cancel-requested'
            ? { text: `:no_entry_sign: <@${note.by}> asked to cancel this run.` }
            : { text: `:warning: ${note.text}` };
  try {
    // Once, even when a worker dies mid-post: postOnce adopts a note Slack stored before the kill,
    // and the mark stops a retry after the kill but before the job completed from posting again.
    await postOnce(deps, slot, { channel: parent.channel, thread_ts: parent.ts, ...body }, async () => {
      await deps.redis.set(done, '1', 'PX', NOTE_MARK_TTL_MS);
    });
  } catch (err) {
    throw toSlackJobError(err);
  }
}
