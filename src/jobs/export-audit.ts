import type { Job } from 'bullmq';
import type { JobDeps } from './job-deps.ts';
import { toSlackJobError } from './slack-errors.ts';

/**
 * Uploads a pipeline's whole audit trail as JSON Lines (one event per line, oldest first, the
 * stream id included) to the channel `/pipeline audit` was typed in. Read in pages, so a long
 * trail never sits in one Redis reply.
 */
export async function exportAudit(deps: JobDeps, job: Job<{ pipeline: string; to: { user: string; channel: string } }>): Promise<void> {
  const { pipeline, to } = job.data;
  const lines: string[] = [];
  for await (const event of deps.audit.all(pipeline)) lines.push(JSON.stringify(event));
  const stamp = new Date(deps.now()).toISOString().replace(/[:.]/g, '-');
  try {
    await deps.slack.filesUploadV2({
      channel_id: to.channel,
      initial_comment: `Audit trail of *${pipeline}* for <@${to.user}>: ${lines.length} events, oldest first.`,
      file_uploads: [{ filename: `audit-${pipeline}-${stamp}.jsonl`, title: `Audit trail of ${pipeline}`, content: `${lines.join('\n')}\n` }],
    });
  } catch (err) {
    throw toSlackJobError(err);
  }
}
