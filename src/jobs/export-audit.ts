import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import type { JobDeps } from './job-deps.ts';
import { toSlackJobError } from './slack-errors.ts';

/** Events read from the stream (XRANGE … COUNT) and written to the file per page. */
export const AUDIT_PAGE = 500;

/**
 * Sends a pipeline's whole audit trail as JSON Lines (one event per line, oldest first, the
 * stream id included) to the person who asked, in their direct message with the bot
 * (`conversations.open` + files upload v2), never to the channel the command was typed in
 * (issue 14 finding 9). The stream is read in pages and each page is appended to a temporary
 * file, so the trail never sits in memory as one Redis reply or one string.
 */
export async function exportAudit(deps: JobDeps, job: Job<{ pipeline: string; to: { user: string; channel: string } }>): Promise<void> {
  const { pipeline, to } = job.data;
  const dir = await mkdtemp(join(tmpdir(), 'cutover-audit-'));
  const stamp = new Date(deps.now()).toISOString().replace(/[:.]/g, '-');
  const path = join(dir, `audit-${pipeline}-${stamp}.jsonl`);
  try {
    let count = 0;
    const file = await open(path, 'w');
    try {
      let page: string[] = [];
      for await (const event of deps.audit.all(pipeline, AUDIT_PAGE)) {
        page.push(`${JSON.stringify(event)}\n`);
        if (page.length === AUDIT_PAGE) {
          await file.write(page.join(''));
          count += page.length;
          page = [];
        }
      }
      await file.write(page.join(''));
      count += page.length;
    } finally {
      await file.close();
    }
    try {
      const dm = await deps.slack.conversations.open({ users: to.user });
      const channel = dm.channel?.id;
      if (!channel) throw new Error('conversations.open returned no channel');
      await deps.slack.filesUploadV2({
        channel_id: channel,
        initial_comment: `Audit trail of *${pipeline}*, as you asked: ${count} events, oldest first.`,
        file_uploads: [{ filename: `audit-${pipeline}-${stamp}.jsonl`, title: `Audit trail of ${pipeline}`, file: createReadStream(path) }],
      });
    } catch (err) {
      throw toSlackJobError(err);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
