import { UnrecoverableError, type Job } from 'bullmq';
import { buildSnsAlert, type AlertFacts } from '../alerts/build-sns-alert.ts';
import { asCodedError } from '../errors.ts';
import type { JobDeps } from './job-deps.ts';
import { permalinkOf } from './notify-dq.ts';

/** Which Slack message the published alert links to, looked up when the job runs. */
export type AlertLink = { kind: 'dq'; pipeline: string; period: string } | { kind: 'run'; runId: string } | { kind: 'none' };

/**
 * Publishes one alert to `alerts.snsTopicArn`. It is its own job on the engine queue, so an
 * SNS outage retries here with backoff and never holds up the Slack alert; one job id per
 * event, so a retry never publishes twice (short of SNS losing the response).
 */
export async function publishSnsAlert(deps: JobDeps, job: Job<{ facts: AlertFacts; link: AlertLink }>, signal?: AbortSignal): Promise<void> {
  if (!deps.publishAlert) return; // no topic configured: nothing to publish
  const { facts, link } = job.data;
  const permalink = facts.permalink ?? (await linkOf(deps, link));
  try {
    await deps.publishAlert(buildSnsAlert({ ...facts, permalink }), signal);
  } catch (err) {
    const coded = asCodedError(err);
    if (!coded.retryable) throw new UnrecoverableError(coded.message);
    throw coded;
  }
}

async function linkOf(deps: JobDeps, link: AlertLink): Promise<string | undefined> {
  if (link.kind === 'dq') {
    const alert = await deps.dqAlerts.get(link.pipeline, link.period);
    return alert?.summary ? permalinkOf(deps, alert.summary.channel, alert.summary.ts) : undefined;
  }
  if (link.kind === 'run') {
    const run = await deps.runs.get(link.runId);
    const ref = run?.alertThread ?? run?.statusMessage;
    return ref ? permalinkOf(deps, ref.channel, ref.ts) : undefined;
  }
  return undefined;
}
