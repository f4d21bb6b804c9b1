/**
 * The log net for samples. Protecting before logging stays the rule; this is for the object
 * someone logs whole (a job's data, a stored report). Field names, not pino `redact` paths:
 * paths stop at a fixed depth (`*.samples` misses `job.data.report.columns.email.samples`),
 * while src/logger.ts already walks every logged object, at any depth, in its `scrub` hook.
 *
 * - `samples`: a diff column's `{key, legacy, target}` list, or a DQ check's sample rows;
 * - `keySamples`: a diff report's key lists;
 * - `csv`: a mismatched-rows CSV (the report files).
 */
export const PII_LOG_FIELDS: ReadonlySet<string> = new Set(['samples', 'keySamples', 'csv']);

export const PII_LOG_CENSOR = '[PII]';

/**
 * A copy of `value` with every `PII_LOG_FIELDS` property, at any depth, replaced by `[PII]`
 * (an empty list too: the shape says nothing worth the risk). Errors, class instances and
 * other non-plain objects are returned as they are; a cycle ends in `[Circular]`.
 */
export function redactPiiFields(value: unknown): unknown {
  return walk(value, new Set());
}

function walk(value: unknown, ancestors: Set<object>): unknown {
  const array = Array.isArray(value);
  if (!array && (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype)) return value;
  const node = value as object;
  if (ancestors.has(node)) return '[Circular]';
  ancestors.add(node);
  try {
    if (array) return (node as unknown[]).map((v) => walk(v, ancestors));
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, PII_LOG_FIELDS.has(k) ? PII_LOG_CENSOR : walk(v, ancestors)]));
  } finally {
    ancestors.delete(node);
  }
}
