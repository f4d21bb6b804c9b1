import { UnrecoverableError, type Job } from 'bullmq';
import { executeActions, type ActionContext } from '../cutover/actions/index.ts';
import { asCodedError } from '../errors.ts';
import type { CutoverExecution } from '../store/cutover-exec-store.ts';
import { BOT, type JobDeps } from './job-deps.ts';

/**
 * Runs the actions of an approved request in order (the step's `actions`, or its `rollback`).
 * The step moves `approved → executing → done | rolled_back | failed`, each move audited by the
 * store. Each finished action is recorded, so a retry (after an outage or a crash) resumes
 * with the next one; a transient API error is retried by BullMQ; a permanent one stops the
 * step as `failed` with the error, and the actions before it stay done.
 */
export async function executeCutoverStep(deps: JobDeps, job: Job<{ requestId: string }>, signal?: AbortSignal): Promise<void> {
  const { cutover, cutoverExec } = deps;
  const request = await cutover.requireRequest(job.data.requestId);
  if (request.state !== 'approved') return;
  const config = deps.catalog.pipelines[request.pipeline];
  const stepConfig = config?.cutover?.steps.find((s) => s.id === request.step);
  if (!config || !stepConfig) throw new UnrecoverableError(`step ${request.step} of ${request.pipeline} is no longer in the catalog`);
  const who = { actor: BOT.actor, action: 'cutover.step' };
  const record = await cutover.getStep(request.pipeline, request.step);
  if (record?.requestId !== request.id) return; // a newer request owns the step
  if (record.state === 'approved') {
    const moved = await cutover.setStepState(request.pipeline, request.step, ['approved'], 'executing', who, { requestId: request.id, kind: request.kind });
    if (!moved.ok && moved.state !== 'executing') return;
  } else if (record.state !== 'executing') {
    return; // finished before a restart
  }

  const actions = request.kind === 'execute' ? stepConfig.actions : stepConfig.rollback;
  let exec: CutoverExecution = (await cutoverExec.get(request.id)) ?? { requestId: request.id, state: 'executing', lines: [], done: 0, version: 0 };
  const show = async (next: CutoverExecution) => {
    exec = await cutoverExec.save(next);
    await deps.queues.cutoverProgress(request.id, exec.version);
  };
  await show(exec);
  const ctx: ActionContext = {
    pipeline: request.pipeline,
    step: request.step,
    config,
    actor: request.requestedBy,
    databricks: deps.clients?.databricks,
    airflow: deps.clients?.airflow,
    emr: deps.clients?.emr,
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
  try {
    await executeActions(actions, ctx, {
      from: exec.done,
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
    throw new UnrecoverableError(coded.message);
  }
  const final = request.kind === 'execute' ? 'done' : 'rolled_back';
  await cutover.setStepState(request.pipeline, request.step, ['executing'], final, who, { requestId: request.id, kind: request.kind });
  await show({ ...exec, state: final });
  await deps.queues.cutoverRevalidate(request.pipeline);
}
