import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDatabricks } from '../fakes/databricks-server.ts';
import { startFakeS3, type FakeS3 } from '../fakes/s3-server.ts';
import { runCutoverCli } from '../helpers/cli-process.ts';
import { DeltaWriter, tableObjects } from '../helpers/delta-writer.ts';
import { tempDir, writeFiles } from '../unit/diff/helpers.ts';

/** `cutover diff` on Delta tables: `--*-version` picks the snapshot, `uc:` reads a Unity Catalog table. */
let dir: string;
let cleanup: () => Promise<void>;
let table: string;
let s3: FakeS3;
const databricks = new FakeDatabricks({ tokens: ['dapi-cli'] });
let env: Record<string, string>;

const rows = (from: number, to: number) => `SELECT i::BIGINT AS id, 'v' || i AS v FROM range(${from}, ${to}) t(i)`;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const w = await DeltaWriter.create(join(dir, 'table'), [{ name: 'id', type: 'long' }, { name: 'v', type: 'string' }]);
  await w.append([await w.dataFile(rows(0, 10))]);
  await w.append([await w.dataFile(rows(10, 12))]);
  await w.close();
  table = w.root;
  await writeFiles({ [join(dir, 'legacy.parquet')]: rows(0, 10) });
  s3 = await startFakeS3();
  const url = await databricks.start();
  for (const o of await tableObjects(table, 'tables/t1/')) s3.put('lake', o.key, o.body);
  s3.restrict('lake', 'tables/t1/', 'ASIACLITEMP');
  databricks.addUnityCatalogTable({ fullName: 'main.sales.t1', tableId: 't1-id', storageLocation: 's3://lake/tables/t1/', credentials: { access_key_id: 'ASIACLITEMP', secret_access_key: 's', session_token: 't' } });
  databricks.addUnityCatalogTable({ fullName: 'main.sales.p1', tableId: 'p1-id', storageLocation: 's3://lake/tables/t1/', format: 'PARQUET', credentials: { access_key_id: 'x', secret_access_key: 's', session_token: 't' } });
  databricks.addUnityCatalogTable({ fullName: 'main.sales.v1', tableId: 'v1-id', storageLocation: 's3://lake/tables/t1/', tableType: 'VIEW', credentials: { access_key_id: 'x', secret_access_key: 's', session_token: 't' } });
  env = { DATABRICKS_HOST: url, DATABRICKS_TOKEN: 'dapi-cli', AWS_ENDPOINT_URL_S3: s3.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDCLI', AWS_SECRET_ACCESS_KEY: 'x' };
});
afterAll(async () => {
  await databricks.stop();
  await s3.close();
  await cleanup();
});

// Each case spawns the CLI (tsx) twice: seconds each on a busy 2-core machine.
describe('cutover diff on Delta tables', { timeout: 120_000 }, () => {
  it('detects a Delta folder, reads --target-version N, and names the version in --json', async () => {
    const at1 = await runCutoverCli(['diff', '--legacy', join(dir, 'legacy.parquet'), '--target', table, '--key', 'id', '--target-version', '1', '--json']);
    expect(at1.code, at1.stderr).toBe(0);
    expect(JSON.parse(at1.stdout).sources.target).toMatchObject({ format: 'delta', version: 1 });
    const latest = await runCutoverCli(['diff', '--legacy', join(dir, 'legacy.parquet'), '--target', table, '--key', 'id', '--target-version', 'latest', '--json']);
    expect(latest.code).toBe(1);
    expect(JSON.parse(latest.stdout)).toMatchObject({ verdict: 'different', counts: { onlyTarget: 2 }, sources: { target: { version: 2 } } });
  });

  it('refuses a bad version and a Delta folder forced to parquet, with exit 2', async () => {
    const bad = await runCutoverCli(['diff', '--legacy', join(dir, 'legacy.parquet'), '--target', table, '--key', 'id', '--target-version', 'v3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--target-version must be a version number or latest/);
    const forced = await runCutoverCli(['diff', '--legacy', join(dir, 'legacy.parquet'), '--target', table, '--key', 'id', '--format', 'parquet']);
    expect(forced.code).toBe(2);
    expect(forced.stderr).toMatch(/is a Delta table/);
  });

  it('reads uc:catalog.schema.table through Unity Catalog and its temporary credentials; refuses a view and a non-Delta table', async () => {
    const r = await runCutoverCli(['diff', '--legacy', join(dir, 'legacy.parquet'), '--target', 'uc:main.sales.t1', '--key', 'id', '--target-version', '1', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).sources.target).toMatchObject({ format: 'delta', version: 1, location: 's3://lake/tables/t1/' });
    const view = await runCutoverCli(['diff', '--legacy', join(dir, 'legacy.parquet'), '--target', 'uc:main.sales.v1', '--key', 'id'], env);
    expect(view.code).toBe(2);
    expect(view.stderr).toMatch(/main\.sales\.v1 is a view/);
    const parquet = await runCutoverCli(['diff', '--legacy', join(dir, 'legacy.parquet'), '--target', 'uc:main.sales.p1', '--key', 'id'], env);
    expect(parquet.code).toBe(2);
    expect(parquet.stderr).toMatch(/main\.sales\.p1 is a PARQUET table: Cutover reads Unity Catalog tables in the Delta format/);
  });
});
