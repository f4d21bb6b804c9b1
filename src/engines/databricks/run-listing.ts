import type { Redis } from 'ioredis';
import { isTerminal } from '../types.ts';
import type { DatabricksClient } from './client.ts';
import { mapRunState } from './map-state.ts';
import type { Run } from './types.ts';

/** One job's active runs as one `runs/list` saw them; shared by every worker through Redis. */
interface Listing {
  at: number;
  runs: Record<string, Run>;
  /** More pages existed than we read: a run missing from `runs` may still be active. */
  truncated: boolean;
}

const MAX_PAGES = 40; // 1000 active runs of one job

/**
 * Batched polling (issue 17): the runs of one Databricks job are read together with
 * `runs/list?job_id=…&active_only=true&expand_tasks=true`, once per `freshMs` for all workers.
 * The first poll of a round lists (under a short Redis lock), the others read its result.
 * A run that is not in the listing has ended (or began after it): the caller reads it with
 * `runs/get`, which is also where its final state, tasks and repair history come from.
 */
export class DatabricksRunListing {
  constructor(
    private readonly opts: { redis: Redis; prefix: string; client: Pick<DatabricksClient, 'listRuns'>; freshMs: number },
  ) {}

  /** The run as the job's latest listing shows it, or undefined when it is not active there. */
  async activeRun(jobId: number, runId: number, signal?: AbortSignal): Promise<Run | undefined> {
    const listing = await this.#listing(jobId, signal);
    return listing.runs[String(runId)];
  }

  async #listing(jobId: number, signal?: AbortSignal): Promise<Listing> {
    const { redis, prefix, freshMs } = this.opts;
    const key = `${prefix}:pollbatch:databricks:${jobId}`;
    const lock = `${key}:lock`;
    const deadline = Date.now() + 5000;
    for (;;) {
      const cached = await readListing(redis, key);
      if (cached && Date.now() - cached.at < freshMs) return cached;
      if (await redis.set(lock, '1', 'PX', 10_000, 'NX')) {
        try {
          const listing = await this.#list(jobId, signal);
          await redis.set(key, JSON.stringify(listing), 'PX', Math.max(freshMs * 4, 60_000));
          return listing;
        } finally {
          await redis.del(lock);
        }
      }
      // Another worker is listing this job right now: use its answer.
      if (Date.now() > deadline) return this.#list(jobId, signal);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async #list(jobId: number, signal?: AbortSignal): Promise<Listing> {
    const runs: Record<string, Run> = {};
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await this.opts.client.listRuns({ jobId, activeOnly: true, expandTasks: true, pageToken }, signal);
      // A run whose tasks did not all fit (`has_more`) is left out: runs/get reads it whole. So
      // is an ended one (its final state, failure texts included, comes from runs/get).
      for (const run of res.runs ?? []) if (!run.has_more && !ended(run)) runs[String(run.run_id)] = withoutTexts(run);
      pageToken = res.has_more ? res.next_page_token : undefined;
      if (!pageToken) return { at: Date.now(), runs, truncated: false };
    }
    return { at: Date.now(), runs, truncated: true };
  }
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

async function readListing(redis: Redis, key: string): Promise<Listing | undefined> {
  const json = await redis.get(key);
  return json ? (JSON.parse(json) as Listing) : undefined;
}
