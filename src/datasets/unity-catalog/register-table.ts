import { UnsupportedError, UsageError } from '../../errors.ts';
import type { DuckDbSession } from '../../diff/duckdb-session.ts';
import { registerDelta, type RegisteredDelta } from '../delta/register-delta.ts';
import { createS3Access } from '../s3-source.ts';
import type { DatasetAccess } from '../register-dataset.ts';
import type { RegisterOptions, TableDataset } from '../types.ts';
import type { UnityCatalogClient } from './uc-client.ts';

/** How `table:` datasets are reached outside a warehouse: Unity Catalog, and where S3 is. */
export interface UnityCatalogAccess {
  client: UnityCatalogClient;
  /** Region and endpoint for the S3 client built with the table's temporary credentials. */
  s3: { region: string; endpoint?: string };
}

const VIEWS = new Set(['VIEW', 'MATERIALIZED_VIEW', 'METRIC_VIEW']);

/**
 * Reads a Unity Catalog table with the Delta reader (DESIGN.md "Dataset sources and formats"):
 * its metadata gives the storage location, temporary READ credentials for that table give an S3
 * client of its own, and the snapshot is read from S3 with it. Views and tables that are not
 * Delta are refused with a message that says so.
 */
export async function registerTable(session: DuckDbSession, viewName: string, dataset: TableDataset, access: DatasetAccess, options: RegisterOptions = {}): Promise<RegisteredDelta> {
  const uc = access.unityCatalog;
  if (!uc) throw new UsageError(`${dataset.table} is a Unity Catalog table: set DATABRICKS_HOST and a Databricks token to read it`);
  const info = await uc.client.getTable(dataset.table, access.signal);
  const type = (info.table_type ?? '').toUpperCase();
  if (VIEWS.has(type)) throw new UnsupportedError(`${dataset.table} is a ${type.toLowerCase().replace('_', ' ')}: only tables can be read beside a path (compare it in the warehouse, or against another table)`, type);
  const format = (info.data_source_format ?? '').toUpperCase();
  if (format !== 'DELTA') throw new UnsupportedError(`${dataset.table} is a ${format || 'format-less'} table: Cutover reads Unity Catalog tables in the Delta format`, `data_source_format ${format}`);
  if (!info.storage_location) throw new UnsupportedError(`${dataset.table} has no storage_location Cutover can read`, 'storage_location');
  if (!/^s3a?:\/\//.test(info.storage_location)) throw new UnsupportedError(`${dataset.table} is stored at ${info.storage_location}: Cutover reads tables stored in S3`, 'storage scheme');
  const creds = await uc.client.temporaryTableCredentials(info.table_id, access.signal);
  const aws = creds.aws_temp_credentials;
  if (!aws) throw new UnsupportedError(`${dataset.table}: Unity Catalog gave no AWS credentials (${Object.keys(creds).filter((k) => k.endsWith('_credentials') || k.startsWith('azure') || k.startsWith('gcp')).join(', ') || 'none'})`, 'temporary credentials');
  const s3 = createS3Access({ ...uc.s3, credentials: { accessKeyId: aws.access_key_id, secretAccessKey: aws.secret_access_key, sessionToken: aws.session_token } });
  try {
    const delta = await registerDelta(session, viewName, { path: info.storage_location, format: 'delta', version: dataset.version }, { ...access, s3 }, options);
    return { ...delta, source: { ...delta.source, location: info.storage_location } };
  } finally {
    s3.client.destroy();
  }
}
