import { UnsupportedError } from '../../../errors.ts';

/** The `metaData` action (formats.md 1.3). */
export interface Metadata {
  id: string;
  provider: string;
  /** Spark StructType JSON, parsed by schema.ts once the protocol is known. */
  schemaString: string;
  /** Logical column names. */
  partitionColumns: string[];
  configuration: Record<string, string>;
}

export function parseMetadata(raw: Record<string, unknown>, where: string): Metadata {
  if (typeof raw.schemaString !== 'string') throw new UnsupportedError(`${where}: metaData action without schemaString`, 'metaData');
  const format = (raw.format ?? {}) as { provider?: unknown };
  const configuration: Record<string, string> = {};
  for (const [k, v] of entries(raw.configuration)) if (v !== null && v !== undefined) configuration[k] = String(v);
  return {
    id: String(raw.id ?? ''),
    provider: String(format.provider ?? 'parquet'),
    schemaString: raw.schemaString,
    partitionColumns: Array.isArray(raw.partitionColumns) ? raw.partitionColumns.map(String) : [],
    configuration,
  };
}

/**
 * Entries of a string map as it arrives from a JSON commit (an object) or a Parquet checkpoint
 * read by DuckDB (`to_json` of a MAP is an object too; an empty map may be `[]` or null).
 */
export function entries(value: unknown): Array<[string, unknown]> {
  if (value === null || value === undefined || Array.isArray(value)) return [];
  return Object.entries(value as Record<string, unknown>);
}
