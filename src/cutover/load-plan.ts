import type { Catalog } from '../config/catalog-schema.ts';
import type { CutoverStore } from '../store/cutover-store.ts';
import type { DqAlertStore } from '../store/dq-alert-store.ts';
import type { ParallelStore } from '../store/parallel-store.ts';
import { defaultPeriod } from '../commands/parse-command.ts';
import { evaluatePlan } from './evaluate-plan.ts';
import type { PlanEvaluation } from './types.ts';

/** What reading a plan needs: the catalog and the stores holding its evidence. */
export interface PlanSources {
  catalog: Catalog;
  cutover: CutoverStore;
  parallels: ParallelStore;
  dqAlerts: DqAlertStore;
  now: () => number;
}

/** Parallel runs read per plan: enough for any `cleanParallelRuns` gate plus diffs and unfinished runs. */
const PARALLELS_READ = 50;

/**
 * A pipeline's cutover plan evaluated from everything stored now: step records, their latest
 * requests, the parallel runs (newest first) and the latest DQ result. Commands, buttons,
 * jobs and App Home all read plans through this one function.
 */
export async function loadPlan(src: PlanSources, pipeline: string): Promise<PlanEvaluation> {
  const config = src.catalog.pipelines[pipeline]!;
  const ids = config.cutover?.steps.map((s) => s.id) ?? [];
  const now = src.now();
  const latestPeriod = defaultPeriod(now);
  const [steps, parallels, dq, newest] = await Promise.all([
    src.cutover.getSteps(pipeline, ids),
    src.parallels.listByPipeline(pipeline, PARALLELS_READ),
    src.dqAlerts.evidence(pipeline, latestPeriod),
    src.dqAlerts.latest(pipeline),
  ]);
  const requestIds = Object.values(steps).flatMap((s) => (s?.requestId ? [s.requestId] : []));
  const requests = (await Promise.all(requestIds.map((id) => src.cutover.getRequest(id)))).filter((r) => r !== undefined);
  return evaluatePlan({
    pipeline,
    config,
    defaultApprovers: src.catalog.permissions.approve,
    steps,
    requests,
    parallels,
    // Identified by period: re-running the same checks with the same outcome is no new evidence.
    dq: dq ? { passed: dq.passed, at: dq.at, id: dq.period, period: dq.period, source: dq.source, trusted: true } : undefined,
    dqNewest: newest ? { passed: newest.passed, at: newest.at, period: newest.period, source: newest.source, trusted: newest.trusted ?? newest.source !== 'sns' } : undefined,
    latestPeriod,
    now,
  });
}
