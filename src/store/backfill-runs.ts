import type { BackfillRecord } from './backfill-record.ts';
import type { RunRecord } from './run-record.ts';
import type { RunStore } from './run-store.ts';

/** Every run a backfill started (earlier attempts included), by id: what its message shows. */
export async function loadBackfillRuns(runs: Pick<RunStore, 'get'>, b: BackfillRecord): Promise<Map<string, RunRecord>> {
  const ids = b.periods.flatMap((p) => [...p.earlierRunIds, ...(p.runId ? [p.runId] : [])]);
  const found = await Promise.all(ids.map((runId) => runs.get(runId)));
  return new Map(found.flatMap((r) => (r ? [[r.id, r] as const] : [])));
}
