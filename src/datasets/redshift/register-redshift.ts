import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import type { ExecuteStatementInput, Field, RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { randomBytes } from 'node:crypto';
import { renderTemplate } from '../../config/template.ts';
import { UsageError } from '../../errors.ts';
import { sqlString, type DuckDbSession } from '../../diff/duckdb-session.ts';
import { parseManifest, redshiftType } from '../text/manifest.ts';
import { registerText } from '../text/register-text.ts';
import { quoteIdent } from '../typed-columns.ts';
import { describeRelation, registerDataset, type DatasetAccess, type RegisteredDataset } from '../register-dataset.ts';
import { callS3, getS3Object, listS3Objects, parseS3Url } from '../s3-source.ts';
import type { RedshiftDataset, RegisterOptions } from '../types.ts';
import { resultPages, runStatement, StatementFailedError } from './data-api.ts';

/**
 * How long the Data API keeps the staging session after each statement finishes (a running
 * statement never lapses it). The session is needed only from the CREATE TEMP TABLE to the last
 * UNLOAD or SELECT of this read, and each statement is sent as soon as the poll sees the last one
 * finish: the gap is a poll interval (at most 2 s), SDK retries, and at worst the S3 clean-up
 * before the text UNLOAD. The Data API has no call to end a session, so each read leaves its
 * session (a cluster connection) idle for this long: 60 s covers the gap several times over and
 * is a fifth of the 300 s this was. See docs/architecture.md, "Redshift: session keep-alive".
 */
export const SESSION_SECONDS = 60;

/**
 * Reads a Redshift table through the Data API (issue 18):
 *
 * 1. The rows are staged in a temp table of a Data API session (`CREATE TEMP TABLE … AS SELECT
 *    … WHERE false`, then `INSERT … SELECT … WHERE <where:>`): the `where:` values are bound
 *    statement parameters there, which they could not be inside UNLOAD's quoted query.
 * 2. With `directRowsUnder`, a table with fewer rows is read straight from GetStatementResult pages.
 * 3. Otherwise `UNLOAD ('SELECT * FROM <temp>') … MANIFEST VERBOSE` to `unload.to` with `{{run}}`
 *    a fresh id: Parquet, or when the cluster refuses Parquet, `|`-delimited text with ESCAPE.
 *    The files are read by the Parquet or UNLOAD text reader (downloaded, never through httpfs),
 *    then deleted, whatever the outcome: Cutover removes what it wrote, and only that.
 */
export async function registerRedshiftTable(session: DuckDbSession, viewName: string, dataset: RedshiftDataset, access: DatasetAccess, options: RegisterOptions = {}): Promise<RegisteredDataset> {
  const client = access.redshiftData;
  const label = `redshift ${dataset.redshift}`;
  if (!client) throw new UsageError(`${label}: no Redshift Data API client configured (AWS_REGION, AWS_ENDPOINT_URL_REDSHIFT_DATA)`);
  const run = `cutover_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const temp = `${run}_rows`;
  const columns = dataset.columns?.join(', ') ?? '*';
  const parameters = Object.entries(dataset.parameters ?? {}).map(([name, value]) => ({ name, value }));
  const wait = { signal: access.signal };
  // The temp table takes the columns' types from the table; the rows come in a DML statement,
  // where statement parameters are certain to be accepted.
  const opened = await runStatement(
    client,
    { ...connectionOf(dataset, label), Sql: `CREATE TEMP TABLE ${temp} AS SELECT ${columns} FROM ${dataset.redshift} WHERE false`, SessionKeepAliveSeconds: SESSION_SECONDS },
    `staging ${label}`,
    wait,
  );
  if (!opened.sessionId) throw new UsageError(`${label}: the Data API returned no session id, which reading a table needs (SessionKeepAliveSeconds)`);
  const inSession = (Sql: string, values = false): ExecuteStatementInput => ({ Sql, SessionId: opened.sessionId, ...(values && parameters.length > 0 ? { Parameters: parameters } : {}) });
  await runStatement(client, inSession(`INSERT INTO ${temp} SELECT ${columns} FROM ${dataset.redshift}${dataset.where ? ` WHERE ${dataset.where}` : ''}`, true), `staging ${label}`, wait);
  const from = `${label}${dataset.where ? ' (where:)' : ''}`;

  if (dataset.directRowsUnder !== undefined) {
    const counted = await runStatement(client, inSession(`SELECT count(*) AS n FROM ${temp}`), `counting ${label}`, wait);
    const rows = await countOf(client, counted.id, access.signal);
    if (rows < dataset.directRowsUnder) {
      const read = await runStatement(client, inSession(`SELECT * FROM ${temp}`), `reading ${label}`, wait);
      const registered = await registerResult(session, viewName, client, read.id, access.signal);
      return { ...registered, rows, source: { format: 'result', from } };
    }
    if (!dataset.unload) throw new UsageError(`${label} has ${rows} rows, not under directRowsUnder (${dataset.directRowsUnder}), and no unload: to write them to`);
  }
  const unload = dataset.unload;
  if (!unload) throw new UsageError(`${label}: set unload: { to, iamRole } (or directRowsUnder)`);
  const prefix = renderTemplate(unload.to, { period: '', params: {}, run });
  const statement = (format: 'parquet' | 'text') =>
    inSession(`UNLOAD ('SELECT * FROM ${temp}') TO ${sqlString(prefix)} IAM_ROLE ${sqlString(unload.iamRole)}${format === 'parquet' ? ' FORMAT AS PARQUET' : ' ESCAPE'} MANIFEST VERBOSE`);
  let format = unload.format;
  let registered: RegisteredDataset;
  try {
    try {
      await runStatement(client, statement(format), `UNLOAD of ${label}`, wait);
    } catch (err) {
      // A cluster (or a column type) that cannot write Parquet: the text format reads everything.
      if (!(format === 'parquet' && err instanceof StatementFailedError && /parquet/i.test(err.redshiftError))) throw err;
      await removeFiles(access, prefix);
      format = 'text';
      await runStatement(client, statement(format), `UNLOAD of ${label}`, wait);
    }
    const readAccess = { ...access, httpfs: 'never' as const };
    registered = format === 'parquet' ? await registerParquetUnload(session, viewName, prefix, readAccess, options) : await registerText(session, viewName, { path: prefix, format: 'unload', csv: { escape: true } }, readAccess, options);
  } catch (err) {
    // The first error is the one to report; the files go anyway, as far as S3 lets them.
    await removeFiles(access, prefix).catch(() => undefined);
    throw err;
  }
  // Read (downloaded) before this: the view no longer needs the objects.
  await removeFiles(access, prefix);
  return { ...registered, source: { format: registered.source.format, location: prefix, from } };
}

/** The connection fields of ExecuteStatement (the catalog filled them from the legacy engine when unset). */
function connectionOf(d: RedshiftDataset, label: string): Pick<ExecuteStatementInput, 'ClusterIdentifier' | 'WorkgroupName' | 'Database' | 'SecretArn' | 'DbUser'> {
  if (!d.clusterIdentifier && !d.workgroupName) throw new UsageError(`${label}: set clusterIdentifier or workgroupName (or use it beside an engine: redshift legacy side)`);
  if (!d.database) throw new UsageError(`${label}: set database`);
  return { ClusterIdentifier: d.clusterIdentifier, WorkgroupName: d.workgroupName, Database: d.database, SecretArn: d.secretArn, DbUser: d.dbUser };
}

/** A Parquet UNLOAD: its part files, or with zero rows (no parts) an empty view typed by the verbose manifest. */
async function registerParquetUnload(session: DuckDbSession, viewName: string, prefix: string, access: DatasetAccess, options: RegisterOptions): Promise<RegisteredDataset> {
  const loc = parseS3Url(`${prefix}manifest`);
  if (!access.s3) throw new UsageError(`${prefix}: reading from S3 needs an S3 client`);
  const manifest = parseManifest((await getS3Object(access.s3.client, loc.bucket, loc.prefix, access.signal)).toString('utf8'), `${prefix}manifest`);
  if (manifest.urls.length > 0) return registerDataset(session, viewName, { path: prefix, format: 'parquet' }, access, options);
  const view = quoteIdent(viewName);
  const cols = (manifest.schema ?? []).map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`);
  if (cols.length === 0) throw new UsageError(`${prefix}manifest lists no files and no schema`);
  await session.run(`CREATE OR REPLACE TEMP VIEW ${view} AS SELECT ${cols.join(', ')} WHERE false`);
  return { view, via: 'download', files: [], columns: await describeRelation(session, view), source: { format: 'parquet' }, rows: 0 };
}

async function countOf(client: RedshiftDataClient, id: string, signal?: AbortSignal): Promise<number> {
  for await (const page of resultPages(client, id, signal)) {
    const f = page.Records?.[0]?.[0];
    if (f) return Number(f.longValue ?? f.stringValue ?? 0);
  }
  return 0;
}

/** A small result set into a DuckDB table, typed from the result's column metadata. */
async function registerResult(session: DuckDbSession, viewName: string, client: RedshiftDataClient, id: string, signal?: AbortSignal): Promise<RegisteredDataset> {
  const view = quoteIdent(viewName);
  let types: string[] | undefined;
  for await (const page of resultPages(client, id, signal)) {
    if (!types) {
      const meta = page.ColumnMetadata ?? [];
      types = meta.map((c) => redshiftType({ base: c.typeName ?? '', precision: c.precision, scale: c.scale }, `redshift column ${c.name}`));
      await session.run(`CREATE OR REPLACE TEMP TABLE ${view} (${meta.map((c, i) => `${quoteIdent(c.name ?? `column${i + 1}`)} ${types![i]}`).join(', ')})`);
    }
    const rows = page.Records ?? [];
    for (let i = 0; i < rows.length; i += 500) {
      const values = rows.slice(i, i + 500).map((r) => `(${r.map((f, j) => literal(f, types![j]!)).join(', ')})`);
      await session.run(`INSERT INTO ${view} VALUES ${values.join(', ')}`);
    }
  }
  return { view, via: 'download', files: [], columns: await describeRelation(session, view), source: { format: 'result' } };
}

/** One Data API field as a DuckDB literal of its column's type. */
function literal(f: Field, type: string): string {
  if (f.isNull) return 'NULL';
  const text = f.stringValue ?? (f.longValue !== undefined ? String(f.longValue) : f.doubleValue !== undefined ? String(f.doubleValue) : f.booleanValue !== undefined ? String(f.booleanValue) : f.blobValue ? Buffer.from(f.blobValue).toString('hex') : '');
  return `CAST(${sqlString(text)} AS ${type})`;
}

/** Deletes every object under the UNLOAD's own prefix (it holds `{{run}}`, so nothing else is there). */
async function removeFiles(access: DatasetAccess, prefix: string): Promise<void> {
  const s3 = access.s3;
  if (!s3) return;
  const loc = parseS3Url(prefix, { prefix: true });
  const objects = await listS3Objects(s3.client, loc);
  await Promise.all(objects.map((o) => callS3(`delete s3://${loc.bucket}/${o.key}`, () => s3.client.send(new DeleteObjectCommand({ Bucket: loc.bucket, Key: o.key })))));
}
