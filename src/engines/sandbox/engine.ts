import { isDeepStrictEqual } from 'node:util';
import type { Catalog } from '../../config/catalog-schema.ts';
import { renderPath } from '../../config/template.ts';
import { ConfigError, InvalidStateError, NotFoundError, UnsupportedError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { isTerminal, type Engine, type EngineRunStatus, type SubmitRequest, type SubmitResult, type TaskFailure } from '../types.ts';
import { generateSandboxOutput, type GenerateOptions } from './generate-data.ts';
import { failureTrace, sleep, type SandboxRun } from './sandbox-run.ts';

export interface SandboxEngineOptions {
  /** The catalog the runs come from: the sandbox writes each output to its legacy/target path. */
  catalog: Catalog;
  /** Writes one output; default: generated with DuckDB (generate-data.ts). */
  writeOutput?: (opts: GenerateOptions) => Promise<unknown>;
  logger?: Logger;
  now?: () => number;
}

/**
 * The playground's engine: runs in-process and in memory, takes the catalog's `durationMs`,
 * moves through pending → running → succeeded/failed task by task, and its last task writes
 * real output files (Parquet or CSV) at the catalog's paths with `{{period}}` rendered.
 * `--param fail=<task>` makes that task fail; `repair` re-runs it (and the tasks after it)
 * without the planned failure.
 */
export function createSandboxEngine({ catalog, writeOutput = generateSandboxOutput, logger, now = Date.now }: SandboxEngineOptions): Engine {
  const runs = new Map<string, SandboxRun>();

  const find = (externalId: string): SandboxRun => {
    const run = runs.get(externalId);
    if (!run) throw new NotFoundError(`sandbox run ${externalId} is unknown: sandbox runs live in memory and end when the playground stops`);
    return run;
  };

  async function writeOutputs(run: SandboxRun): Promise<void> {
    const pipeline = catalog.pipelines[run.pipeline];
    for (const output of pipeline?.outputs ?? []) {
      for (const side of run.sides) {
        const dataset = output[side];
        if (!('path' in dataset)) continue; // a table lives in a warehouse the sandbox does not have
        const format = dataset.format ?? 'parquet';
        if (format !== 'parquet' && format !== 'csv') throw new UnsupportedError(`the sandbox engine writes Parquet or CSV outputs, not ${format} (${dataset.path})`, format);
        const path = renderPath(dataset.path, { period: run.period, params: {} });
        await writeOutput({ path, format, variant: run.variant, period: run.period, key: output.key });
      }
    }
  }

  /** Runs the tasks from `from` on, one after another, each taking its share of `durationMs`. */
  async function drive(run: SandboxRun, from: number): Promise<void> {
    const step = Math.max(1, Math.round(run.durationMs / (run.tasks.length + 1)));
    const signal = run.abort.signal;
    try {
      await sleep(step, signal); // pending: "waiting for a cluster"
      run.state = 'running';
      run.message = undefined;
      for (let i = from; i < run.tasks.length; i++) {
        const task = run.tasks[i]!;
        Object.assign(task, { state: 'running', startedAt: now(), endedAt: undefined });
        await sleep(step, signal);
        if (task.key === run.failTask && run.repairs === 0) return fail(run, i, `Task ${task.key} failed: planned failure (--param fail=${task.key})`, failureTrace(run, task.key));
        if (i === run.tasks.length - 1) {
          const error = await writeOutputs(run).then(() => undefined, (err: unknown) => (err instanceof Error ? err.message : String(err)));
          if (error) return fail(run, i, `Task ${task.key} failed writing its outputs: ${error}`);
        }
        Object.assign(task, { state: 'succeeded', endedAt: now() });
      }
      Object.assign(run, { state: 'succeeded', endedAt: now() });
    } catch (err) {
      if (!signal.aborted) logger?.error({ err, run: run.externalId }, 'sandbox run crashed');
    }
  }

  function fail(run: SandboxRun, index: number, error: string, trace?: string): void {
    const task = run.tasks[index]!;
    Object.assign(task, { state: 'failed', endedAt: now() });
    const skipped = run.tasks.slice(index + 1);
    for (const t of skipped) Object.assign(t, { state: 'cancelled', startedAt: undefined, endedAt: undefined });
    run.failures = [
      { task: task.key, error, trace },
      ...skipped.map((t) => ({ task: t.key, error: `Upstream task ${task.key} failed; ${t.key} did not run` })),
    ];
    Object.assign(run, { state: 'failed', message: error, endedAt: now() });
  }

  return {
    name: 'sandbox',

    async submit(req: SubmitRequest): Promise<SubmitResult> {
      const { config } = req;
      if (config.engine !== 'sandbox') throw new ConfigError(`pipeline ${req.pipeline}`, [`engine: the sandbox engine cannot run an ${config.engine} config`]);
      // The run id is the idempotency key: a retried submit finds the run it started.
      const externalId = `sbx-${req.runId}`;
      if (runs.has(externalId)) return { externalId };
      const pipeline = catalog.pipelines[req.pipeline];
      const sides = (['legacy', 'target'] as const).filter((side) => isDeepStrictEqual(pipeline?.[side], config));
      const run: SandboxRun = {
        externalId,
        pipeline: req.pipeline,
        period: req.period,
        variant: config.variant,
        sides: sides.length > 0 ? sides : ['target'],
        failTask: req.params.fail,
        durationMs: config.durationMs,
        state: 'pending',
        message: 'waiting for a sandbox cluster',
        tasks: config.tasks.map((key) => ({ key, state: 'queued' as const })),
        failures: [],
        startedAt: now(),
        repairs: 0,
        abort: new AbortController(),
      };
      runs.set(externalId, run);
      void drive(run, 0);
      return { externalId };
    },

    async poll(externalId: string): Promise<EngineRunStatus> {
      const run = find(externalId);
      return {
        state: run.state,
        message: run.message,
        tasks: run.tasks.map((t) => ({ ...t })),
        startedAt: run.startedAt,
        endedAt: run.endedAt,
        latestRepairId: run.repairs > 0 ? `${externalId}-repair-${run.repairs}` : undefined,
      };
    },

    async failures(externalId: string): Promise<TaskFailure[]> {
      return find(externalId).failures.map((f) => ({ ...f }));
    },

    async cancel(externalId: string): Promise<void> {
      const run = find(externalId);
      if (isTerminal(run.state)) return;
      run.abort.abort(new InvalidStateError('cancelled'));
      for (const t of run.tasks) if (!isTerminal(t.state)) Object.assign(t, { state: 'cancelled', endedAt: t.startedAt ? now() : undefined });
      Object.assign(run, { state: 'cancelled', message: 'cancelled on request', endedAt: now() });
    },

    async repair(externalId: string, latestRepairId: string | undefined) {
      const run = find(externalId);
      if (run.state !== 'failed') throw new InvalidStateError(`sandbox run ${externalId} is ${run.state}; only a failed run can be repaired`);
      const current = run.repairs > 0 ? `${externalId}-repair-${run.repairs}` : undefined;
      if (latestRepairId !== current) throw new InvalidStateError(`sandbox run ${externalId}: latest repair is ${current ?? 'none'}, not ${latestRepairId}`);
      const from = run.tasks.findIndex((t) => t.state === 'failed');
      run.repairs += 1;
      for (const t of run.tasks.slice(from)) Object.assign(t, { state: 'queued', startedAt: undefined, endedAt: undefined });
      Object.assign(run, { state: 'pending', message: `repair ${run.repairs}: re-running ${run.tasks[from]?.key}`, failures: [], endedAt: undefined, abort: new AbortController() });
      void drive(run, from);
      return { repairId: `${externalId}-repair-${run.repairs}` };
    },
  };
}
