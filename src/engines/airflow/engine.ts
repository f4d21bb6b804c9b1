import { ApiError, ConfigError, NotFoundError } from '../../errors.ts';
import type { Engine, EngineRunStatus, SubmitRequest, SubmitResult, TaskFailure, TaskStatus } from '../types.ts';
import type { AirflowClient, DagRun, TaskInstance } from './client.ts';
import { errorLine } from './log-lines.ts';
import { mapDagRunState, mapTaskState } from './map-state.ts';
import type { AirflowRunListing, ListedDagRun } from './run-listing.ts';

export interface AirflowEngineOptions {
  client: AirflowClient;
  /** Lines of each failed task's log kept for the alert thread. Default 30. */
  logTailLines?: number;
  /** At most this much of a log is read to find its end; a larger log is linked, not read. Default 8 MiB. */
  logMaxBytes?: number;
  /** Batched polling (issue 17): the active runs of a DAG read together; absent, each run read on its own. */
  listing?: AirflowRunListing;
}

/** Our run id is the DAG run's id, so a retried trigger hits Airflow's 409 instead of starting a second run. */
export function airflowDagRunId(runId: string): string {
  return `cutover-${runId}`;
}

export function parseAirflowExternalId(externalId: string): { dagId: string; dagRunId: string } {
  // DAG ids cannot contain '/', so the first one separates the two parts.
  const slash = externalId.indexOf('/');
  if (slash <= 0 || slash === externalId.length - 1) throw new NotFoundError(`not an Airflow external id (dagId/dagRunId): ${externalId}`);
  return { dagId: externalId.slice(0, slash), dagRunId: externalId.slice(slash + 1) };
}

/** Written on the DAG run when Cutover cancels it, so a later poll reads `cancelled`, not `failed`. */
export const CANCEL_NOTE = 'Cancelled by Cutover';

const ms = (iso: string | null | undefined): number | undefined => (iso ? Date.parse(iso) : undefined);
const taskKey = (ti: TaskInstance): string => (ti.map_index !== undefined && ti.map_index >= 0 ? `${ti.task_id}[${ti.map_index}]` : ti.task_id);

/**
 * The Airflow engine: one DAG run per Cutover run, on Airflow 2 (`/api/v1`) or 3 (`/api/v2`)
 * as the client is configured.
 *
 * `submit` sends `req.config.conf` as it is (the caller renders the catalog templates before
 * calling) with `req.params` merged over it, as DESIGN.md passes `--param` to Airflow `conf`.
 */
export function createAirflowEngine({ client, logTailLines = 30, logMaxBytes = 8 * 1024 * 1024, listing }: AirflowEngineOptions): Engine {
  async function failureOf(dagId: string, dagRunId: string, ti: TaskInstance, signal?: AbortSignal): Promise<TaskFailure> {
    const task = taskKey(ti);
    const logUrl = client.runUrl(dagId, dagRunId, ti.task_id);
    const tryNumber = Math.max(1, ti.try_number);
    let log: { lines: string[]; complete: boolean };
    try {
      log = await client.readLogTail(dagId, dagRunId, ti.task_id, tryNumber, { mapIndex: ti.map_index, lines: logTailLines, maxBytes: logMaxBytes, signal });
    } catch (err) {
      // A missing or unreadable log must not hide the failure itself; a transient error is retried by the job.
      if (!(err instanceof ApiError) || err.retryable) throw err;
      return { task, error: `task failed (try ${tryNumber}); log unavailable: ${err.message}`, logUrl };
    }
    if (!log.complete) {
      const mib = Math.round(logMaxBytes / 1024 / 1024);
      return { task, error: `task failed (try ${tryNumber}); its log is larger than ${mib} MiB, too large to read its end here: open it in Airflow`, logUrl };
    }
    const tail = log.lines;
    return {
      task,
      error: errorLine(tail) ?? `task failed (try ${tryNumber})`,
      trace: tail.length > 0 ? tail.join('\n') : undefined,
      logUrl,
    };
  }

  return {
    name: 'airflow',

    pollGroup: (config) => (listing && config.engine === 'airflow' ? config.dagId : undefined),

    async submit(req: SubmitRequest): Promise<SubmitResult> {
      const config = req.config;
      if (config.engine !== 'airflow') throw new ConfigError('airflow engine', [`config.engine: expected airflow, got ${config.engine}`]);
      const dagRunId = airflowDagRunId(req.runId);
      const { run } = await client.triggerDagRun(config.dagId, { dagRunId, conf: { ...config.conf, ...req.params } }, req.signal);
      return { externalId: `${run.dag_id}/${run.dag_run_id}`, url: client.runUrl(run.dag_id, run.dag_run_id) };
    },

    async poll(externalId: string, signal?: AbortSignal, group?: string): Promise<EngineRunStatus> {
      const { dagId, dagRunId } = parseAirflowExternalId(externalId);
      // Batched: an active run is read from its DAG's shared listing (the DAG of the external id);
      // one that is not there has ended (or was triggered after it) and is read on its own.
      const listed = listing && group !== undefined ? await listing.active(dagId, dagRunId, signal) : undefined;
      // Run first, then tasks: the task list is then never older than the run state it explains.
      // A listed run carries no note (no free text is stored in Redis); a run read on its own does.
      const run: ListedDagRun['run'] & Partial<Pick<DagRun, 'note'>> = listed?.run ?? (await client.getDagRun(dagId, dagRunId, signal));
      const instances = listed?.tasks ?? (await client.listTaskInstances(dagId, dagRunId, signal));
      const tasks: TaskStatus[] = instances.map((ti) => ({
        key: taskKey(ti),
        state: mapTaskState(ti.state),
        startedAt: ms(ti.start_date),
        endedAt: ms(ti.end_date),
        url: client.runUrl(dagId, dagRunId, ti.task_id),
      }));
      return {
        state: run.state === 'failed' && run.note === CANCEL_NOTE ? 'cancelled' : mapDagRunState(run.state),
        message: run.note ? `${run.state}: ${run.note}` : run.state,
        tasks,
        url: client.runUrl(dagId, dagRunId),
        startedAt: ms(run.start_date),
        endedAt: ms(run.end_date),
      };
    },

    async failures(externalId: string, status: EngineRunStatus, signal?: AbortSignal): Promise<TaskFailure[]> {
      if (status.state !== 'failed') return [];
      const { dagId, dagRunId } = parseAirflowExternalId(externalId);
      // upstream_failed tasks never ran: they are consequences, and have no log worth reading.
      const failed = (await client.listTaskInstances(dagId, dagRunId, signal)).filter((ti) => ti.state === 'failed');
      if (failed.length === 0) {
        // A run marked failed by hand, or ended by dagrun_timeout, has no failed task to show.
        const error = `DAG run ${dagRunId} failed without a failed task (marked failed or timed out)`;
        return [{ task: dagId, error, logUrl: client.runUrl(dagId, dagRunId) }];
      }
      // One log at a time: each is streamed within a byte bound, never several whole logs at once.
      const failures: TaskFailure[] = [];
      for (const ti of failed) failures.push(await failureOf(dagId, dagRunId, ti, signal));
      return failures;
    },

    /**
     * Airflow has no cancel; marking the run failed is what the UI's "Mark failed" does (running
     * tasks are stopped). The note lets `poll` tell this apart from a real failure.
     */
    async cancel(externalId: string, signal?: AbortSignal): Promise<void> {
      const { dagId, dagRunId } = parseAirflowExternalId(externalId);
      await client.setDagRunState(dagId, dagRunId, 'failed', { note: CANCEL_NOTE, signal });
    },
  };
}
