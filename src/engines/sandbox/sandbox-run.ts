import type { RunState, TaskFailure, TaskStatus } from '../types.ts';

/** One sandbox run, kept in memory: the playground's runs end when it stops. */
export interface SandboxRun {
  externalId: string;
  pipeline: string;
  period: string;
  variant: string;
  /** Which side(s) of the pipeline this run writes: legacy and target paths are the catalog's. */
  sides: Array<'legacy' | 'target'>;
  /** From `--param fail=<task>`: that task fails, until the run is repaired. */
  failTask?: string;
  durationMs: number;
  state: RunState;
  message?: string;
  tasks: TaskStatus[];
  failures: TaskFailure[];
  startedAt: number;
  endedAt?: number;
  repairs: number;
  /** Stops the driving loop on cancel. */
  abort: AbortController;
}

/** The trace shown in the alert thread: shaped like a Spark driver's, and saying where it came from. */
export function failureTrace(run: SandboxRun, task: string): string {
  return [
    `org.apache.spark.SparkException: Job aborted due to stage failure: task ${task} of ${run.pipeline} failed 4 times`,
    `Caused by: sandbox.PlannedFailure: --param fail=${task} was given, so the sandbox engine failed this task on purpose`,
    `\tat sandbox.${task}(${task}.py:42)`,
    `\tat sandbox.pipeline.run(${run.pipeline}/main.py:17)`,
    `\tat org.apache.spark.scheduler.DAGScheduler.runJob(DAGScheduler.scala:2456)`,
    'Repair the run: the sandbox re-runs the failed tasks without the planned failure.',
  ].join('\n');
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
