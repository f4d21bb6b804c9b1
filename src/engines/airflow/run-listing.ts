import type { Redis } from 'ioredis';
import { ApiError } from '../../errors.ts';
import { PollListing, type Listed } from '../poll-listing.ts';
import { isTerminal } from '../types.ts';
import type { AirflowClient, DagRun, TaskInstance } from './client.ts';
import { mapDagRunState } from './map-state.ts';

/** Pages of 100 DAG runs: 1000 active runs of one DAG. */
const MAX_PAGES = 10;
/** Run ids per task-instance request, so one body stays small whatever the DAG's backlog. */
const RUN_IDS_PER_REQUEST = 100;

/**
 * One active DAG run as stored in Redis, with its task instances: ids, states, times and try
 * numbers only. No `conf` (it holds the run's parameters) and no `note` (free text), per issue 14
 * finding 8; the run's own read (`getDagRun`) gives them once it has ended.
 */
export interface ListedDagRun {
  run: Pick<DagRun, 'dag_id' | 'dag_run_id' | 'state' | 'start_date' | 'end_date'>;
  /** Absent when the Airflow refused the batch request (before 2.7.1): the poll reads the run's own. */
  tasks?: TaskInstance[];
}

/**
 * Batched polling of Airflow DAG runs (issue 17): the active runs of one DAG are read together,
 * `GET /dags/{dag_id}/dagRuns?state=queued&state=running`, then their task instances in one batch
 * request (`POST /dags/~/dagRuns/~/taskInstances/list` with `dag_run_ids`), shared by all workers
 * through Redis (src/engines/poll-listing.ts). A run that is not in the listing has ended (or
 * was triggered after it): the caller reads it on its own as before, which is also where its
 * final state, failed tasks and their logs come from. Groups are DAG ids, items DAG run ids.
 */
export type AirflowRunListing = PollListing<ListedDagRun>;

export function airflowRunListing(opts: { redis: Redis; prefix: string; client: AirflowClient; freshMs: number; now?: () => number }): AirflowRunListing {
  const { client } = opts;
  const batch = { refused: false };
  return new PollListing<ListedDagRun>({ ...opts, engine: 'airflow', list: (dagId, signal) => list(client, dagId, batch, signal) });
}

async function list(client: AirflowClient, dagId: string, batch: { refused: boolean }, signal?: AbortSignal): Promise<Listed<ListedDagRun>> {
  const { runs, truncated } = await client.listDagRuns(dagId, ['queued', 'running'], { maxPages: MAX_PAGES, signal });
  // Ended by the project's own reading of DAG run states, whatever the filter let through.
  const active = runs.filter((r) => !isTerminal(mapDagRunState(r.state)));
  const items: Record<string, ListedDagRun> = {};
  for (const r of active) {
    items[r.dag_run_id] = { run: { dag_id: r.dag_id, dag_run_id: r.dag_run_id, state: r.state, start_date: r.start_date, end_date: r.end_date } };
  }
  if (batch.refused) return { items, truncated };
  // Run first, then tasks: the task list is never older than the run state it explains.
  const tasks = new Map<string, TaskInstance[]>(active.map((r) => [r.dag_run_id, []]));
  try {
    for (let i = 0; i < active.length; i += RUN_IDS_PER_REQUEST) {
      const ids = active.slice(i, i + RUN_IDS_PER_REQUEST).map((r) => r.dag_run_id);
      for (const ti of await client.listTaskInstancesOfRuns(dagId, ids, signal)) {
        const { task_id, map_index, state, start_date, end_date, try_number } = ti;
        tasks.get(ti.dag_run_id)?.push({ task_id, map_index, state, start_date, end_date, try_number });
      }
    }
  } catch (err) {
    // Airflow 2 before 2.7.1 has no `dag_run_ids` and refuses the field (400). Its runs are still
    // listed together; each poll reads its own run's tasks, and this process stops asking.
    if (!(err instanceof ApiError) || ![400, 404, 405, 422].includes(err.statusCode ?? 0)) throw err;
    batch.refused = true;
    return { items, truncated };
  }
  for (const [id, list] of tasks) items[id]!.tasks = list;
  return { items, truncated };
}
