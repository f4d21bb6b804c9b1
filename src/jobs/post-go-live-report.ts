import type { Job } from 'bullmq';
import { buildGoLiveReport } from '../report/index.ts';
import { safeName } from '../slack/report-files.ts';
import type { JobDeps } from './job-deps.ts';
import { sendPrivately } from './send-privately.ts';

/** `/pipeline report`: the go-live evidence as one HTML file, sent to the asker only. */
export async function postGoLiveReport(deps: JobDeps, job: Job<{ pipeline: string; to: { user: string } }>): Promise<void> {
  const { pipeline, to } = job.data;
  const html = await buildGoLiveReport({ ...deps, cutover: deps.cutover }, pipeline, to.user);
  const day = new Date(deps.now()).toISOString().slice(0, 10);
  await sendPrivately(deps, to.user, {
    filename: `${safeName(pipeline)}-go-live-report-${day}.html`,
    title: `Go-live report: ${pipeline}`,
    content: html,
    comment: `The go-live report of *${pipeline}*: parallel runs with their diffs, DQ, durations and costs with the chart, the cutover steps with their approvals, and the audit trail. Open it in a browser.`,
  });
}
