import { UnsupportedError } from '../../errors.ts';
import type { Protocol } from './actions/protocol.ts';
import type { TableState } from './log-replay.ts';
import { parseSchema, type ColumnMappingMode, type DeltaField, type DeltaType } from './schema.ts';

/**
 * Reader features this reader implements (formats.md 1.11). Anything else a table's protocol
 * asks for (variantType, catalogManaged, a feature newer than this list…) is refused by name
 * before a single data file is read: a table read "best effort" is how a diff goes silently wrong.
 */
export const SUPPORTED_READER_FEATURES: ReadonlySet<string> = new Set([
  'columnMapping',
  'deletionVectors',
  'timestampNtz',
  'timestampWithoutTimezone',
  'typeWidening',
  'typeWidening-preview',
  'v2Checkpoint',
  'vacuumProtocolCheck',
]);

/** What the scan needs to know once the protocol is accepted. */
export interface ReadPlan {
  columnMapping: ColumnMappingMode;
  schema: DeltaField[];
  partitionColumns: DeltaField[];
}

/** Refuses a reader version or reader feature this reader does not implement, by name. */
export function checkProtocol(protocol: Protocol, where: string): void {
  if (protocol.minReaderVersion > 3) {
    throw new UnsupportedError(`${where}: the table needs Delta reader version ${protocol.minReaderVersion}; Cutover reads versions 1 to 3`, `readerVersion ${protocol.minReaderVersion}`);
  }
  for (const feature of readerFeatures(protocol)) {
    if (!SUPPORTED_READER_FEATURES.has(feature)) throw new UnsupportedError(`${where}: the table needs the Delta reader feature "${feature}", which Cutover does not support`, feature);
  }
}

function readerFeatures(protocol: Protocol): string[] {
  return protocol.minReaderVersion === 3 ? (protocol.readerFeatures ?? []) : [];
}

/** The read plan of an accepted table: column mapping, schema, partition columns; refuses what it cannot read. */
export function planRead(state: TableState, root: string): ReadPlan {
  const { protocol, metadata } = state;
  const where = `${root} (version ${state.version})`;
  checkProtocol(protocol, where);
  const features = readerFeatures(protocol);
  if (metadata.provider.toLowerCase() !== 'parquet') throw new UnsupportedError(`${where}: data files are ${metadata.provider}, not Parquet`, `format ${metadata.provider}`);
  const columnMapping = columnMappingOf(state, features, where);
  const schema = parseSchema(metadata.schemaString, columnMapping, where);
  checkTypeChanges(schema, where);
  const byName = new Map(schema.map((f) => [f.name.toLowerCase(), f]));
  const partitionColumns = metadata.partitionColumns.map((name) => {
    const field = byName.get(name.toLowerCase());
    if (!field) throw new UnsupportedError(`${where}: partition column ${name} is not in the table schema`, 'partitionColumns');
    if (field.type.kind !== 'primitive') throw new UnsupportedError(`${where}: partition column ${name} is not of a primitive type`, 'partitionColumns');
    return field;
  });
  return { columnMapping, schema, partitionColumns };
}

/** Honoured with reader version 2, or 3 with the `columnMapping` feature (formats.md 1.9). */
function columnMappingOf(state: TableState, features: string[], where: string): ColumnMappingMode {
  const mode = state.metadata.configuration['delta.columnMapping.mode'] ?? 'none';
  if (mode !== 'none' && mode !== 'name' && mode !== 'id') throw new UnsupportedError(`${where}: column mapping mode "${mode}"`, `columnMapping ${mode}`);
  const enabled = state.protocol.minReaderVersion === 2 || (state.protocol.minReaderVersion === 3 && features.includes('columnMapping'));
  return enabled ? mode : 'none';
}

const INTEGER_RANK: Record<string, number> = { byte: 1, short: 2, integer: 3, long: 4 };

/**
 * Type widening: files may hold a narrower type than the table, and the scan casts them. Only
 * widenings that a cast keeps exact are accepted; any other recorded change is refused.
 */
function checkTypeChanges(fields: DeltaField[], where: string): void {
  for (const field of fields) {
    for (const change of field.typeChanges ?? []) {
      const [from, to] = [String(change.fromType), String(change.toType)];
      if (!isSupportedWidening(from, to)) throw new UnsupportedError(`${where}: column ${field.name} changed type from ${from} to ${to}, which Cutover cannot read exactly`, `typeWidening ${from} -> ${to}`);
    }
    nested(field.type).forEach((f) => checkTypeChanges([f], where));
  }
}

function nested(t: DeltaType): DeltaField[] {
  if (t.kind === 'struct') return t.fields;
  if (t.kind === 'array') return nested(t.element);
  if (t.kind === 'map') return [...nested(t.key), ...nested(t.value)];
  return [];
}

export function isSupportedWidening(from: string, to: string): boolean {
  const [f, t] = [INTEGER_RANK[from], INTEGER_RANK[to]];
  if (f !== undefined && t !== undefined) return f < t;
  if (f !== undefined && to === 'double') return f <= 3;
  if (from === 'float' && to === 'double') return true;
  if (from === 'date' && to === 'timestamp_ntz') return true;
  const dec = (s: string) => /^decimal\((\d+),\s*(\d+)\)$/.exec(s);
  const [df, dt] = [dec(from), dec(to)];
  if (dt && f !== undefined) return Number(dt[1]) - Number(dt[2]) >= [0, 3, 5, 10, 20][f]!;
  if (df && dt) return Number(dt[2]) >= Number(df[2]) && Number(dt[1]) - Number(dt[2]) >= Number(df[1]) - Number(df[2]);
  return false;
}
