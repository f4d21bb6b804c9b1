import { UnsupportedError, UsageError } from '../errors.ts';
import type { ResolvedOptions, SqlDialect } from './sql-dialect.ts';
import { parseType, planComparison, type ColumnType, type ComparePlan, type TypeDialect } from './type-family.ts';
import type { CompareOptions } from './types.ts';

export interface SchemaColumn {
  name: string;
  type: string;
  /**
   * Text sides (src/datasets/): the view column that holds the text of values that did not
   * parse as `type` (NULL elsewhere). The diff compares it too, so such a value is reported as
   * a difference with its key instead of passing as NULL.
   */
  unparsed?: string;
}

/** A column present on both sides, with its SQL on each side under a neutral alias. */
export interface PlannedColumn {
  name: string;
  /** `k0`, `k1`... for keys, `c0`, `c1`... for compared columns: safe names inside our SQL. */
  alias: string;
  legacy: ColumnType;
  target: ColumnType;
  plan: ComparePlan;
  canonLegacy: string;
  canonTarget: string;
  /** The side's column holding text that did not parse as its type (SchemaColumn.unparsed), quoted. */
  unparsedLegacy?: string;
  unparsedTarget?: string;
}

export interface DiffPlan {
  keys: PlannedColumn[];
  columns: PlannedColumn[];
  missing: string[];
  extra: string[];
  /** Columns (keys included) whose type differs; `tolerated` is decided once values are compared. */
  changed: PlannedColumn[];
}

export function resolveOptions(options: CompareOptions = {}): ResolvedOptions {
  return {
    ignore: new Set(options.ignore ?? []),
    abs: options.absTolerance ?? 0,
    rel: options.relTolerance ?? 0,
    timestamps: options.timestamps ?? 'us',
    trim: options.trim ?? false,
    ignoreCase: options.ignoreCase ?? false,
    sampleLimit: options.sampleLimit ?? 10,
  };
}

/**
 * Lines the two schemas up: keys first, then the columns both sides have (legacy order).
 * Ignored columns vanish from every level; keys are compared exactly, never with tolerance.
 */
export function planColumns(
  dialect: SqlDialect,
  legacy: SchemaColumn[],
  target: SchemaColumn[],
  key: string[],
  o: ResolvedOptions,
): DiffPlan {
  const types: TypeDialect = dialect.name;
  if (key.length === 0) throw new UsageError('at least one key column is needed');
  const l = new Map(legacy.filter((c) => !o.ignore.has(c.name)).map((c) => [c.name, parseType(c.type, types)]));
  const t = new Map(target.filter((c) => !o.ignore.has(c.name)).map((c) => [c.name, parseType(c.type, types)]));
  const unparsed = (cols: SchemaColumn[], name: string) => {
    const u = cols.find((c) => c.name === name)?.unparsed;
    return u ? dialect.quote(u) : undefined;
  };
  for (const k of key) {
    if (o.ignore.has(k)) throw new UsageError(`key column "${k}" cannot also be ignored`);
    for (const [side, cols, schema] of [['legacy', l, legacy], ['target', t, target]] as const) {
      if (!cols.has(k)) throw new UsageError(`key column "${k}" is not in the ${side} dataset`);
      // A key that does not parse cannot be matched to anything: refused, never dropped.
      if (unparsed(schema, k)) throw new UnsupportedError(`key column "${k}" of the ${side} dataset holds values that cannot be read as ${cols.get(k)?.raw}`, 'unparsed-key');
    }
  }
  const exactKeys: ResolvedOptions = { ...o, abs: 0, rel: 0 };
  const plan = (name: string, alias: string, opts: ResolvedOptions): PlannedColumn => {
    const lt = l.get(name) as ColumnType;
    const tt = t.get(name) as ColumnType;
    const cmp = planComparison(lt, tt);
    const col = dialect.quote(name);
    return {
      name,
      alias,
      legacy: lt,
      target: tt,
      plan: cmp,
      canonLegacy: dialect.canonical(col, lt, cmp, opts),
      canonTarget: dialect.canonical(col, tt, cmp, opts),
      unparsedLegacy: unparsed(legacy, name),
      unparsedTarget: unparsed(target, name),
    };
  };
  const keys = key.map((k, i) => plan(k, `k${i}`, exactKeys));
  const shared = [...l.keys()].filter((name) => t.has(name) && !key.includes(name));
  const columns = shared.map((name, i) => plan(name, `c${i}`, o));
  return {
    keys,
    columns,
    missing: [...l.keys()].filter((name) => !t.has(name)),
    extra: [...t.keys()].filter((name) => !l.has(name)),
    changed: [...keys, ...columns].filter((c) => !c.plan.sameType),
  };
}
