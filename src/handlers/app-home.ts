import type { App } from '@slack/bolt';
import type { CommandDeps } from '../commands/command-deps.ts';
import { requestsAwaiting } from '../cutover/awaiting-viewer.ts';
import { resolveApprovers } from '../cutover/evaluate-plan.ts';
import { loadPlan } from '../cutover/load-plan.ts';
import { isTerminal } from '../engines/types.ts';
import { buildHomeView, type HomeApproval, type HomePipeline, type HomeRun } from '../slack/build-home-view.ts';
import type { RunRecord } from '../store/run-record.ts';
import { runElapsed } from '../slack/format.ts';
import { effectiveCost } from '../slack/cost-format.ts';

/**
 * The Home tab is the migration board, rendered each time someone opens it: every pipeline's
 * stage, last legacy and Databricks runs and the speed-up, last parallel verdict, DQ status
 * and cutover progress, and the approvals waiting for the viewer with links to them.
 */
export function registerAppHome(app: App, deps: CommandDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    try {
      const [pipelines, waiting] = await Promise.all([boardRows(deps), waitingFor(deps, event.user)]);
      await client.views.publish({ user_id: event.user, view: buildHomeView(pipelines, waiting, deps.now()) });
    } catch (err) {
      deps.logger.error({ err, user: event.user }, 'could not publish App Home');
    }
  });
}

async function boardRows(deps: CommandDeps): Promise<HomePipeline[]> {
  return Promise.all(
    Object.entries(deps.catalog.pipelines).map(async ([name, config]) => {
      const [stage, runs, parallels, dq] = await Promise.all([deps.stages.get(name), deps.runs.listByPipeline(name, 20), deps.parallels.listByPipeline(name, 1), deps.dqAlerts.latest(name)]);
      const lastOf = (side: RunRecord['side']) => homeRun(runs.find((r) => r.side === side && isTerminal(r.state)));
      const p = parallels[0];
      const [pl, pt] = p?.kind === 'parallel' ? await Promise.all([p.legacyRunId ? deps.runs.get(p.legacyRunId) : undefined, p.targetRunId ? deps.runs.get(p.targetRunId) : undefined]) : [];
      const row: HomePipeline = {
        name,
        stage,
        channel: config.channel,
        lastLegacy: lastOf('legacy'),
        lastTarget: lastOf('target'),
        speedUp: samePeriodSpeedUp(runs, deps.now()),
        lastParallel: p ? { id: p.id, period: p.period, state: p.state, verdict: p.verdict, at: p.endedAt ?? p.createdAt } : undefined,
        dq: dq ? { passed: dq.passed, at: dq.at, period: dq.period } : undefined,
        cost: p?.kind === 'parallel' ? { period: p.period, legacy: effectiveCost(pl), target: effectiveCost(pt) } : undefined,
      };
      if (config.cutover) {
        const plan = await loadPlan(deps, name);
        const next = plan.steps.find((s) => s.state !== 'done');
        row.cutover = { done: plan.steps.filter((s) => s.state === 'done').length, total: plan.steps.length, next: next ? { id: next.id, state: next.state } : undefined };
      }
      return row;
    }),
  );
}

function homeRun(r: RunRecord | undefined): HomeRun | undefined {
  if (!r) return undefined;
  const durationMs = r.startedAt !== undefined && r.endedAt !== undefined ? runElapsed(r, r.endedAt) : undefined;
  return { engine: r.engine, state: r.state, durationMs, at: r.endedAt ?? r.createdAt, url: r.url };
}

/**
 * The newest period with a succeeded run on each side (runs newest first), and their run
 * times. Runs of different months process different data, so they are never compared.
 */
export function samePeriodSpeedUp(runs: readonly RunRecord[], now: number): HomePipeline['speedUp'] {
  const done = runs.filter((r) => r.state === 'succeeded');
  for (const target of done.filter((r) => r.side === 'target')) {
    const legacy = done.find((r) => r.side === 'legacy' && r.period === target.period);
    if (legacy) return { period: target.period, legacyMs: runElapsed(legacy, now), targetMs: runElapsed(target, now) };
  }
  return undefined;
}

async function waitingFor(deps: CommandDeps, viewer: string): Promise<HomeApproval[]> {
  const pending = await deps.cutover.pendingRequestsAll();
  const mine = await requestsAwaiting(
    pending,
    viewer,
    (r) => {
      const config = deps.catalog.pipelines[r.pipeline];
      return config ? deps.permissions.includes(resolveApprovers(config, deps.catalog.permissions.approve).users, viewer) : false;
    },
    deps.now(),
  );
  return Promise.all(
    mine.map(async (request) => {
      if (!request.message) return { request };
      return { request, url: await deps.permalink(request.message.channel, request.message.ts) };
    }),
  );
}
