import { UnrecoverableError, type Job } from 'bullmq';
import type { Pipeline } from '../config/catalog-schema.ts';
import { executeActions, type ActionContext } from '../cutover/actions/index.ts';
import { currentVersionOf } from '../cutover/evaluate-plan.ts';
import { loadPlan } from '../cutover/load-plan.ts';
import { asCodedError, InvalidStateError } from '../errors.ts';
import type { CutoverExecution } from '../store/cutover-exec-store.ts';
import type { CutoverRequest } from '../store/cutover-record.ts';
import { BOT, type JobDeps } from './job-deps.ts';

/**
 * Runs the actions of an approved request in order: the snapshot the request took of the step's
 * `actions` (or `rollback`) when it was made, which is what the approvers saw, never what the
 * catalog says later. Before each action the plan version is checked again; if the plan changed
 * since the approval (catalog, approvers or evidence), the execution stops there and the step
 * fails, saying so. The step moves `approved → executing → done | rolled_back | failed`, each move
 * audited by the store. Each finished action is recorded by its position in the snapshot, so a
 * retry (after an outage or a crash) resumes with the next one; a transient API error is retried
 * by BullMQ; a permanent one stops the step as `failed` with the error, and the actions before
 * it stay done.
 */
export async function executeCutoverStep(deps: JobDeps, job: Job<{ requestId: string }>, signal?: AbortSignal): Promise<void> {
  const { cutover, cutoverExec } = deps;
  const request = await cutover.requireRequest(job.data.requestId);
  if (request.state !== 'approved') return;
  const who = { actor: BOT.actor, action: 'cutover.step' };
  const record = await cutover.getStep(request.pipeline, request.step);
  if (record?.requestId !== request.id) {
    // A newer request owns the step: this one never runs, and its message says it was superseded.
    await deps.queues.cutoverMessage(request.id);
    return;
  }
  if (record.state === 'approved') {
    const moved = await cutover.setStepState(request.pipeline, request.step, ['approved'], 'executing', who, { requestId: request.id, kind: request.kind });
    if (!moved.ok && moved.state !== 'executing') return;
    // The request's message loses its buttons even if the approver's click died before asking for it.
    await deps.queues.cutoverMessage(request.id);
  } else if (record.state !== 'executing') {
    // Finished before a restart: the request's message may not have heard yet (an idempotent re-render).
    await deps.queues.cutoverMessage(request.id);
    return;
  }

  const config = deps.catalog.pipelines[request.pipeline];
  const actions = approvedActions(request, config);
  let exec: CutoverExecution = (await cutoverExec.get(request.id)) ?? { requestId: request.id, state: 'executing', lines: [], done: 0, version: 0 };
  const show = async (next: CutoverExecution) => {
    exec = await cutoverExec.save(next);
    await deps.queues.cutoverProgress(request.id, exec.version);
  };
  await show(exec);
  try {
    if (!config) throw new InvalidStateError(`${request.pipeline} is no longer in the catalog, so its step ${request.step} was not executed`);
    await executeActions(actions, actionContext(deps, request, config, signal), {
      from: exec.done,
      beforeEach: (index) => assertPlanUnchanged(deps, request, index, actions.length),
      onProgress: async (p) => {
        const lines = [...exec.lines];
        if (p.status === 'running') lines[p.index] = { status: 'running' };
        if (p.status === 'done') lines[p.index] = { status: 'done', text: p.result.text };
        if (p.status === 'done') await show({ ...exec, lines, done: p.index + 1 });
        else if (p.status === 'running') await show({ ...exec, lines });
      },
    });
  } catch (err) {
    const coded = asCodedError(err);
    if (coded.retryable && !signal?.aborted) {
      const lines = [...exec.lines];
      lines[exec.done] = { status: 'running', text: `retrying: ${coded.message}` };
      await show({ ...exec, lines });
      throw coded;
    }
    const error = { code: coded.code, message: coded.message };
    const lines = [...exec.lines];
    lines[exec.done] = { status: 'failed', text: coded.message };
    await cutover.setStepState(request.pipeline, request.step, ['executing'], 'failed', who, { requestId: request.id, kind: request.kind, failedAction: exec.done }, { error: { code: coded.code, message: coded.message } });
    await show({ ...exec, lines, state: 'failed', error });
    // The request's own message says it failed, not "executes now" (issue 15 item 4).
    await deps.queues.cutoverMessage(request.id);
    throw new UnrecoverableError(coded.message);
  }
  const final = request.kind === 'execute' ? 'done' : 'rolled_back';
  await cutover.setStepState(request.pipeline, request.step, ['executing'], final, who, { requestId: request.id, kind: request.kind });
  await show({ ...exec, state: final });
  await deps.queues.cutoverMessage(request.id);
  await deps.queues.cutoverRevalidate(request.pipeline);
}

/**
 * What the approvers approved: the request's snapshot. Requests made before snapshots existed
 * fall back to the catalog's actions, which the plan version check vouches for.
 */
export function approvedActions(request: CutoverRequest, config: Pipeline | undefined): NonNullable<CutoverRequest['actions']> {
  if (request.actions) return request.actions;
  const step = config?.cutover?.steps.find((s) => s.id === request.step);
  return (request.kind === 'execute' ? step?.actions : step?.rollback) ?? [];
}

/** Stops the execution (permanently) when the plan is no longer the version that was approved. */
async function assertPlanUnchanged(deps: JobDeps, request: CutoverRequest, index: number, total: number): Promise<void> {
  const now = currentVersionOf(await loadPlan(deps, request.pipeline), request);
  if (now === request.planVersion) return;
  const ran = index === 0 ? 'nothing ran' : `the ${index} before it ran`;
  throw new InvalidStateError(
    `the plan of step ${request.step} changed after it was approved (version ${request.planVersion}, now ${now}), so Cutover stopped before action ${index + 1} of ${total} (${ran}); request it again to approve the plan as it is now`,
  );
}

function actionContext(deps: JobDeps, request: CutoverRequest, config: Pipeline, signal?: AbortSignal): ActionContext {
  return {
    pipeline: request.pipeline,
    step: request.step,
    config,
    actor: request.requestedBy,
    databricks: deps.clients?.databricks,
    airflow: deps.clients?.airflow,
    emr: deps.clients?.emr,
    scheduler: deps.clients?.scheduler,
    eventbridge: deps.clients?.eventbridge,
    stages: deps.stages,
    runs: deps.runs,
    publish: deps.publishAlert
      ? async (e) => {
          await deps.queues.snsPublish({ event: `cutover.${e.event.replace(/^cutover\./, '')}`, pipeline: e.pipeline, summary: e.subject, detail: { step: e.step, requestId: request.id, ...e.detail } }, { kind: 'none' }, `sns-cutover-${request.id}-${e.event.replace(/[^\w.-]/g, '-')}`);
        }
      : undefined,
    detail: { requestId: request.id, kind: request.kind, approvedBy: request.approvals.map((a) => a.user) },
    signal,
  };
}
