import type { StrategyResult } from './checksum-strategy.ts';
import type { DiffPlan } from './column-plan.ts';
import type { DiffReport, TypeChange } from './types.ts';

/**
 * Puts the levels together. A type change is tolerated when it keeps values comparable
 * (same family, see type-family.ts) and no value of the column then differs; a key's type
 * change is tolerated when comparable (keys are matched on canonical values).
 */
export function buildReport(
  plan: DiffPlan,
  result: Pick<StrategyResult, 'totals' | 'detail'>,
  extras: Pick<DiffReport, 'engine' | 'strategy' | 'buckets' | 'durationMs'>,
): DiffReport {
  const { totals, detail } = result;
  const mismatchesOf = new Map(plan.columns.map((c, i) => [c.name, detail.mismatches[i] ?? 0]));
  const typeChanges: TypeChange[] = plan.changed.map((c) => ({
    column: c.name,
    legacy: c.legacy.raw,
    target: c.target.raw,
    tolerated: c.plan.compatible && (mismatchesOf.get(c.name) ?? 0) === 0,
  }));
  const columns: DiffReport['columns'] = {};
  plan.columns.forEach((c, i) => {
    columns[c.name] = { mismatches: detail.mismatches[i] ?? 0, samples: detail.samples[i] ?? [] };
  });
  const counts: DiffReport['counts'] = {
    legacy: totals.legacy,
    target: totals.target,
    onlyLegacy: detail.onlyLegacy,
    onlyTarget: detail.onlyTarget,
    changed: detail.changed,
    duplicateKeys: { legacy: detail.duplicateLegacy, target: detail.duplicateTarget },
    nullKeys: { legacy: totals.nullLegacy, target: totals.nullTarget },
  };
  const schema = { missing: plan.missing, extra: plan.extra, typeChanges };
  return {
    verdict: isClean(schema, counts) ? 'clean' : 'different',
    schema,
    counts,
    columns,
    keySamples: detail.keySamples,
    key: plan.keys.map((k) => k.name),
    ...extras,
  };
}

/** Clean: no untolerated schema change, no row-level difference, no duplicate or null key. */
export function isClean(schema: DiffReport['schema'], c: DiffReport['counts']): boolean {
  const schemaOk = schema.missing.length === 0 && schema.extra.length === 0 && schema.typeChanges.every((t) => t.tolerated);
  const rowsOk = c.onlyLegacy === 0 && c.onlyTarget === 0 && c.changed === 0;
  const keysOk = c.duplicateKeys.legacy + c.duplicateKeys.target + c.nullKeys.legacy + c.nullKeys.target === 0;
  return schemaOk && rowsOk && keysOk;
}
