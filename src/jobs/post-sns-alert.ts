import type { Job } from 'bullmq';
import { defaultPeriod } from '../commands/parse-command.ts';
import type { SnsAlertJob } from '../handlers/sns/index.ts';
import { escapeMrkdwn, truncateText } from '../slack/index.ts';
import { threadTsOf, type FailingCheck } from '../store/dq-alert-record.ts';
import type { JobDeps } from './job-deps.ts';
import { recordDqResult } from './record-dq-result.ts';
import { toSlackJobError } from './slack-errors.ts';

/**
 * A verified, routed SNS notification. A DQ result published by a notebook (the shape of
 * `cutover dq --json` plus `pipeline` and `period`) goes through the same state machine as
 * Cutover's own checks, into the period's DQ thread. A CloudWatch alarm, or a result whose
 * shape says nothing about passing, is posted as it is: in the current period's alert thread
 * when one is open, else in the pipeline's channel.
 */
export async function postSnsAlert(deps: JobDeps, job: Job<{ alert: SnsAlertJob }>): Promise<void> {
  const { alert } = job.data;
  const pipeline = deps.catalog.pipelines[alert.pipeline];
  if (!pipeline) return;
  const m = alert.message;
  if (alert.kind === 'dq-result' && typeof m.passed === 'boolean') {
    const period = typeof m.period === 'string' && /^\d{4}-(0[1-9]|1[0-2])$/.test(m.period) ? m.period : defaultPeriod(Date.parse(alert.timestamp) || deps.now());
    const failing = notebookFailures(m.checks);
    const total = Array.isArray(m.checks) ? m.checks.length : failing.length;
    await recordDqResult(deps, alert.pipeline, period, { passed: m.passed, total, failing: m.passed ? [] : failing, source: 'sns', topicArn: alert.topicArn });
    return;
  }
  const headline =
    alert.kind === 'cloudwatch-alarm'
      ? `:rotating_light: CloudWatch alarm *${escapeMrkdwn(String(m.AlarmName ?? 'unnamed'))}* is ${escapeMrkdwn(String(m.NewStateValue ?? '?'))} for *${alert.pipeline}*`
      : `:bar_chart: DQ result for *${alert.pipeline}*`;
  const detail = alert.kind === 'cloudwatch-alarm' ? String(m.NewStateReason ?? '') : (alert.subject ?? '');
  const text = truncateText([headline, escapeMrkdwn(detail)].filter(Boolean).join('\n'), 2900);
  // Into the pipeline's alert thread for the current period when one is open, else the channel.
  const alertThread = await deps.dqAlerts.get(alert.pipeline, defaultPeriod(Date.parse(alert.timestamp) || deps.now()));
  const thread = alertThread?.summary ? { channel: alertThread.summary.channel, thread_ts: threadTsOf(alertThread) } : { channel: pipeline.channel };
  try {
    await deps.slack.chat.postMessage({ ...thread, text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }], unfurl_links: false });
  } catch (err) {
    throw toSlackJobError(err);
  }
}

/** The failing entries of a notebook's `checks` list; anything malformed is skipped, not trusted. Samples are never taken from outside. */
function notebookFailures(checks: unknown): FailingCheck[] {
  if (!Array.isArray(checks)) return [];
  return checks
    .filter((c): c is Record<string, unknown> => typeof c === 'object' && c !== null && (c as Record<string, unknown>).passed === false)
    .map((c) => ({
      output: String(c.output ?? 'notebook').slice(0, 100),
      check: String(c.check ?? 'check').slice(0, 200),
      failingRows: typeof c.failingRows === 'number' && Number.isFinite(c.failingRows) ? c.failingRows : 0,
    }));
}
