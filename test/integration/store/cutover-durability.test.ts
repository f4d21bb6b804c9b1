import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog, type StoredAuditEvent } from '../../../src/store/audit-log.ts';
import { CutoverStore } from '../../../src/store/cutover-store.ts';
import { keyspace } from '../../../src/store/redis.ts';

/**
 * Approvals and their audit events survive a hard crash of Redis: our own redis-server with
 * an fsync'ed append-only file is SIGKILLed right after the writes and started again on the
 * same directory. (The shared test Redis cannot be killed, hence a private one.)
 */

let dir = '';
let server: ChildProcess | undefined;
const clients: Redis[] = [];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], {
    stdio: 'ignore',
  });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`))));
  exited.catch(() => undefined);
  for (let i = 0; i < 100; i++) {
    const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined); // refused while the server starts: expected, retried below
    try {
      await Promise.race([probe.connect().then(() => probe.ping()), exited]);
      return child;
    } catch (err) {
      if (child.exitCode !== null) throw err;
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      probe.disconnect();
    }
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server on port ${port} did not come up`);
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

function connect(port: number): Redis {
  const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  clients.push(c);
  return c;
}

afterAll(async () => {
  for (const c of clients) c.disconnect();
  if (server) await kill(server);
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('CutoverStore durability', () => {
  it('keeps every approval and audit event across a SIGKILL of redis-server', async () => {
    dir = await mkdtemp(join(tmpdir(), 'cutover-redis-'));
    const port = await freePort();
    server = await startRedis(port);
    const keys = keyspace('durable');
    const T0 = Date.UTC(2024, 5, 1);

    const before = connect(port);
    const store = new CutoverStore(before, keys);
    const created = await store.createRequest(
      { pipeline: 'incites-monthly', step: 'switch-primary', kind: 'execute', requestedBy: 'U0ALICE', planVersion: 'abc123', min: 2, ttlHours: 24, actions: [{ stage: 'live' }] },
      T0,
    );
    if (created.outcome !== 'created') throw new Error(`not created: ${created.outcome}`);
    const id = created.request.id;
    expect((await store.approve(id, 'U0BOB', 'bob', 'abc123', T0 + 1)).outcome).toBe('counted');
    expect((await store.approve(id, 'U0CAROL', 'carol', 'abc123', T0 + 2)).outcome).toBe('approved');
    await store.setStepState('incites-monthly', 'switch-primary', ['approved'], 'executing', { actor: 'cutover' }, {}, { now: T0 + 3 });
    const trailBefore = await collect(new AuditLog(before, keys));
    expect(trailBefore).toHaveLength(5);

    const firstPid = server.pid;
    before.disconnect();
    await kill(server);
    server = await startRedis(port);
    expect(server.pid).not.toBe(firstPid);

    const after = connect(port);
    const revived = new CutoverStore(after, keys);
    const request = await revived.requireRequest(id);
    expect(request).toMatchObject({ state: 'approved', approvals: [{ user: 'U0BOB', name: 'bob', at: T0 + 1 }, { user: 'U0CAROL', name: 'carol', at: T0 + 2 }] });
    expect(await revived.getStep('incites-monthly', 'switch-primary')).toMatchObject({ state: 'executing', requestId: id });
    expect(await collect(new AuditLog(after, keys))).toEqual(trailBefore);
  });
});

async function collect(log: AuditLog): Promise<StoredAuditEvent[]> {
  const all: StoredAuditEvent[] = [];
  for await (const e of log.all('incites-monthly')) all.push(e);
  return all;
}
