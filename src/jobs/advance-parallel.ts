import type { Job } from 'bullmq';
import { isTerminal } from '../engines/types.ts';
import { BOT, type JobDeps } from './job-deps.ts';

/**
 * Runs when either run of a parallel run ends. Once both have, the parallel run moves on:
 * to the diffs when both succeeded, or straight to a `failed` verdict otherwise (outputs of a
 * failed run say nothing about the migration). Idempotent: the state moves only once.
 */
export async function advanceParallel(deps: JobDeps, job: Job<{ parallelId: string }>): Promise<void> {
  const { parallels, runs, queues } = deps;
  const p = await parallels.require(job.data.parallelId);
  if (p.state !== 'running' || !p.legacyRunId || !p.targetRunId) return;
  const [legacy, target] = await Promise.all([runs.get(p.legacyRunId), runs.get(p.targetRunId)]);
  if (!legacy || !target || !isTerminal(legacy.state) || !isTerminal(target.state)) return;

  const failed = [legacy, target].filter((r) => r.state !== 'succeeded');
  const next = await parallels.update(
    p.id,
    (cur) => {
      if (cur.state !== 'running') return undefined;
      if (failed.length === 0) return { ...cur, state: 'diffing' };
      const reason = failed.map((r) => `the ${r.side === 'legacy' ? 'legacy' : 'Databricks'} run ${r.state}`).join(' and ');
      return { ...cur, state: 'done', verdict: 'failed', verdictReason: reason, endedAt: deps.now() };
    },
    { ...BOT, action: 'parallel.state' },
  );
  if (next.state === 'diffing') await queues.diffParallel(p.id);
  await queues.parallelStatus(p.id, { immediate: true });
  if (next.state === 'done') await queues.cutoverRevalidate(p.pipeline);
}
