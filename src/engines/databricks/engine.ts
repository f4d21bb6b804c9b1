import { ApiError, ConfigError, isCodedError } from '../../errors.ts';
import type { Engine, EngineRunStatus, SubmitRequest, SubmitResult, TaskFailure, TaskStatus } from '../types.ts';
import type { DatabricksClient } from './client.ts';
import { describeRunState, mapRunState, neverRan, stateMessage } from './map-state.ts';
import type { DatabricksRunListing } from './run-listing.ts';
import type { Run, RunTask } from './types.ts';

/** What the engine needs from the client (the real `DatabricksClient` in the app). */
export type DatabricksEngineClient = Pick<DatabricksClient, 'host' | 'runNow' | 'getRun' | 'getRunOutput' | 'cancelRun' | 'repairRun'>;

/** Lines of a stack trace shown in Slack; the full trace is one click away on the task page. */
const TRACE_LINES = 15;
/** get-output calls in flight at once for one run, so a wide failed run does not burst the API. */
const OUTPUT_CONCURRENCY = 4;

/**
 * The Databricks Jobs engine. `externalId` is the job run id as a decimal string.
 *
 * Job parameters: the caller renders the catalog's `jobParameters` (with `{{period}}` and
 * `{{param.*}}`) and merges the `--param` values into `req.params`; the engine sends
 * `req.params` as `job_parameters` unchanged and does not read `config.jobParameters`, so
 * what people see in the run record is exactly what Databricks got.
 */
export function createDatabricksEngine(client: DatabricksEngineClient, opts: { listing?: DatabricksRunListing } = {}): Engine {
  const { listing } = opts;
  return {
    name: 'databricks',

    pollGroup: (config) => (listing && config.engine === 'databricks' ? String(config.jobId) : undefined),

    async submit(req: SubmitRequest): Promise<SubmitResult> {
      const { config } = req;
      if (config.engine !== 'databricks') {
        throw new ConfigError(`pipeline ${req.pipeline}`, [`target.engine: the databricks engine cannot run an ${config.engine} config`]);
      }
      // Derived from our run id, so a submit retried after a lost response finds the same run.
      const idempotencyToken = `cutover-${req.runId}`;
      const { runId } = await client.runNow({ jobId: config.jobId, jobParameters: req.params, idempotencyToken }, req.signal);
      // The job-run URL pattern of the workspace UI; poll() replaces it with run_page_url.
      return { externalId: String(runId), url: `${client.host}/#job/${config.jobId}/run/${runId}` };
    },

    async poll(externalId: string, signal?: AbortSignal, group?: string): Promise<EngineRunStatus> {
      // Batched: an active run is read from its job's shared listing; one that is not there has
      // ended (or started after the listing), and runs/get reads its final state and history.
      const listed = listing && group && /^\d+$/.test(group) ? await listing.active(group, String(toRunId(externalId)), signal) : undefined;
      const run = listed ?? (await client.getRun(toRunId(externalId), { includeHistory: true }, signal));
      return {
        state: mapRunState(run),
        message: describeRunState(run),
        tasks: (run.tasks ?? []).map(toTaskStatus),
        url: run.run_page_url,
        startedAt: epochMs(run.start_time),
        endedAt: epochMs(run.end_time),
        latestRepairId: lastRepairId(run),
      };
    },

    async failures(externalId: string, status: EngineRunStatus, signal?: AbortSignal): Promise<TaskFailure[]> {
      const failedState = (s: string) => s === 'failed' || s === 'timed_out';
      if (!failedState(status.state) && !status.tasks.some((t) => failedState(t.state))) return [];
      // Re-read the run: the state messages we fall back on are not part of EngineRunStatus.
      const run = await client.getRun(toRunId(externalId), {}, signal);
      const failed = (run.tasks ?? []).filter((t) => failedState(mapRunState(t)));
      if (failed.length === 0) {
        return failedState(mapRunState(run)) ? [{ task: run.run_name ?? 'run', error: stateMessage(run) ?? describeRunState(run), logUrl: run.run_page_url }] : [];
      }
      // Root causes first; tasks skipped because of them say so without a get-output call.
      const [skipped, ran] = partition(failed, neverRan);
      const explained = await mapLimit(ran, OUTPUT_CONCURRENCY, (task) => explainFailure(client, task, signal));
      return [...explained, ...skipped.map((task) => ({ task: task.task_key, error: stateMessage(task) ?? describeRunState(task), logUrl: task.run_page_url }))];
    },

    async cancel(externalId: string, signal?: AbortSignal): Promise<void> {
      await client.cancelRun(toRunId(externalId), signal);
    },

    async repair(externalId: string, latestRepairId: string | undefined, signal?: AbortSignal) {
      const { repairId } = await client.repairRun(
        {
          runId: toRunId(externalId),
          rerunAllFailedTasks: true,
          latestRepairId: latestRepairId === undefined ? undefined : toRunId(latestRepairId),
        },
        signal,
      );
      return { repairId: String(repairId) };
    },
  };
}

async function explainFailure(client: DatabricksEngineClient, task: RunTask, signal?: AbortSignal): Promise<TaskFailure> {
  const fallback = stateMessage(task) ?? describeRunState(task);
  try {
    const output = await client.getRunOutput(task.run_id, signal);
    return { task: task.task_key, error: output.error || fallback, trace: firstLines(output.error_trace), logUrl: task.run_page_url };
  } catch (err) {
    // A permanent refusal for one task (e.g. output expired after 60 days) should not hide the
    // others; transient errors propagate so the job retries the whole call.
    if (isCodedError(err) && !err.retryable) return { task: task.task_key, error: fallback, logUrl: task.run_page_url };
    throw err;
  }
}

function toTaskStatus(task: RunTask): TaskStatus {
  return {
    key: task.task_key,
    state: mapRunState(task),
    runId: String(task.run_id),
    startedAt: epochMs(task.start_time),
    endedAt: epochMs(task.end_time),
    url: task.run_page_url,
  };
}

/** The id to pass as `latest_repair_id` next time: the last REPAIR entry of the history. */
function lastRepairId(run: Run): string | undefined {
  const repairs = (run.repair_history ?? []).filter((h) => h.type === 'REPAIR' && h.id !== undefined);
  const last = repairs.at(-1);
  return last?.id === undefined ? undefined : String(last.id);
}

/** Databricks uses 0 for "not yet" (end_time while running). */
function epochMs(value: number | undefined): number | undefined {
  return value ? value : undefined;
}

function firstLines(text: string | undefined): string | undefined {
  if (!text) return undefined;
  return text.split('\n').slice(0, TRACE_LINES).join('\n').trimEnd();
}

function toRunId(id: string): number {
  const n = Number(id);
  if (!/^\d+$/.test(id) || !Number.isSafeInteger(n)) {
    throw new ApiError({ service: 'databricks', apiCode: 'INVALID_PARAMETER_VALUE', message: `not a Databricks run id: ${id}`, retryable: false });
  }
  return n;
}

function partition<T>(items: T[], predicate: (item: T) => boolean): [T[], T[]] {
  return [items.filter(predicate), items.filter((i) => !predicate(i))];
}

/** Like Promise.all over `items.map(fn)`, with at most `limit` calls in flight; keeps order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
