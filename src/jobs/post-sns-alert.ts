import type { Job } from 'bullmq';
import type { SnsAlertJob } from '../handlers/sns/index.ts';
import { escapeMrkdwn, truncateText } from '../slack/index.ts';
import type { JobDeps } from './job-deps.ts';
import { toSlackJobError } from './slack-errors.ts';

/**
 * A verified, routed SNS notification (a DQ result published by a notebook, or a CloudWatch
 * alarm) posted in its pipeline's channel. Interim: issue 4's DQ alert threads (one per
 * pipeline and period, on state changes only) will take these over.
 */
export async function postSnsAlert(deps: JobDeps, job: Job<{ alert: SnsAlertJob }>): Promise<void> {
  const { alert } = job.data;
  const pipeline = deps.catalog.pipelines[alert.pipeline];
  if (!pipeline) return;
  const m = alert.message;
  const headline =
    alert.kind === 'cloudwatch-alarm'
      ? `:rotating_light: CloudWatch alarm *${escapeMrkdwn(String(m.AlarmName ?? 'unnamed'))}* is ${escapeMrkdwn(String(m.NewStateValue ?? '?'))} for *${alert.pipeline}*`
      : `:bar_chart: DQ result for *${alert.pipeline}*${m.passed === false ? ': *failed*' : m.passed === true ? ': passed' : ''}`;
  const detail = alert.kind === 'cloudwatch-alarm' ? String(m.NewStateReason ?? '') : alert.subject ?? '';
  const text = truncateText([headline, escapeMrkdwn(detail)].filter(Boolean).join('\n'), 2900);
  try {
    await deps.slack.chat.postMessage({ channel: pipeline.channel, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }], unfurl_links: false });
  } catch (err) {
    throw toSlackJobError(err);
  }
}
