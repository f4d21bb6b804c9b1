import type { JobDeps } from './job-deps.ts';
import { toSlackJobError } from './slack-errors.ts';

/** A file for the person who asked, and only them. */
export interface PrivateFile {
  filename: string;
  title: string;
  content: Buffer | string;
  /** Said to the person with the file. */
  comment: string;
}

/**
 * Uploads a file to the asker's DM with the bot (`conversations.open`, then files upload v2),
 * so evidence asked for in a channel (a chart, the go-live report) is seen by the asker only,
 * like the ephemeral reply that announced it.
 */
export async function sendPrivately(deps: Pick<JobDeps, 'slack'>, user: string, file: PrivateFile): Promise<void> {
  try {
    const dm = await deps.slack.conversations.open({ users: user });
    const channel = dm.channel?.id;
    if (!channel) throw new Error(`Slack opened no DM with ${user}`);
    await deps.slack.filesUploadV2({
      channel_id: channel,
      initial_comment: file.comment,
      file_uploads: [{ filename: file.filename, title: file.title, file: Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content) }],
    });
  } catch (err) {
    throw toSlackJobError(err);
  }
}
