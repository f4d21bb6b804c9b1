import type { Job } from 'bullmq';
import { ApiError } from '../errors.ts';
import { buildAckNote, buildRepairNote } from '../slack/index.ts';
import type { JobDeps } from './job-deps.ts';
import type { ThreadNote } from './queues.ts';
import { toSlackJobError } from './slack-errors.ts';

/** Posts one note (repair progress, acknowledgement, error) into the run's thread. */
export async function postThreadNote(deps: JobDeps, job: Job<{ runId: string; note: ThreadNote }>): Promise<void> {
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
    await deps.slack.chat.postMessage({ channel: parent.channel, thread_ts: parent.ts, unfurl_links: false, ...body });
  } catch (err) {
    throw toSlackJobError(err);
  }
}
