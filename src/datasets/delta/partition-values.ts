import { UnsupportedError } from '../../errors.ts';
import { sqlString } from '../../diff/duckdb-session.ts';
import type { AddFile } from './actions/file-actions.ts';
import type { DeltaField } from './schema.ts';

/**
 * A partition value as a typed SQL constant (formats.md 1.7), from `add.partitionValues`, never
 * from folder names. JSON null and `""` are NULL for every type (PROTOCOL; Spark writes an empty
 * string partition value as null anyway). A timestamp in the legacy zone-less form is read as
 * UTC, the Databricks default session zone (docs/architecture.md).
 */
export function partitionLiteral(field: DeltaField, value: string | null, where: string): string {
  if (field.type.kind !== 'primitive') throw new UnsupportedError(`${where}: partition column ${field.name} is not primitive`, 'partitionColumns');
  const { name, duckdb } = field.type;
  if (value === null || value === '') return `CAST(NULL AS ${duckdb})`;
  switch (name) {
    case 'string':
      return sqlString(value);
    case 'binary':
      return `encode(${sqlString(value)})`;
    case 'timestamp': {
      const utc = /[zZ]$|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}+00:00`;
      return checked(`CAST(${sqlString(utc)} AS TIMESTAMPTZ)`, field, value, /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d{1,9})?([zZ]|[+-]\d\d:?\d\d)?$/, where);
    }
    case 'timestamp_ntz':
      return checked(`CAST(${sqlString(value)} AS TIMESTAMP)`, field, value, /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d{1,9})?$/, where);
    case 'date':
      return checked(`CAST(${sqlString(value)} AS DATE)`, field, value, /^-?\d{4,}-\d\d-\d\d$/, where);
    case 'boolean':
      return checked(value.toLowerCase(), field, value, /^(true|false)$/i, where);
    case 'float':
    case 'double':
      return checked(`CAST(${sqlString(value)} AS ${duckdb})`, field, value, /^(-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|NaN|-?Infinity)$/, where);
    default:
      // Integers and decimals: digits only, then an exact cast (a DECIMAL stays a DECIMAL).
      return checked(`CAST(${sqlString(value)} AS ${duckdb})`, field, value, /^-?\d+(\.\d+)?$/, where);
  }
}

function checked(sql: string, field: DeltaField, value: string, pattern: RegExp, where: string): string {
  if (!pattern.test(value)) throw new UnsupportedError(`${where}: partition value "${value}" of ${field.name} is not a valid ${field.type.kind === 'primitive' ? field.type.name : ''}`, 'partitionValues');
  return sql;
}

/** A file's value of a partition column: keyed by the physical name under column mapping. */
export function partitionValueOf(file: AddFile, field: DeltaField, where: string): string | null {
  const values = file.partitionValues;
  if (Object.hasOwn(values, field.physicalName)) return values[field.physicalName] ?? null;
  throw new UnsupportedError(`${where}: file ${file.path} has no partition value for ${field.name}`, 'partitionValues');
}
