import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runChecks } from '../../../src/checks/index.ts';
import { duckDbQueryError, warehouseQueryError } from '../../../src/diff/query-errors.ts';
import { diffDatasets, withDuckDb } from '../../../src/diff/index.ts';
import { ApiError, NotFoundError, QueryError, UnsupportedError } from '../../../src/errors.ts';
import { pipelineOf } from '../checks/helpers.ts';
import { tempDir, writeFiles } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
let good: string;
let corrupt: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  good = join(dir, 'good.parquet');
  corrupt = join(dir, 'corrupt.parquet');
  await writeFiles({ [good]: 'SELECT i AS id, i * 2 AS v FROM range(100) t(i)' });
  // The same file cut short, as an interrupted copy leaves it: the footer is gone.
  const bytes = await readFile(good);
  await writeFile(corrupt, bytes.subarray(0, bytes.length - 50));
});
afterAll(() => cleanup());

const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

describe('one classifier for SQL errors (DuckDB and the warehouse)', () => {
  it('a corrupt Parquet file is a permanent error naming the file, on the diff and on the checks alike', async () => {
    // DuckDB's input error (a non-retryable QueryError) reaches the user as the reader's one line.
    const err = await failure(diffDatasets({ legacy: { path: good, format: 'parquet' }, target: { path: corrupt, format: 'parquet' }, key: ['id'] }));
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as UnsupportedError).cause).toMatchObject({ code: 'query_failed', engine: 'duckdb', kind: 'Invalid Input', retryable: false });
    expect((err as Error).message).toBe(`${corrupt}: cannot be read as parquet: not a Parquet file (no magic bytes at its end); for CSV text give the format (--format csv)`);

    const result = await runChecks({ pipelineName: 'p', period: '2024-05', pipeline: pipelineOf({ name: 'o', target: corrupt, checks: [{ not_null: ['id'] }] }) });
    expect(result.checks[0]).toMatchObject({ passed: false, error: expect.stringContaining('not a Parquet file') });
  });

  it('bad SQL, a missing column and a type mismatch are permanent; I/O and HTTP 5xx are retryable', async () => {
    const kinds = await withDuckDb({}, async (db) => {
      await db.run(`CREATE VIEW t AS SELECT * FROM read_parquet('${good}')`);
      const out: Array<[string, boolean]> = [];
      for (const sql of ['SELEC 1', 'SELECT nope FROM t', `SELECT CAST('x' || id AS INTEGER) FROM t`, `SELECT * FROM read_parquet('${join(dir, 'missing', '*.parquet')}')`]) {
        const e = (await failure(db.all(sql))) as QueryError;
        out.push([e.kind, e.retryable]);
      }
      return out;
    });
    expect(kinds).toEqual([['Parser', false], ['Binder', false], ['Conversion', false], ['IO', false]]);
    const io = (message: string) => (duckDbQueryError(new Error(message)) as QueryError).retryable;
    expect(io(`HTTP Error: HTTP GET error on 's3://b/k.parquet' (HTTP 503 Service Unavailable)`)).toBe(true);
    expect(io(`HTTP Error: HTTP GET error on 's3://b/k.parquet' (HTTP 403 Forbidden)`)).toBe(false);
    expect(io('IO Error: Connection error for HTTP HEAD to s3://b/k.parquet')).toBe(true);
    expect(io('Out of Memory Error: could not allocate block of size 256 KiB')).toBe(false);
  });

  it('leaves coded errors (a reader’s, S3’s) as they are', () => {
    for (const e of [new UnsupportedError('x: deletion vectors', 'deletionVectors'), new NotFoundError('gone'), new ApiError({ service: 's3', message: 'slow down', statusCode: 503 })]) {
      expect(duckDbQueryError(e)).toBe(e);
    }
  });

  it('classifies a warehouse statement by its error code and SQLSTATE class', () => {
    const w = (errorCode: string | undefined, sqlState?: string) => warehouseQueryError({ statementId: 's1', state: 'FAILED', errorCode, message: 'm', sqlState }).retryable;
    expect(w('BAD_REQUEST', '42703')).toBe(false); // unresolved column
    expect(w('BAD_REQUEST', '22018')).toBe(false); // cast failed
    expect(w(undefined, '08006')).toBe(true); // connection failure
    expect(w('TEMPORARILY_UNAVAILABLE')).toBe(true);
    expect(warehouseQueryError({ statementId: 's1', state: 'CANCELED' }).retryable).toBe(false);
  });

  it('a transient warehouse error stops the checks so the job retries, instead of failing a check', async () => {
    const warehouse = async () => {
      throw warehouseQueryError({ statementId: 's1', state: 'FAILED', errorCode: 'TEMPORARILY_UNAVAILABLE', message: 'warehouse is starting' });
    };
    const pipeline = pipelineOf({ name: 'o', target: 'main.sales.orders', checks: [{ not_null: ['id'] }] });
    await expect(runChecks({ pipelineName: 'p', period: '2024-05', pipeline, warehouse })).rejects.toMatchObject({ code: 'query_failed', retryable: true });
  });
});
