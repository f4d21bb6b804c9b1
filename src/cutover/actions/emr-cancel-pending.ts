import { CancelStepsCommand, ListStepsCommand, type EMRClient, type StepSummary } from '@aws-sdk/client-emr';
import { ConfigError, InvalidStateError } from '../../errors.ts';
import { runIdOfEmrStep } from '../../engines/emr/engine.ts';
import { toAwsApiError } from '../../engines/emr/to-api-error.ts';
import { productionConfig, type ActionContext, type ActionResult } from './context.ts';

/** ListSteps pages (50 steps each) read at most: a cluster never has thousands of PENDING steps. */
const MAX_PAGES = 20;
/** Step ids per CancelSteps call. */
const BATCH = 50;

/**
 * `emr.cancelPending`: cancels the PENDING steps of this pipeline's legacy job on its cluster,
 * so the old engine does not run again after the switch. Only steps named like the catalog's
 * `legacy.step.name` (as a scheduler submits it) or exactly `cutover-<run>-<name>` for a run of
 * this pipeline (as Cutover does) are cancelled: legacy clusters are often shared, and other
 * jobs' steps, other pipelines' Cutover runs included, are not ours to stop.
 */
export async function cancelPendingEmrSteps(ctx: ActionContext): Promise<ActionResult> {
  // The production cluster and step: `environments.prod.legacy` over `legacy:`.
  const legacy = ctx.config.legacy ? productionConfig(ctx, 'legacy') : undefined;
  if (legacy?.engine !== 'emr') {
    throw new ConfigError(`cutover step ${ctx.step}`, [`emr.cancelPending: ${ctx.pipeline}'s legacy engine is ${legacy?.engine ?? 'not set'}, not emr`]);
  }
  if (!ctx.emr) throw new ConfigError(`cutover step ${ctx.step}`, ['emr.cancelPending: no EMR client is configured (AWS_REGION)']);
  const { clusterId } = legacy;
  const pending = await listPending(ctx.emr, clusterId, ctx.signal);
  const ours: StepSummary[] = [];
  for (const s of pending) if (await isStepOf(s.Name ?? '', legacy.step.name, ctx)) ours.push(s);
  const others = pending.length - ours.length;
  const leftAlone = others > 0 ? `; left ${others} pending step${others === 1 ? '' : 's'} of other jobs alone` : '';
  if (ours.length === 0) {
    return { action: 'emr.cancelPending', changed: false, text: `no pending EMR steps of ${legacy.step.name} on ${clusterId}${leftAlone}` };
  }
  const failed: string[] = [];
  for (let i = 0; i < ours.length; i += BATCH) {
    const ids = ours.slice(i, i + BATCH).map((s) => s.Id!);
    const out = await send('CancelSteps', ctx.signal, () =>
      ctx.emr!.send(new CancelStepsCommand({ ClusterId: clusterId, StepIds: ids, StepCancellationOption: 'SEND_INTERRUPT' }), { abortSignal: ctx.signal }),
    );
    for (const info of out.CancelStepsInfoList ?? []) {
      if (info.Status === 'FAILED') failed.push(`${info.StepId}: ${info.Reason ?? 'no reason given'}`);
    }
  }
  if (failed.length > 0) throw new InvalidStateError(`EMR could not cancel ${failed.length} step(s) on ${clusterId}: ${failed.join('; ')}`);
  const n = ours.length;
  return { action: 'emr.cancelPending', changed: true, text: `cancelled ${n} pending EMR step${n === 1 ? '' : 's'} of ${legacy.step.name} on ${clusterId}${leftAlone}` };
}

/** `incites`, or Cutover's own `cutover-<runId>-incites` where the run is one of this pipeline's. */
async function isStepOf(name: string, stepName: string, ctx: ActionContext): Promise<boolean> {
  if (name === stepName) return true;
  const runId = runIdOfEmrStep(name, stepName);
  if (runId === undefined) return false;
  if (!ctx.runs) throw new ConfigError(`cutover step ${ctx.step}`, ['emr.cancelPending: no run store was given to tell this pipeline’s runs']);
  return (await ctx.runs.get(runId))?.pipeline === ctx.pipeline;
}

async function listPending(client: EMRClient, clusterId: string, signal?: AbortSignal): Promise<StepSummary[]> {
  const steps: StepSummary[] = [];
  let marker: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await send('ListSteps', signal, () =>
      client.send(new ListStepsCommand({ ClusterId: clusterId, StepStates: ['PENDING'], Marker: marker }), { abortSignal: signal }),
    );
    // The filter is asked of EMR, and checked again so a step that moved on is never cancelled.
    steps.push(...(out.Steps ?? []).filter((s) => s.Status?.State === 'PENDING' && s.Id));
    marker = out.Marker;
    if (!marker) break;
  }
  return steps;
}

async function send<T>(operation: string, signal: AbortSignal | undefined, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toAwsApiError(err, 'emr', operation, signal);
  }
}
