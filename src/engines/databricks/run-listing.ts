import type { Redis } from 'ioredis';
import { isTerminal } from '../types.ts';
import type { DatabricksClient } from './client.ts';
import { mapRunState } from './map-state.ts';
import type { Run } from './types.ts';
import { PollListing, type Listed } from '../poll-listing.ts';

const MAX_PAGES = 40; // 1000 active runs of one job

/**
 * Batched polling (issue 17): the runs of one Databricks job are read together with
 * `runs/list?job_id=…&active_only=true&expand_tasks=true`, shared by all workers through
 * Redis (src/engines/poll-listing.ts). A run that is not in the listing has ended (or began
 * after it): the caller reads it with `runs/get`, which is also where its final state, tasks
 * and repair history come from. Groups are job ids, items run ids (both as decimal strings).
 */
export type DatabricksRunListing = PollListing<Run>;

export function databricksRunListing(opts: { redis: Redis; prefix: string; client: Pick<DatabricksClient, 'listRuns'>; freshMs: number }): DatabricksRunListing {
  const { client } = opts;
  return new PollListing<Run>({ ...opts, engine: 'databricks', list: (jobId, signal) => list(client, Number(jobId), signal) });
}

async function list(client: Pick<DatabricksClient, 'listRuns'>, jobId: number, signal?: AbortSignal): Promise<Listed<Run>> {
  const items: Record<string, Run> = {};
  let pageToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const res = await client.listRuns({ jobId, activeOnly: true, expandTasks: true, pageToken }, signal);
    // A run whose tasks did not all fit (`has_more`) is left out: runs/get reads it whole. So
    // is an ended one (its final state, failure texts included, comes from runs/get).
    for (const run of res.runs ?? []) if (!run.has_more && !ended(run)) items[String(run.run_id)] = withoutTexts(run);
    pageToken = res.has_more ? res.next_page_token : undefined;
    if (!pageToken) return { items, truncated: false };
  }
  return { items, truncated: true };
}

/** Ended by the project's one reading of Databricks states (v2 `status` or the legacy life cycle). */
function ended(run: Run): boolean {
  return isTerminal(mapRunState(run));
}

/**
 * The listing is stored in Redis before any pipeline's PII policy has seen it (issue 14 finding 8),
 * so it keeps no free text: state and termination messages may quote a row's values. Polls need
 * only the states and task keys from it.
 */
function withoutTexts(run: Run): Run {
  const copy = structuredClone(run);
  for (const x of [copy, ...(copy.tasks ?? [])]) {
    if (x.state) x.state.state_message = '';
    if (x.status?.termination_details) x.status.termination_details.message = '';
    if (x.status?.queue_details) x.status.queue_details.message = '';
  }
  return copy;
}
