import { DelayedError, type Job } from 'bullmq';
import { currentVersionOf } from '../cutover/evaluate-plan.ts';
import { loadPlan } from '../cutover/load-plan.ts';
import { parallelLinks } from '../cutover/parallel-links.ts';
import { permalinkOf } from './notify-dq.ts';
import type { Pipeline } from '../config/catalog-schema.ts';
import { buildApprovalRequest, type RequestOutcome } from '../slack/build-approval-request.ts';
import type { CutoverRequest } from '../store/cutover-record.ts';
import { buildExecutionProgress } from '../slack/build-cutover-progress.ts';
import type { JobDeps } from './job-deps.ts';
import { renderInSlot, withSlotLock } from './message-slot.ts';
import { postOnce } from './post-once.ts';
import { toSlackJobError } from './slack-errors.ts';
import { approvedActions } from './execute-cutover-step.ts';

/**
 * Posts a cutover request's message (Approve / Reject) in the pipeline channel, or edits it to
 * the request's current state: approvals so far, or decided / expired / void without buttons.
 * Every render reads the request fresh, so edits are idempotent; the first post is under a
 * lock so a retried job never posts the request twice.
 */
export async function notifyCutoverRequest(deps: JobDeps, job: Job<{ requestId: string }>, token: string | undefined): Promise<void> {
  const locked = await withSlotLock(deps, `cutover-${job.data.requestId}`, `${job.id}:${token ?? ''}`, async () => {
    const request = await deps.cutover.requireRequest(job.data.requestId);
    const config = deps.catalog.pipelines[request.pipeline];
    const plan = config ? await loadPlan(deps, request.pipeline) : undefined;
    const links = plan && request.state === 'pending' ? await parallelLinks(plan, deps.parallels, (channel, ts) => permalinkOf(deps, channel, ts)) : {};
    const outcome = await outcomeOf(deps, request, config);
    const view = buildApprovalRequest(request, deps.now(), { step: plan?.steps.find((s) => s.id === request.step), config, parallelLinks: links, outcome });
    try {
      if (!request.message) {
        await postOnce(deps, `cutover-${request.id}`, { channel: config?.channel ?? '', text: view.text, blocks: view.blocks }, (ref) => deps.cutover.setRequestMessage(request.id, ref));
      } else {
        await deps.slack.chat.update({ channel: request.message.channel, ts: request.message.ts, text: view.text, blocks: view.blocks });
      }
    } catch (err) {
      throw toSlackJobError(err);
    }
  });
  // Another job is rendering it: come back shortly (it may have rendered an older state).
  if (locked) return;
  if (!token) throw new Error('request message is being rendered by another job; retrying');
  await job.moveToDelayed(deps.now() + 300, token);
  throw new DelayedError();
}

/**
 * What became of an approved request: its execution (from the progress record the execute job
 * writes), or `superseded` when the step now belongs to a newer request and this one never ran.
 */
async function outcomeOf(deps: JobDeps, request: CutoverRequest, config: Pipeline | undefined): Promise<RequestOutcome | undefined> {
  if (request.state !== 'approved') return undefined;
  const exec = await deps.cutoverExec.get(request.id);
  if (exec) return { kind: 'execution', state: exec.state, done: exec.done, total: approvedActions(request, config).length, error: exec.error };
  const step = await deps.cutover.getStep(request.pipeline, request.step);
  return step?.requestId && step.requestId !== request.id ? { kind: 'superseded', by: step.requestId } : undefined;
}

/**
 * The execution's progress, one message in the request's thread edited as each action ends
 * (the same slot rules as status messages: one poster, coalesced edits, last state lands).
 */
export async function notifyCutoverProgress(deps: JobDeps, job: Job<{ requestId: string }>, token: string | undefined): Promise<void> {
  const { requestId } = job.data;
  await renderInSlot(deps, job, token, `cutover-exec-${requestId}`, {
    posted: async () => Boolean(await deps.cutoverExec.message(requestId)),
    render: async () => {
      const [exec, request] = await Promise.all([deps.cutoverExec.get(requestId), deps.cutover.getRequest(requestId)]);
      if (!exec || !request?.message) return undefined;
      const config = deps.catalog.pipelines[request.pipeline];
      const view = buildExecutionProgress({
        pipeline: request.pipeline,
        step: request.step,
        kind: request.kind,
        state: exec.state,
        actions: approvedActions(request, config),
        lines: exec.lines,
        approvedBy: request.approvals.map((a) => a.user),
        requestId,
        error: exec.error,
        config,
      });
      try {
        const ref = await deps.cutoverExec.message(requestId);
        if (!ref) {
          const where = { channel: request.message.channel, thread_ts: request.message.ts };
          await postOnce(deps, `cutover-exec-${requestId}`, { ...where, text: view.text, blocks: view.blocks }, (ref) => deps.cutoverExec.setMessage(requestId, ref));
        } else {
          await deps.slack.chat.update({ channel: ref.channel, ts: ref.ts, text: view.text, blocks: view.blocks });
        }
      } catch (err) {
        throw toSlackJobError(err);
      }
      return exec.version;
    },
    latestVersion: async () => (await deps.cutoverExec.get(requestId))?.version,
    again: async () => deps.queues.cutoverProgress(requestId, ((await deps.cutoverExec.get(requestId))?.version ?? 0) + 1),
  });
}

/** A request's expiry time came: mark it (and any other due) expired, and take their buttons away. */
export async function expireCutoverRequests(deps: JobDeps): Promise<void> {
  for (const r of await deps.cutover.expireDue()) await deps.queues.cutoverMessage(r.id);
}

/**
 * The evidence of a pipeline changed (a parallel verdict, a DQ result, a step done) or the app
 * started with another catalog: pending requests bound to a plan version that no longer holds
 * are voided, and their messages say so.
 */
export async function revalidateCutover(deps: JobDeps, job: Job<{ pipeline: string }>): Promise<void> {
  const { pipeline } = job.data;
  if (!deps.catalog.pipelines[pipeline]?.cutover) return;
  const pending = await deps.cutover.pendingRequests(pipeline);
  if (pending.length === 0) return;
  const plan = await loadPlan(deps, pipeline);
  for (const r of pending) {
    const { outcome } = await deps.cutover.voidIfStale(r.id, currentVersionOf(plan, r), { actor: 'cutover' });
    if (outcome === 'void') await deps.queues.cutoverMessage(r.id);
  }
}
