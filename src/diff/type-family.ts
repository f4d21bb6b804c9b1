/**
 * Column types of both engines reduced to what comparison needs: a family, a decimal scale,
 * a timestamp unit and whether the timestamp is an instant (has a time zone).
 */

import { parseNested, signature, type NestedType } from './nested-types.ts';

export type Family = 'integer' | 'decimal' | 'float' | 'timestamp' | 'date' | 'string' | 'boolean' | 'nested' | 'other';
export type TypeDialect = 'duckdb' | 'databricks';

export interface ColumnType {
  /** The type as the engine names it, e.g. `DECIMAL(18,2)`. Reported as is. */
  raw: string;
  family: Family;
  precision: number;
  scale: number;
  /** Integers wider than BIGINT (DuckDB HUGEINT, UBIGINT...). */
  wide: boolean;
  /** Timestamps: an instant (converted to UTC) rather than a wall-clock value read as UTC. */
  instant: boolean;
  /** Timestamps: the stored unit; `ns` needs flooring to reach microseconds. */
  unit?: 's' | 'ms' | 'us' | 'ns';
  /** Structs, maps and lists: their shape, for canonical forms (nested-types.ts). */
  nested?: NestedType;
}

const INTEGERS: Record<string, { precision: number; wide: boolean }> = {
  TINYINT: { precision: 3, wide: false }, BYTE: { precision: 3, wide: false },
  SMALLINT: { precision: 5, wide: false }, SHORT: { precision: 5, wide: false },
  INTEGER: { precision: 10, wide: false }, INT: { precision: 10, wide: false },
  BIGINT: { precision: 19, wide: false }, LONG: { precision: 19, wide: false },
  UTINYINT: { precision: 3, wide: false }, USMALLINT: { precision: 5, wide: false },
  UINTEGER: { precision: 10, wide: false }, UBIGINT: { precision: 20, wide: true },
  HUGEINT: { precision: 38, wide: true }, UHUGEINT: { precision: 39, wide: true },
};

export function parseType(raw: string, dialect: TypeDialect): ColumnType {
  const name = raw.trim().toUpperCase();
  const base: ColumnType = { raw, family: 'other', precision: 0, scale: 0, wide: false, instant: false };
  const integer = INTEGERS[name];
  if (integer) return { ...base, family: 'integer', precision: integer.precision, wide: integer.wide };
  const decimal = /^(?:DECIMAL|NUMERIC|DEC)(?:\((\d+)\s*(?:,\s*(\d+))?\))?$/.exec(name);
  if (decimal) {
    return { ...base, family: 'decimal', precision: Number(decimal[1] ?? 18), scale: Number(decimal[2] ?? 0), wide: true };
  }
  if (['FLOAT', 'REAL', 'FLOAT4', 'DOUBLE', 'FLOAT8'].includes(name)) return { ...base, family: 'float' };
  if (name === 'DATE') return { ...base, family: 'date' };
  if (name === 'BOOLEAN' || name === 'BOOL') return { ...base, family: 'boolean' };
  if (/^(VARCHAR|STRING|TEXT|CHAR)(\(\d+\))?$/.test(name)) return { ...base, family: 'string' };
  const ts = timestampOf(name, dialect);
  if (ts) return { ...base, family: 'timestamp', ...ts };
  const nested = parseNested(raw);
  return nested.kind === 'scalar' ? base : { ...base, family: 'nested', nested };
}

function timestampOf(name: string, dialect: TypeDialect): Pick<ColumnType, 'instant' | 'unit'> | undefined {
  switch (name) {
    case 'TIMESTAMP WITH TIME ZONE':
    case 'TIMESTAMPTZ':
    case 'TIMESTAMP_LTZ':
      return { instant: true, unit: 'us' };
    // Spark's TIMESTAMP is an instant shown in the session time zone; DuckDB's is a wall clock.
    case 'TIMESTAMP':
      return { instant: dialect === 'databricks', unit: 'us' };
    case 'TIMESTAMP_NTZ':
    case 'DATETIME':
      return { instant: false, unit: 'us' };
    case 'TIMESTAMP_S':
      return { instant: false, unit: 's' };
    case 'TIMESTAMP_MS':
      return { instant: false, unit: 'ms' };
    case 'TIMESTAMP_NS':
      return { instant: false, unit: 'ns' };
    default:
      return undefined;
  }
}

/**
 * How a legacy/target pair of types is compared. Both sides are brought to the same
 * canonical kind, so their hashes and equality agree.
 */
export type CompareKind = 'exact' | 'float' | 'timestamp' | 'date' | 'string' | 'boolean' | 'nested' | 'text';

export interface ComparePlan {
  kind: CompareKind;
  /** `exact`: the common scale (the larger of the two). */
  scale: number;
  /** `exact`: the common type needs more than BIGINT. */
  wide: boolean;
  /** The two types are the same, so values can be hashed and compared without casts. */
  sameType: boolean;
  /** A type change that keeps values comparable; tolerated only if no value then differs. */
  compatible: boolean;
}

const isExact = (t: ColumnType) => t.family === 'integer' || t.family === 'decimal';

export function planComparison(legacy: ColumnType, target: ColumnType): ComparePlan {
  const sameType = legacy.raw.toUpperCase() === target.raw.toUpperCase();
  const plan = (kind: CompareKind, compatible: boolean): ComparePlan => ({
    kind,
    scale: Math.max(legacy.scale, target.scale),
    wide: legacy.wide || target.wide,
    sameType,
    compatible,
  });
  if (isExact(legacy) && isExact(target)) return plan('exact', true);
  // Structs by field name, maps as sets of entries: equal shapes compare value by value, and a
  // struct whose fields only changed order is a tolerated change. Other pairs compare as text.
  if (legacy.nested && target.nested) {
    const same = signature(legacy.nested) === signature(target.nested);
    return plan(same ? 'nested' : 'text', same);
  }
  // A float on either side makes the comparison approximate: never a tolerated change.
  if ((legacy.family === 'float' || isExact(legacy)) && (target.family === 'float' || isExact(target))) {
    return plan('float', legacy.family === target.family);
  }
  const families = new Set([legacy.family, target.family]);
  if (families.size === 1 && legacy.family !== 'other') return plan(legacy.family as CompareKind, true);
  if ([...families].every((f) => f === 'timestamp' || f === 'date')) return plan('timestamp', false);
  return plan('text', sameType);
}
