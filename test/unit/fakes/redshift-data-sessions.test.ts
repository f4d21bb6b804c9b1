import { DescribeStatementCommand, ExecuteStatementCommand, RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeRedshiftData, type FakeRedshiftDataOptions } from '../../fakes/redshift-data-server.ts';

/**
 * Data API sessions in the fake, through the real SDK client: capacity is answered at once with
 * the service's errors (ActiveSessionsExceededException, ActiveStatementsExceededException), never
 * waited for; a session lapses its keep-alive after its last statement finishes, never while one
 * runs, and gives its connection back.
 */
const open: Array<{ fake: FakeRedshiftData; client: RedshiftDataClient }> = [];
afterEach(async () => {
  for (const { fake, client } of open.splice(0)) {
    client.destroy();
    await fake.close();
  }
});

async function start(options: FakeRedshiftDataOptions = {}) {
  const fake = new FakeRedshiftData(options);
  const url = await fake.start();
  const client = new RedshiftDataClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  open.push({ fake, client });
  return { fake, client };
}

const cluster = { ClusterIdentifier: 'finance-prod', Database: 'dev' };
const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as { name: string; message: string; $fault: string; $metadata: { httpStatusCode?: number } });

/** DescribeStatement until the statement ends, or 'still SUBMITTED' etc. after `ms`: a fake that waits for a connection never ends it. */
async function settle(client: RedshiftDataClient, id: string, ms = 5000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const d = await client.send(new DescribeStatementCommand({ Id: id }));
    if (d.Status === 'FINISHED' || d.Status === 'FAILED' || d.Status === 'ABORTED') return d.Status === 'FAILED' ? `FAILED: ${d.Error}` : d.Status;
    if (Date.now() > deadline) return `still ${d.Status} after ${ms} ms`;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the fake Redshift Data API at its limits', () => {
  it('a session beyond the limit is ActiveSessionsExceededException at once, every session it accepted runs, and a statement outside a session still runs', async () => {
    const { client } = await start();
    const accepted: string[] = [];
    let refused: Awaited<ReturnType<typeof refusal>>;
    const t0 = Date.now();
    for (let i = 0; i < 20 && !refused; i++) {
      const sent = client.send(new ExecuteStatementCommand({ ...cluster, Sql: 'SELECT 1', SessionKeepAliveSeconds: 300 }));
      refused = await refusal(sent);
      if (!refused) {
        const { Id } = await sent;
        expect(await settle(client, Id!)).toBe('FINISHED');
        accepted.push(Id!);
      }
    }
    expect(refused).toMatchObject({ name: 'ActiveSessionsExceededException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: expect.stringMatching(/active sessions/) });
    expect(accepted.length).toBeGreaterThan(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const plain = await client.send(new ExecuteStatementCommand({ ...cluster, Sql: 'SELECT 1' }));
    expect(await settle(client, plain.Id!)).toBe('FINISHED');
  });

  it('statements outside a session beyond the limit are ActiveStatementsExceededException at once; the running ones finish', async () => {
    const { client } = await start({ maxStatements: 2 });
    const slow = await Promise.all([1, 2].map(() => client.send(new ExecuteStatementCommand({ ...cluster, Sql: 'SELECT pg_sleep(0.5)' }))));
    expect(await refusal(client.send(new ExecuteStatementCommand({ ...cluster, Sql: 'SELECT 1' })))).toMatchObject({ name: 'ActiveStatementsExceededException', $metadata: { httpStatusCode: 400 } });
    for (const s of slow) expect(await settle(client, s.Id!)).toBe('FINISHED');
    const after = await client.send(new ExecuteStatementCommand({ ...cluster, Sql: 'SELECT 1' }));
    expect(await settle(client, after.Id!)).toBe('FINISHED');
  });

  it('a lapsed session is closed and refused, and its connection serves a new session', async () => {
    const { fake, client } = await start({ maxSessions: 1, msPerKeepAliveSecond: 100 });
    const first = await client.send(new ExecuteStatementCommand({ ...cluster, Sql: 'CREATE TEMP TABLE t AS SELECT 1 AS x', SessionKeepAliveSeconds: 3 }));
    expect(await settle(client, first.Id!)).toBe('FINISHED');
    expect(await refusal(client.send(new ExecuteStatementCommand({ ...cluster, Sql: 'SELECT 1', SessionKeepAliveSeconds: 3 })))).toMatchObject({ name: 'ActiveSessionsExceededException' });
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.openSessions()).toEqual([]);
    expect(await refusal(client.send(new ExecuteStatementCommand({ Sql: 'SELECT * FROM t', SessionId: first.SessionId })))).toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/not active/) });
    const second = await client.send(new ExecuteStatementCommand({ ...cluster, Sql: 'SELECT 1', SessionKeepAliveSeconds: 3 }));
    expect(await settle(client, second.Id!)).toBe('FINISHED');
    expect(fake.pool.totalCount).toBeLessThanOrEqual(2);
  });

  it('a session does not lapse while its statement runs longer than the keep-alive', async () => {
    const { client } = await start();
    const first = await client.send(new ExecuteStatementCommand({ ...cluster, Sql: 'CREATE TEMP TABLE t AS SELECT 1 AS x', SessionKeepAliveSeconds: 1 }));
    expect(await settle(client, first.Id!)).toBe('FINISHED');
    const slow = await client.send(new ExecuteStatementCommand({ Sql: 'SELECT pg_sleep(1.5), x FROM t', SessionId: first.SessionId }));
    expect(await settle(client, slow.Id!)).toBe('FINISHED');
    const next = await client.send(new ExecuteStatementCommand({ Sql: 'SELECT x FROM t', SessionId: first.SessionId }));
    expect(await settle(client, next.Id!)).toBe('FINISHED');
  });
});
