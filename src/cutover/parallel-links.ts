import type { ParallelStore } from '../store/parallel-store.ts';
import type { PlanEvaluation } from './types.ts';

/** Gives a message's permalink, or undefined when Slack will not (never worth failing a reply for). */
export type Permalink = (channel: string, ts: string) => Promise<string | undefined>;

/**
 * Links to the messages of the parallel runs a plan counts as gate evidence, by parallel id,
 * so the plan and the approval request link each run that counts.
 */
export async function parallelLinks(plan: PlanEvaluation, parallels: ParallelStore, permalink: Permalink): Promise<Record<string, string>> {
  const ids = [...new Set(plan.steps.flatMap((s) => s.gates.flatMap((g) => (g.gate === 'cleanParallelRuns' ? g.runs.map((r) => r.id) : []))))];
  const links = await Promise.all(
    ids.map(async (id) => {
      const p = await parallels.get(id);
      return [id, p?.message ? await permalink(p.message.channel, p.message.ts) : undefined] as const;
    }),
  );
  return Object.fromEntries(links.filter((l): l is readonly [string, string] => l[1] !== undefined));
}
