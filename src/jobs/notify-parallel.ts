import type { Job } from 'bullmq';
import type { RunRecord } from '../store/run-record.ts';
import { buildDiffDetails, buildParallelView, buildReportFiles } from '../slack/index.ts';
import { BOT, type JobDeps } from './job-deps.ts';
import { renderInSlot } from './message-slot.ts';
import { postOnce } from './post-once.ts';
import { postAlertIfNeeded } from './notify-status.ts';
import { toSlackJobError } from './slack-errors.ts';

/**
 * The one message of a parallel run, both runs side by side and then the diff summary,
 * coalesced like a run's status message. Its ts becomes both runs' status message, so a
 * failed run's alert thread and repair notes land in this message's thread.
 */
export async function notifyParallel(deps: JobDeps, job: Job<{ parallelId: string }>, token: string | undefined): Promise<void> {
  const { parallels, queues } = deps;
  const id = job.data.parallelId;
  await renderInSlot(deps, job, token, id, {
    posted: async () => Boolean((await parallels.get(id))?.message),
    render: async () => {
      const p = await parallels.get(id);
      if (!p) return undefined;
      const [legacy, target] = await Promise.all([p.legacyRunId ? deps.runs.get(p.legacyRunId) : undefined, p.targetRunId ? deps.runs.get(p.targetRunId) : undefined]);
      const view = buildParallelView(p, legacy, target, deps.now());
      let current = p;
      try {
        if (!p.message) {
          current = await postOnce(deps, id, { channel: p.channel, text: view.text, blocks: view.blocks }, (ref) =>
            parallels.update(id, (cur) => ({ ...cur, message: ref }), { ...BOT, action: 'parallel.message' }),
          );
        } else {
          await deps.slack.chat.update({ channel: p.message.channel, ts: p.message.ts, text: view.text, blocks: view.blocks });
        }
      } catch (err) {
        throw toSlackJobError(err);
      }
      for (const run of [legacy, target]) if (run && current.message) await adoptMessage(deps, run, current.message);
      return current.version;
    },
    latestVersion: async () => (await parallels.get(id))?.version,
    again: () => queues.parallelStatus(id),
  });
}

async function adoptMessage(deps: JobDeps, run: RunRecord, message: NonNullable<RunRecord['statusMessage']>): Promise<void> {
  const current = run.statusMessage ? run : await deps.runs.update(run.id, (r) => (r.statusMessage ? undefined : { ...r, statusMessage: message }), { ...BOT, action: 'run.message' });
  await postAlertIfNeeded(deps, current);
}

/**
 * The per-output details (one thread reply each) and the full report files (JSON summary and
 * a CSV of mismatched rows per output, files upload v2). One job per parallel run, and a
 * stored flag, so the report is posted once even if this job is retried.
 */
export async function postParallelDetails(deps: JobDeps, job: Job<{ parallelId: string }>): Promise<void> {
  const { parallels } = deps;
  const p = await parallels.require(job.data.parallelId);
  if (p.detailsPosted) return;
  if (!p.message) throw new Error('parallel message not posted yet'); // retried with backoff
  const reports = await parallels.reports(p.id);
  const csvs = await parallels.csvs(p.id);
  const posted = new Set(await parallels.postedDetails(p.id));
  try {
    for (const [output, report] of Object.entries(reports)) {
      if (posted.has(output)) continue;
      const view = buildDiffDetails(output, report);
      const where = { channel: p.message.channel, thread_ts: p.message.ts };
      await postOnce(deps, `${p.id}-detail-${output}`, { ...where, text: view.text, blocks: view.blocks }, () => parallels.markDetailPosted(p.id, output));
    }
    const files = buildReportFiles(p, reports, csvs);
    if (files.length > 0 && !posted.has('__files')) {
      await deps.slack.filesUploadV2({
        channel_id: p.message.channel,
        thread_ts: p.message.ts,
        initial_comment: `Full diff report for ${p.pipeline} ${p.period}`,
        file_uploads: files.map((f) => ({ filename: f.filename, title: f.title, content: f.content })),
      });
      await parallels.markDetailPosted(p.id, '__files');
    }
  } catch (err) {
    throw toSlackJobError(err);
  }
  await parallels.update(p.id, (cur) => ({ ...cur, detailsPosted: true }), { ...BOT, action: 'parallel.details' });
}
