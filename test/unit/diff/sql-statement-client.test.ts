import { afterEach, describe, expect, it } from 'vitest';
import { SqlStatementClient } from '../../../src/diff/index.ts';
import { ApiError, parseRetryAfter, QueryError } from '../../../src/errors.ts';
import { backoffFor, RETRY_AFTER_CAP_MS } from '../../../src/jobs/engine-errors.ts';
import { startFakeSqlWarehouse, type FakeAnswer, type FakeSqlWarehouse } from '../../fakes/databricks-sql-server.ts';

let fake: FakeSqlWarehouse | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(answer: (statement: string) => FakeAnswer, chunkSize?: number) {
  fake = await startFakeSqlWarehouse({ token: 'dapi-test', answer: (req) => answer(req.statement ?? ''), chunkSize });
  const client = new SqlStatementClient({ host: fake.url, getToken: async () => 'dapi-test', warehouseId: 'wh-1', pollIntervalMs: 5 });
  return { fake, client };
}

describe('SqlStatementClient', () => {
  it('polls a pending statement to success and follows every result chunk', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => [String(i), i % 2 ? null : `v${i}`]);
    const { fake, client } = await setup(() => ({ columns: [{ name: 'id', type_name: 'INT' }, { name: 'v' }], rows, pendingPolls: 2 }), 3);
    const result = await client.execute('SELECT id, v FROM t');
    expect(result.rows).toEqual(rows);
    expect(result.columns).toEqual([{ name: 'id', typeName: 'INT' }, { name: 'v', typeName: 'STRING' }]);
    expect(fake.executed[0]).toMatchObject({ warehouse_id: 'wh-1', statement: 'SELECT id, v FROM t', wait_timeout: '10s', on_wait_timeout: 'CONTINUE', format: 'JSON_ARRAY', disposition: 'INLINE' });
    const paths = fake.requests.map((r) => r.replace(/01ef-\d+/, 'ID'));
    expect(paths).toEqual([
      'POST /api/2.0/sql/statements',
      'GET /api/2.0/sql/statements/ID',
      'GET /api/2.0/sql/statements/ID',
      'GET /api/2.0/sql/statements/ID/result/chunks/1',
      'GET /api/2.0/sql/statements/ID/result/chunks/2',
    ]);
  });

  it('returns rows as objects and sends named parameters', async () => {
    const { fake, client } = await setup(() => ({ columns: [{ name: 'column_name' }, { name: 'full_data_type' }], rows: [['id', 'bigint']] }));
    const rows = await client.query('SELECT column_name, full_data_type FROM x WHERE table_name = :table', { parameters: [{ name: 'table', value: 'orders' }] });
    expect(rows).toEqual([{ column_name: 'id', full_data_type: 'bigint' }]);
    expect(fake.executed[0]?.parameters).toEqual([{ name: 'table', value: 'orders' }]);
  });

  it('turns a FAILED statement into a QueryError with the error code; retryable only when transient', async () => {
    const { client } = await setup((sql) => ({
      error: sql.includes('busy') ? { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'warehouse is starting' } : { error_code: 'BAD_REQUEST', message: '[TABLE_OR_VIEW_NOT_FOUND] t' },
    }));
    const err = await client.execute('SELECT * FROM t').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryError);
    expect(err).toMatchObject({ code: 'query_failed', engine: 'databricks-sql', kind: 'BAD_REQUEST', sqlState: '42000', retryable: false });
    expect((err as Error).message).toContain('TABLE_OR_VIEW_NOT_FOUND');
    await expect(client.execute('SELECT busy')).rejects.toMatchObject({ kind: 'TEMPORARILY_UNAVAILABLE', retryable: true });
  });

  it('reports a rejected request (bad token) with its HTTP status', async () => {
    const { fake } = await setup(() => ({ rows: [] }));
    const client = new SqlStatementClient({ host: fake.url, getToken: async () => 'wrong', warehouseId: 'wh-1' });
    await expect(client.execute('SELECT 1')).rejects.toMatchObject({ statusCode: 401, apiCode: 'UNAUTHENTICATED', retryable: false });
  });

  it('cancels the statement when the caller aborts while it runs', async () => {
    const { fake, client } = await setup(() => ({ rows: [['1']], pendingPolls: 1000 }));
    const controller = new AbortController();
    const run = client.execute('SELECT slow()', { signal: controller.signal });
    // Abort once the statement is running (its id known and polled), not at a fixed time: on a busy
    // machine a fixed 30 ms could fall inside the submit, when there is no statement to cancel yet.
    while (!fake.requests.some((r) => r.startsWith('GET '))) await new Promise((r) => setTimeout(r, 5));
    controller.abort(new Error('stop'));
    await expect(run).rejects.toThrow('stop');
    expect(fake.cancelled).toHaveLength(1);
  });
});

describe('limits on waiting', () => {
  it('finding 21: a statement still running at the deadline is cancelled, and the error says so', async () => {
    const { fake } = await setup(() => ({ rows: [['1']], pendingPolls: 100_000 }));
    {
      const client = new SqlStatementClient({ host: fake.url, getToken: async () => 'dapi-test', warehouseId: 'wh-1', pollIntervalMs: 5, maxPollIntervalMs: 20, timeoutMs: 300 });
      const err = await client.execute('SELECT slow()').then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(QueryError);
      expect(err).toMatchObject({ code: 'query_failed', kind: 'TIMEOUT', retryable: false });
      expect((err as Error).message).toMatch(/still (PENDING|RUNNING) after 300 ms, the limit \(CUTOVER_SQL_STATEMENT_TIMEOUT_MS\); Cutover cancelled it/);
      expect(fake.cancelled).toHaveLength(1);
    }
  });

  it('finding 21: a Retry-After of days is capped when a job is retried', () => {
    const days = new ApiError({ service: 'airflow', message: 'busy', statusCode: 503, retryAfterMs: parseRetryAfter('864000') });
    expect(backoffFor(3, days, 5 * 60_000)).toBe(5 * 60_000);
    const date = new ApiError({ service: 'databricks', message: 'busy', statusCode: 429, retryAfterMs: parseRetryAfter('Wed, 01 Jan 2031 00:00:00 GMT') });
    expect(backoffFor(1, date)).toBe(RETRY_AFTER_CAP_MS);
    const short = new ApiError({ service: 'databricks', message: 'busy', statusCode: 429, retryAfterMs: 2000 });
    expect(backoffFor(1, short)).toBe(2000);
  });
});
