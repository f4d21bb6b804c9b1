import { UsageError } from '../errors.ts';
import type { Pipeline } from './catalog-schema.ts';

/**
 * Names Cutover sets itself: a `--param` may never stand for them, and a catalog may not
 * declare them (`period` comes only from a validated `--period`).
 */
export const RESERVED_PARAMS: ReadonlySet<string> = new Set(['period', 'run_id', 'runId', 'cutover_run_id', 'output']);

/** A value longer than this is refused whatever the pattern: no real parameter is that long. */
export const MAX_PARAM_LENGTH = 500;

/** True when `text` holds a C0 control character or DEL: never part of a parameter value. */
export function hasControlCharacter(text: string): boolean {
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  return /[\u0000-\u001f\u007f]/.test(text);
}

/** The declared pattern as a whole-value match: `[a-z]{2}` means the value is two letters, not contains them. */
export function paramRegExp(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

/**
 * The params of one run: every given value checked against the pipeline's `params:` (declared,
 * not reserved, matching its pattern), and the declared defaults filled in. Anything wrong is a
 * UsageError naming the parameter, so commands answer with the usage reply.
 */
export function resolveParams(pipelineName: string, pipeline: Pick<Pipeline, 'params'>, given: Readonly<Record<string, string>> = {}): Record<string, string> {
  const declared = pipeline.params;
  const resolved: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    if (RESERVED_PARAMS.has(name)) throw new UsageError(`--param ${name} is set by Cutover itself${name === 'period' ? ': use --period YYYY-MM' : ''}`);
    const spec = Object.hasOwn(declared, name) ? declared[name] : undefined;
    if (!spec) {
      const known = Object.keys(declared);
      throw new UsageError(`${pipelineName} takes no --param ${name} (${known.length ? `it takes ${known.join(', ')}` : 'it declares no params'})`);
    }
    if (value.length > MAX_PARAM_LENGTH) throw new UsageError(`--param ${name} is longer than ${MAX_PARAM_LENGTH} characters`);
    if (hasControlCharacter(value)) throw new UsageError(`--param ${name} holds a control character`);
    if (spec.pattern !== undefined && !paramRegExp(spec.pattern).test(value)) {
      throw new UsageError(`--param ${name}=${value.slice(0, 60)} does not match ${spec.pattern}${spec.description ? ` (${spec.description})` : ''}`);
    }
    resolved[name] = value;
  }
  for (const [name, spec] of Object.entries(declared)) {
    if (!Object.hasOwn(resolved, name) && spec.default !== undefined) resolved[name] = spec.default;
  }
  return resolved;
}
