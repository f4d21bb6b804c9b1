import { GetPartitionsCommand, GetTableCommand, type Column, type GlueClient, type Partition, type Table } from '@aws-sdk/client-glue';
import { callAws } from '../../engines/emr/to-api-error.ts';
import { NotFoundError, UsageError } from '../../errors.ts';
import type { SchemaColumn } from '../../diff/column-plan.ts';
import { sqlString, type DuckDbSession } from '../../diff/duckdb-session.ts';
import { describeRelation, registerDataset, type DatasetAccess, type RegisteredDataset } from '../register-dataset.ts';
import { registerText } from '../text/register-text.ts';
import { quoteIdent } from '../typed-columns.ts';
import type { GlueDataset, RegisterOptions } from '../types.ts';
import { duckdbType, glueStorage, type GlueStorage } from './glue-format.ts';

/** Partition key types GetPartitions' expressions take (formats.md 6); any other key cannot be filtered on. */
const NUMERIC_KEYS = new Set(['int', 'integer', 'bigint', 'long', 'tinyint', 'smallint']);

/**
 * Reads a Glue Data Catalog table like a `path:` of the format its metadata says (GetTable,
 * glueStorage). With `partition:`, GetPartitions (an Expression on the named keys) says which
 * partition folders are read, and their values become columns, as Spark and Athena show them.
 * A Delta table's partitions are in its log: the snapshot is filtered on the values instead.
 */
export async function registerGlueTable(session: DuckDbSession, viewName: string, dataset: GlueDataset, access: DatasetAccess, options: RegisterOptions = {}): Promise<RegisteredDataset> {
  const glue = access.glue;
  if (!glue) throw new UsageError(`glue ${dataset.glue}: no Glue client configured (AWS_REGION, AWS_ENDPOINT_URL_GLUE)`);
  const [database, name] = dataset.glue.split('.') as [string, string];
  const table = await getTable(glue, { database, name, catalogId: dataset.catalogId }, access.signal);
  const storage = glueStorage(table, dataset.glue);
  const view = quoteIdent(viewName);
  const from = `glue ${dataset.glue}${dataset.partition ? ` (${Object.entries(dataset.partition).map(([k, v]) => `${k}=${v}`).join(', ')})` : ''}`;
  if (!dataset.partition) {
    const whole = await registerLocation(session, viewName, storage, storage.location, access, options);
    return { ...whole, source: { ...whole.source, format: storage.format, location: storage.location, from } };
  }
  const keys = partitionKeys(table, dataset.partition, dataset.glue);
  if (storage.format === 'delta') {
    const all = await registerLocation(session, `${viewName}__glue_table`, storage, storage.location, access, options);
    const where = keys.map(({ column, value }) => `CAST(${quoteIdent(column.Name!)} AS VARCHAR) = ${sqlString(value)}`).join(' AND ');
    await session.run(`CREATE OR REPLACE TEMP VIEW ${view} AS SELECT * FROM ${all.view} WHERE ${where}`);
    return { ...all, view, rows: undefined, retype: undefined, source: { ...all.source, location: storage.location, from } };
  }
  const partitions = await getPartitions(glue, { database, name, catalogId: dataset.catalogId, expression: partitionExpression(keys) }, access.signal);
  if (partitions.length === 0) throw new NotFoundError(`glue ${dataset.glue} has no partition where ${partitionExpression(keys)}`);
  const allKeys = table.PartitionKeys ?? [];
  const parts: RegisteredDataset[] = [];
  const selects: string[] = [];
  for (const [i, p] of partitions.entries()) {
    const location = toS3(p.StorageDescriptor?.Location ?? '', dataset.glue);
    const part = await registerLocation(session, `${viewName}__glue_p${i}`, storage, location, access, options);
    const have = new Set(part.columns.map((c) => c.name));
    // The partition's values, typed as the table declares its keys, unless the files hold the column.
    const values = allKeys.flatMap((k, j) => (have.has(k.Name!) ? [] : [`TRY_CAST(${sqlString(p.Values?.[j] ?? '')} AS ${duckdbType(k.Type ?? 'string', `glue ${dataset.glue} partition key ${k.Name}`)}) AS ${quoteIdent(k.Name!)}`]));
    selects.push(`SELECT *${values.length > 0 ? `, ${values.join(', ')}` : ''} FROM ${part.view}`);
    parts.push(part);
  }
  await session.run(`CREATE OR REPLACE TEMP VIEW ${view} AS ${selects.join(' UNION ALL BY NAME ')}`);
  const first = parts[0]!;
  const described = await describeRelation(session, view);
  const added: SchemaColumn[] = described.filter((c) => !first.columns.some((f) => f.name === c.name) && !first.columns.some((f) => f.unparsed === c.name));
  const locations = partitions.map((p) => toS3(p.StorageDescriptor?.Location ?? '', dataset.glue));
  return {
    view,
    via: first.via,
    files: parts.flatMap((p) => p.files),
    columns: [...first.columns, ...added],
    source: { format: storage.format, location: locations.length === 1 ? locations[0] : `${locations[0]} and ${locations.length - 1} more`, from },
  };
}

/** One location of the table (its root or a partition's folder) with the table's reader. */
async function registerLocation(session: DuckDbSession, viewName: string, storage: GlueStorage, location: string, access: DatasetAccess, options: RegisterOptions): Promise<RegisteredDataset> {
  const path = location.endsWith('/') ? location : `${location}/`;
  if (storage.format === 'csv') return registerText(session, viewName, { path, format: storage.reader ?? 'csv', csv: storage.csv }, access, { ...options, schema: storage.columns });
  return registerDataset(session, viewName, { path, format: storage.format }, access, options);
}

/** The named partition keys with their values, in the table's key order; an unknown name is a usage error listing the keys. */
function partitionKeys(table: Table, partition: Record<string, string>, name: string): Array<{ column: Column; value: string }> {
  const keys = table.PartitionKeys ?? [];
  for (const k of Object.keys(partition)) {
    if (!keys.some((c) => c.Name === k)) {
      throw new UsageError(`glue ${name}: "${k}" is not a partition key of the table (${keys.length > 0 ? `its keys: ${keys.map((c) => c.Name).join(', ')}` : 'it has no partition keys'})`);
    }
  }
  return keys.filter((c) => Object.hasOwn(partition, c.Name!)).map((column) => ({ column, value: partition[column.Name!]! }));
}

/**
 * The GetPartitions expression for the values: `key = 'value'` joined with AND. Names are the
 * table's own keys; a string value is a quoted literal with `'` doubled; a numeric key's value
 * must be an integer and is written bare (Glue refuses comparing an int key with a string).
 */
export function partitionExpression(keys: Array<{ column: Column; value: string }>): string {
  return keys
    .map(({ column, value }) => {
      const type = (column.Type ?? 'string').toLowerCase();
      if (NUMERIC_KEYS.has(type)) {
        if (!/^-?\d+$/.test(value)) throw new UsageError(`partition key ${column.Name} is ${type}: "${value}" is not an integer`);
        return `${column.Name} = ${value}`;
      }
      return `${column.Name} = '${value.replaceAll("'", "''")}'`;
    })
    .join(' AND ');
}

async function getTable(glue: GlueClient, t: { database: string; name: string; catalogId?: string }, signal?: AbortSignal): Promise<Table> {
  const out = await callAws('glue', 'GetTable', () => glue.send(new GetTableCommand({ DatabaseName: t.database, Name: t.name, CatalogId: t.catalogId }), { abortSignal: signal }), signal);
  if (!out.Table) throw new NotFoundError(`glue ${t.database}.${t.name}: GetTable returned no table`);
  return out.Table;
}

/** Every partition matching the expression, page by page until NextToken is absent. */
async function getPartitions(glue: GlueClient, t: { database: string; name: string; catalogId?: string; expression: string }, signal?: AbortSignal): Promise<Partition[]> {
  const all: Partition[] = [];
  let token: string | undefined;
  do {
    const out = await callAws(
      'glue',
      'GetPartitions',
      () => glue.send(new GetPartitionsCommand({ DatabaseName: t.database, TableName: t.name, CatalogId: t.catalogId, Expression: t.expression, NextToken: token, ExcludeColumnSchema: true }), { abortSignal: signal }),
      signal,
    );
    all.push(...(out.Partitions ?? []));
    token = out.NextToken;
  } while (token);
  return all;
}

function toS3(location: string, name: string): string {
  if (!location) throw new NotFoundError(`glue ${name}: a partition has no storage location`);
  return location.replace(/^s3[an]:\/\//, 's3://');
}
