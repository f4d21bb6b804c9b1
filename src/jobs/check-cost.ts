import type { Job } from 'bullmq';
import { costMethodOf } from '../cost/measure-cost.ts';
import { sameCost, toRunCost, type CostMeasurement, type CostMethod, type MeasureCost, type RunCost } from '../cost/types.ts';
import { ApiError, asCodedError, QueryError } from '../errors.ts';
import type { RunRecord } from '../store/run-record.ts';
import { BOT, type JobDeps } from './job-deps.ts';

export interface CheckCostJob {
  runId: string;
  /** The run's repair count when it ended: a repaired run is measured again. */
  epoch: number;
  /** 0 for the first look, then one more per retry while the figure is pending. */
  attempt: number;
  /** The one re-check a day after the run, for billing rows that came in after the first figure. */
  settle?: boolean;
}

/** Retries are at most this far apart, however long the first delay doubles. */
const MAX_RETRY_GAP_MS = 6 * 3600_000;
/** A figure found sooner than this after the run ends is looked at once more then. */
const SETTLE_AFTER_MS = 24 * 3600_000;

/**
 * Measures an ended run's cost (src/cost/) and records it on the run, which audits it as
 * `run.cost` and re-renders the parallel run's message. Billing data arrives hours after a run:
 * while it is missing the cost is `pending` and this job is enqueued again with a doubling delay
 * (`config.cost.retryMs` first), until `config.cost.waitMs` after the run's end, when it becomes
 * `unknown`. An outage throws, so BullMQ retries the same attempt with backoff; a refusal that
 * will not pass by itself (no access to the billing tables, an IAM policy without Cost Explorer,
 * a 404) is an answer: the cost is `unknown` with the source's words, said once like any other.
 */
export async function checkCost(deps: JobDeps, job: Job<CheckCostJob>, signal?: AbortSignal): Promise<void> {
  const { runId, epoch, attempt, settle } = job.data;
  const run = await deps.runs.get(runId);
  if (!run || run.repairs !== epoch || !deps.measureCost) return;
  const prior = run.cost;
  if (!settle && prior && prior.epoch === epoch && prior.status !== 'pending') return; // settled by an earlier job
  const { m, sameReason } = await measureOrRefusal(deps.measureCost, run, costMethodOf(deps.catalog, run), signal);
  const now = deps.now();
  const ended = run.endedAt ?? run.updatedAt;
  let cost: RunCost = toRunCost(m, epoch, now);
  if (settle && cost.status !== 'known') return; // the first figure stands
  const giveUp = ended + deps.costTiming.waitMs;
  if (cost.status === 'pending' && now >= giveUp) {
    cost = { ...cost, status: 'unknown', reason: `${cost.reason}; Cutover stopped looking ${formatHours(deps.costTiming.waitMs)} after the run` };
  }
  if (cost.status === 'unknown') warnOnce(deps, `${run.pipeline}:${cost.method ?? run.engine}:${sameReason ?? cost.reason}`, { pipeline: run.pipeline, run: run.id, reason: cost.reason }, 'a run cost cannot be known');

  if (!sameCost(prior, cost)) {
    await deps.runs.update(run.id, (r) => (r.repairs === epoch ? { ...r, cost } : undefined), { ...BOT, action: 'run.cost' });
    if (run.parallelId) await deps.queues.parallelStatus(run.parallelId);
    else await deps.queues.status(run.id);
  }
  if (cost.status === 'pending') {
    const delay = Math.min(deps.costTiming.retryMs * 2 ** attempt, MAX_RETRY_GAP_MS, Math.max(0, giveUp - now));
    await deps.queues.costCheck({ runId, epoch, attempt: attempt + 1 }, delay);
  } else if (cost.status === 'known' && !settle && now - ended < SETTLE_AFTER_MS && deps.costTiming.waitMs >= SETTLE_AFTER_MS) {
    await deps.queues.costCheck({ runId, epoch, attempt: attempt + 1, settle: true }, ended + SETTLE_AFTER_MS - now);
  }
}

/**
 * The measurement, or `unknown` with the source's words and the source (`method`, from the catalog:
 * the error does not say which source threw it) when it refuses for good; outages rethrow.
 * `sameReason` keys a refusal by its error code, not its words, which name a statement or request id.
 */
async function measureOrRefusal(measure: MeasureCost, run: RunRecord, method: CostMethod | undefined, signal?: AbortSignal): Promise<{ m: CostMeasurement; sameReason?: string }> {
  try {
    return { m: await measure(run, signal) };
  } catch (err) {
    const coded = asCodedError(err);
    if (coded.retryable || signal?.aborted) throw err;
    const detail = coded instanceof ApiError ? coded.apiCode : coded instanceof QueryError ? coded.kind : undefined;
    return { m: { kind: 'unknown', ...(method ? { method } : {}), reason: coded.message }, sameReason: `${coded.code}:${detail ?? coded.message}` };
  }
}

const warned = new Set<string>();
/** "Say why once": a cost that cannot be known is logged once per pipeline, source and reason, not per run. */
function warnOnce(deps: JobDeps, key: string, fields: Record<string, unknown>, msg: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  deps.logger.warn(fields, msg);
}

function formatHours(ms: number): string {
  const h = ms / 3600_000;
  return h >= 1 ? `${Number(h.toFixed(1))} h` : `${Math.round(ms / 1000)} s`;
}
