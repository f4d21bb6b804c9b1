import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { duckDbQueryError } from './query-errors.ts';
import type { EngineOptions } from './types.ts';

/** A DuckDB connection with its own scratch folder; what the diff and the DQ checks run SQL on. */
export interface DuckDbSession {
  readonly connection: DuckDBConnection;
  /** Removed when the session ends: S3 downloads go under it. */
  readonly workDir: string;
  run(sql: string): Promise<void>;
  /** Rows as plain JSON values (BIGINT and DECIMAL arrive as strings); `values` bind `$name` parameters as VARCHAR. */
  all(sql: string, values?: Readonly<Record<string, string>>): Promise<Record<string, unknown>[]>;
  /** Runs a statement that yields one row. */
  one(sql: string): Promise<Record<string, unknown>>;
}

export const DEFAULT_ENGINE_OPTIONS = { memoryLimit: '1GB', threads: 2 } as const;

/**
 * Opens one DuckDB instance for the callback and always cleans up: the instance is closed and
 * the scratch folder (spill files, downloads) removed, also when the callback throws.
 *
 * Settings: `memory_limit` + `temp_directory` so a large join spills instead of failing;
 * `threads`; `preserve_insertion_order=false` so big intermediate results need not be kept in
 * order (less memory); extensions are never downloaded (`autoinstall_known_extensions=false`),
 * and the session time zone is UTC so timestamps canonicalise the same everywhere.
 */
export async function withDuckDb<T>(
  options: EngineOptions & { signal?: AbortSignal },
  fn: (session: DuckDbSession) => Promise<T>,
): Promise<T> {
  options.signal?.throwIfAborted();
  const workDir = await mkdtemp(join(options.tempDir ?? tmpdir(), 'cutover-duckdb-'));
  let instance: DuckDBInstance | undefined;
  let connection: DuckDBConnection | undefined;
  // A job being cancelled interrupts the running query instead of waiting for it.
  const interrupt = () => connection?.interrupt();
  options.signal?.addEventListener('abort', interrupt, { once: true });
  try {
    const spill = join(workDir, 'spill');
    await mkdir(spill);
    instance = await DuckDBInstance.create(':memory:', {
      memory_limit: options.memoryLimit ?? DEFAULT_ENGINE_OPTIONS.memoryLimit,
      threads: String(options.threads ?? DEFAULT_ENGINE_OPTIONS.threads),
      temp_directory: spill,
      preserve_insertion_order: 'false',
      autoinstall_known_extensions: 'false',
    });
    connection = await instance.connect();
    const conn = connection;
    // An abort that came while the instance was being created found no connection to interrupt,
    // and one between two statements finds nothing running: each statement checks first.
    const notAborted = () => options.signal?.throwIfAborted();
    notAborted();
    // TimeZone needs ICU, which is loaded only once a connection exists.
    await conn.run(`SET TimeZone = 'UTC'`);
    // Every statement's error is classified here, once (src/diff/query-errors.ts): a corrupt file or
    // bad SQL is permanent, an I/O failure retryable, and neither carries the statement's text.
    const timed = async <T>(sql: string, work: Promise<T>): Promise<T> => {
      const started = performance.now();
      let result: T;
      try {
        result = await work;
      } catch (err) {
        throw options.signal?.aborted ? err : duckDbQueryError(err);
      }
      options.onStatement?.(sql, performance.now() - started);
      return result;
    };
    const all = async (sql: string, values?: Readonly<Record<string, string>>) => {
      notAborted();
      return (await timed(sql, conn.runAndReadAll(sql, values ? { ...values } : undefined))).getRowObjectsJson() as Record<string, unknown>[];
    };
    const session: DuckDbSession = {
      connection: conn,
      workDir,
      run: async (sql) => {
        notAborted();
        await timed(sql, conn.run(sql));
      },
      all,
      one: async (sql) => {
        const [row] = await all(sql);
        if (!row) throw new Error(`expected one row from: ${sql.slice(0, 120)}`);
        return row;
      },
    };
    return await fn(session);
  } catch (err) {
    throw options.signal?.aborted ? options.signal.reason : err;
  } finally {
    options.signal?.removeEventListener('abort', interrupt);
    connection?.closeSync();
    instance?.closeSync();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** A SQL string literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
