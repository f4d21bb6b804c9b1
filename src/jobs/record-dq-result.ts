import type { CheckResult, RunChecksResult } from '../checks/types.ts';
import { applyDqResult, emptyDqAlert, type DqResultInput } from '../dq/apply-dq-result.ts';
import type { DqAlertRecord, FailingCheck } from '../store/dq-alert-record.ts';
import { BOT, type JobDeps } from './job-deps.ts';

/** Samples kept per failing check on the alert (the summary shows fewer). */
const SAMPLES_KEPT = 3;

/** A check's failure as the alert keeps it. */
function toFailingCheck(c: CheckResult): FailingCheck {
  return { output: c.output, check: c.check, failingRows: c.failingRows, summary: c.summary, error: c.error, samples: c.samples.slice(0, SAMPLES_KEPT), sql: c.sql || undefined };
}

/**
 * Records the outcome of Cutover's own checks: failures kept with their samples, PII-protected
 * first. Checks whose data is not there at all (`missing`) are left out: a missing dataset is its
 * own outcome, never a DQ failure, so it opens no alert thread, publishes nothing and is not gate
 * evidence (issue 15 item 6). When nothing could be checked, the alert is not touched at all and
 * only the audit stream records it; returns undefined then.
 */
export async function recordChecksResult(
  deps: JobDeps,
  pipeline: string,
  period: string,
  result: RunChecksResult,
  context: Pick<DqResultInput, 'source' | 'runId' | 'anchor'>,
  actor?: string,
): Promise<DqAlertRecord | undefined> {
  const ran = result.checks.filter((c) => !c.missing);
  const missing = missingOutputs(result);
  if (ran.length === 0) {
    await deps.audit.append({ at: deps.now(), actor: actor ?? BOT.actor, pipeline, action: 'dq.missing', subject: period, detail: { source: context.source, runId: context.runId, missing } });
    return undefined;
  }
  const failing = ran.filter((c) => !c.passed).map((c) => deps.protect.checkResult(pipeline, toFailingCheck(c)));
  return recordDqResult(deps, pipeline, period, { ...context, passed: failing.length === 0, total: ran.length, failing }, actor);
}

/** One line per output whose data was missing (`no target data for 2025-01 at …`), each once. */
export function missingOutputs(result: RunChecksResult): string[] {
  return [...new Set(result.checks.flatMap((c) => (c.missing ? [c.missing] : [])))];
}

/**
 * Records one DQ evaluation of a pipeline and period, from whatever ran it (a run, a parallel
 * run, `/pipeline dq`, a notebook via SNS), and sets the thread, the SNS publish and the
 * reminder going for what changed. Idempotent per evaluation only as far as the state machine
 * is: the same failures twice are not news, so a retried job posts nothing new.
 */
export async function recordDqResult(deps: JobDeps, pipelineName: string, period: string, input: Omit<DqResultInput, 'now'>, actor: string = BOT.actor): Promise<DqAlertRecord> {
  const pipeline = deps.catalog.pipelines[pipelineName]!;
  const now = deps.now();
  let outcome: ReturnType<typeof applyDqResult> | undefined;
  // Gate evidence only from Cutover's own checks, or from an inbound topic the catalog trusts for gates.
  const trusted = input.source !== 'sns' || (input.topicArn !== undefined && deps.catalog.alerts.trustedTopics.includes(input.topicArn));
  const latest = { pipeline: pipelineName, period, passed: input.passed, total: input.total, failing: input.failing.length, at: now, source: input.source, runId: input.runId, trusted };
  const alert = await deps.dqAlerts.update(
    emptyDqAlert(pipelineName, period, pipeline.channel, now),
    (cur) => {
      outcome = applyDqResult(cur, { ...input, now });
      return { next: outcome.next, change: { latest, detail: { source: input.source, runId: input.runId, event: outcome.event?.kind } } };
    },
    { actor, action: input.passed ? 'dq.passed' : 'dq.failed' },
  );
  // Nothing to show for a pipeline that has only ever passed this period.
  if (alert.state !== 'passing') await deps.queues.dqThread(pipelineName, period, alert.version);
  const event = outcome?.event;
  if (outcome?.publish && event) {
    const summary =
      outcome.publish === 'dq.recovered'
        ? `DQ recovered: all ${alert.total} checks pass`
        : `DQ failing: ${alert.failing.length} of ${alert.total} checks (${alert.failing.map((f) => `${f.output} ${f.check}`).join(', ')})`;
    await deps.queues.snsPublish(
      { event: outcome.publish, pipeline: pipelineName, period, runId: input.runId, summary, failingChecks: alert.failing.map(({ output, check, failingRows }) => ({ output, check, failingRows })) },
      { kind: 'dq', pipeline: pipelineName, period },
      `sns-dq-${pipelineName}-${period}-${event.seq}`,
    );
  }
  // A DQ result is evidence for the `dqGreen` gate: pending approvals bound to the old one lapse.
  await deps.queues.cutoverRevalidate(pipelineName);
  const remindAfterHours = pipeline.alerts?.remindAfterHours;
  if (remindAfterHours && event && (event.kind === 'opened' || event.kind === 'reopened')) {
    await deps.queues.dqRemind(pipelineName, period, event.seq, 1, remindAfterHours * 3600_000);
  }
  return alert;
}
