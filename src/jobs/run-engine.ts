import type { EngineName } from '../config/catalog-schema.ts';
import type { Engine, EngineRunStatus, TaskFailure } from '../engines/types.ts';
import type { JobDeps } from './job-deps.ts';

/**
 * The engine a job talks to about one run of `pipeline`, with the pipeline's PII policy applied
 * to everything the engine says (issue 14 #8): the state message, each failed task's error and
 * trace (Databricks `error_trace`, the Airflow log tail, EMR `FailureDetails`), and the message of
 * any error it throws. This is where engine output enters Cutover, so the run record, the audit
 * stream, the alert thread, SNS and the logs only ever see protected text. Best effort like every
 * error text: quoted literals are what the policy recognises (see `protectErrorText`).
 */
export function runEngine(deps: Pick<JobDeps, 'engines' | 'protect'>, pipeline: string, name: EngineName): Engine | undefined {
  const engine = deps.engines[name];
  if (!engine) return undefined;
  const text = (t: string) => deps.protect.engineText(pipeline, t);
  const guard = <T>(call: () => Promise<T>): Promise<T> =>
    call().catch((err: unknown) => {
      if (err instanceof Error) err.message = text(err.message);
      throw err;
    });
  const status = (s: EngineRunStatus): EngineRunStatus => (s.message === undefined ? s : { ...s, message: text(s.message) });
  const failure = (f: TaskFailure): TaskFailure => ({ ...f, error: text(f.error), ...(f.trace === undefined ? {} : { trace: text(f.trace) }) });
  const repair = engine.repair?.bind(engine);
  return {
    name: engine.name,
    submit: (req) => guard(() => engine.submit(req)),
    poll: (externalId, signal, group) => guard(() => engine.poll(externalId, signal, group)).then(status),
    ...(engine.pollGroup ? { pollGroup: engine.pollGroup.bind(engine) } : {}),
    failures: (externalId, s, signal) => guard(() => engine.failures(externalId, s, signal)).then((list) => list.map(failure)),
    cancel: (externalId, signal) => guard(() => engine.cancel(externalId, signal)),
    ...(repair ? { repair: (externalId: string, latest: string | undefined, signal?: AbortSignal) => guard(() => repair(externalId, latest, signal)) } : {}),
  };
}
