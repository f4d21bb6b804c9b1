import { UnsupportedError } from '../../errors.ts';

/** `delta.columnMapping.mode` as far as this reader honours it (formats.md 1.9). */
export type ColumnMappingMode = 'none' | 'name' | 'id';

export type DeltaType =
  | { kind: 'primitive'; name: string; duckdb: string }
  | { kind: 'struct'; fields: DeltaField[] }
  | { kind: 'array'; element: DeltaType }
  | { kind: 'map'; key: DeltaType; value: DeltaType };

/** One field of the table schema, nested ones included, with its name in the data files. */
export interface DeltaField {
  name: string;
  type: DeltaType;
  /** The column's name in Parquet: `delta.columnMapping.physicalName`, or the name without mapping. */
  physicalName: string;
  /** `delta.columnMapping.id`: the Parquet field id in `id` mode. */
  fieldId?: number;
  /** `delta.typeChanges` (type widening) as recorded in the field's metadata. */
  typeChanges?: Array<{ fromType: unknown; toType: unknown }>;
}

const PRIMITIVES: Record<string, string> = {
  string: 'VARCHAR',
  long: 'BIGINT',
  integer: 'INTEGER',
  short: 'SMALLINT',
  byte: 'TINYINT',
  float: 'FLOAT',
  double: 'DOUBLE',
  boolean: 'BOOLEAN',
  binary: 'BLOB',
  date: 'DATE',
  // A Delta `timestamp` is an instant: INT96 files read as naive UTC and are cast, INT64 ones read as TIMESTAMPTZ.
  timestamp: 'TIMESTAMPTZ',
  timestamp_ntz: 'TIMESTAMP',
};

/** Parses `metaData.schemaString` (Spark StructType JSON); refuses types the reader cannot read exactly. */
export function parseSchema(schemaString: string, mode: ColumnMappingMode, where: string): DeltaField[] {
  let json: unknown;
  try {
    json = JSON.parse(schemaString);
  } catch {
    throw new UnsupportedError(`${where}: metaData.schemaString is not JSON`, 'schemaString');
  }
  const root = parseType(json, mode, where, '');
  if (root.kind !== 'struct') throw new UnsupportedError(`${where}: the table schema is not a struct`, 'schemaString');
  return root.fields;
}

function parseType(raw: unknown, mode: ColumnMappingMode, where: string, path: string): DeltaType {
  if (typeof raw === 'string') {
    const decimal = /^decimal(?:\(\s*(\d+)\s*,\s*(\d+)\s*\))?$/.exec(raw);
    if (decimal) {
      const [precision, scale] = [Number(decimal[1] ?? 10), Number(decimal[2] ?? 0)];
      if (precision > 38) throw new UnsupportedError(`${where}: column ${path} has type ${raw} (precision above 38)`, raw);
      return { kind: 'primitive', name: raw, duckdb: `DECIMAL(${precision},${scale})` };
    }
    const duckdb = PRIMITIVES[raw];
    if (!duckdb) throw new UnsupportedError(`${where}: column ${path} has type "${raw}", which Cutover cannot read`, raw);
    return { kind: 'primitive', name: raw, duckdb };
  }
  const t = raw as Record<string, unknown>;
  switch (t?.type) {
    case 'struct':
      return { kind: 'struct', fields: (t.fields as unknown[]).map((f) => parseField(f, mode, where, path)) };
    case 'array':
      return { kind: 'array', element: parseType(t.elementType, mode, where, `${path}[]`) };
    case 'map':
      return { kind: 'map', key: parseType(t.keyType, mode, where, `${path}.key`), value: parseType(t.valueType, mode, where, `${path}.value`) };
    default:
      throw new UnsupportedError(`${where}: column ${path} has an unknown type ${JSON.stringify(raw)}`, String(t?.type));
  }
}

function parseField(raw: unknown, mode: ColumnMappingMode, where: string, parent: string): DeltaField {
  const f = raw as { name: string; type: unknown; metadata?: Record<string, unknown> };
  const path = parent ? `${parent}.${f.name}` : f.name;
  const meta = f.metadata ?? {};
  const physical = meta['delta.columnMapping.physicalName'];
  const id = meta['delta.columnMapping.id'];
  if (mode !== 'none' && typeof physical !== 'string') {
    throw new UnsupportedError(`${where}: column ${path} has no delta.columnMapping.physicalName under column mapping mode ${mode}`, 'columnMapping');
  }
  if (mode === 'id' && typeof id !== 'number') throw new UnsupportedError(`${where}: column ${path} has no delta.columnMapping.id under column mapping mode id`, 'columnMapping');
  const typeChanges = meta['delta.typeChanges'];
  return {
    name: f.name,
    type: parseType(f.type, mode, where, path),
    physicalName: mode === 'none' ? f.name : (physical as string),
    fieldId: mode === 'id' ? (id as number) : undefined,
    typeChanges: Array.isArray(typeChanges) ? (typeChanges as DeltaField['typeChanges']) : undefined,
  };
}

/** The DuckDB type of a Delta type, with logical or physical (in-file) names for struct fields. */
export function duckdbType(t: DeltaType, names: 'logical' | 'physical'): string {
  switch (t.kind) {
    case 'primitive':
      return t.duckdb;
    case 'array':
      return `${duckdbType(t.element, names)}[]`;
    case 'map':
      return `MAP(${duckdbType(t.key, names)}, ${duckdbType(t.value, names)})`;
    case 'struct':
      return `STRUCT(${t.fields.map((f) => `${quoteIdent(names === 'logical' ? f.name : f.physicalName)} ${duckdbType(f.type, names)}`).join(', ')})`;
  }
}

/** True when the type has a struct field whose name in the files differs from its name in the table. */
export function hasRenamedFields(t: DeltaType): boolean {
  switch (t.kind) {
    case 'primitive':
      return false;
    case 'array':
      return hasRenamedFields(t.element);
    case 'map':
      return hasRenamedFields(t.key) || hasRenamedFields(t.value);
    case 'struct':
      return t.fields.some((f) => f.name !== f.physicalName || hasRenamedFields(f.type));
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
