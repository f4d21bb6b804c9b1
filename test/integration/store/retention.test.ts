import { WebClient } from '@slack/web-api';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandDeps } from '../../../src/commands/command-deps.ts';
import { newRunRecord } from '../../../src/commands/new-run-record.ts';
import { diffCommand } from '../../../src/commands/parallel.ts';
import { loadConfig } from '../../../src/config/load-config.ts';
import { parseCatalog } from '../../../src/config/load-catalog.ts';
import { Permissions } from '../../../src/handlers/permissions.ts';
import { Queues } from '../../../src/jobs/queues.ts';
import { AuditLog } from '../../../src/store/audit-log.ts';
import { periodsBetween, type BackfillRecord } from '../../../src/store/backfill-record.ts';
import { BackfillStore, newBackfillId } from '../../../src/store/backfill-store.ts';
import { CutoverExecStore } from '../../../src/store/cutover-exec-store.ts';
import type { DqAlertRecord } from '../../../src/store/dq-alert-record.ts';
import { DqAlertStore } from '../../../src/store/dq-alert-store.ts';
import { ParallelStore } from '../../../src/store/parallel-store.ts';
import { keyspace } from '../../../src/store/redis.ts';
import { DEFAULT_RETENTION } from '../../../src/store/retention.ts';
import { RunStore } from '../../../src/store/run-store.ts';
import { deletePrefix, REDIS_URL, testRedis, uniquePrefix } from '../../helpers/redis.ts';

/**
 * Issue 14, finding 10: nothing Cutover stores lives for ever in a `noeviction` Redis. Each
 * artifact gets its expiry in the write that stores it; work in progress never expires; the
 * audit stream is trimmed only when asked; `/pipeline diff` needs the diff permission and one
 * person can run only so many at once.
 */
const catalog = parseCatalog(`
pipelines:
  ledger:
    channel: C0LEDGER
    owners: [U0OWNER]
    stage: parallel
    target: { engine: databricks, jobId: 8 }
    outputs:
      - name: totals
        key: [id]
        legacy: { path: "s3://legacy/totals/{{period}}/" }
        target: { path: "s3://target/totals/{{period}}/" }
permissions:
  diff: [U0ALICE, U0BOB]
`);
const RETENTION = { recordsMs: 3_600_000, reportsMs: 600_000, auditMaxLen: 0 };
const redis = testRedis();
const queueConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
const prefix = uniquePrefix('retention');
const keys = keyspace(prefix, RETENTION);
const queues = new Queues(queueConnection, keys.bullPrefix);
const runs = new RunStore(redis, keys);
const parallels = new ParallelStore(redis, keys);
const who = { actor: 'U0ALICE', action: 'test' };

afterAll(async () => {
  await queues.close();
  await deletePrefix(redis, prefix);
  redis.disconnect();
  queueConnection.disconnect();
});

/** Milliseconds left before `key` expires: -1 when it never does, -2 when it is gone. */
const ttl = (key: string) => redis.pttl(key);

describe('retention', () => {
  it('finding 10: a run expires `retention.recordsMs` after it ends, never while it is active (nor once repaired)', async () => {
    const run = newRunRecord({ pipelineName: 'ledger', pipeline: catalog.pipelines.ledger!, side: 'target', period: '2026-01', params: {}, env: 'dev', requestedBy: 'U0ALICE', now: Date.now() });
    await runs.create(run, who);
    expect(await ttl(keys.run(run.id))).toBe(-1);
    await runs.update(run.id, (r) => ({ ...r, state: 'running', externalId: '5' }), who);
    expect(await ttl(keys.run(run.id))).toBe(-1);
    await runs.update(run.id, (r) => ({ ...r, state: 'failed', endedAt: Date.now() }), who);
    const left = await ttl(keys.run(run.id));
    expect(left).toBeGreaterThan(RETENTION.recordsMs - 60_000);
    expect(left).toBeLessThanOrEqual(RETENTION.recordsMs);
    // A repair makes it active again: no expiry until it ends again.
    await runs.update(run.id, (r) => ({ ...r, state: 'pending', repairs: 1 }), who);
    expect(await ttl(keys.run(run.id))).toBe(-1);
  });

  it('finding 10: a diff record expires once done; its reports, CSVs and posted marks after `retention.reportsMs`', async () => {
    const deps = commandDeps(5);
    const reply = await diffCommand({ cmd: 'diff', pipeline: 'ledger', period: '2026-02' }, { userId: 'U0ALICE', channelId: 'C0LEDGER' }, deps);
    const id = /`(p-[a-z0-9]+-[a-f0-9]{6})`/.exec(reply.text)![1]!;
    expect(await ttl(keys.parallel(id))).toBe(-1);
    await parallels.saveReport(id, 'totals', { rows: 1 } as never);
    await parallels.saveCsv(id, 'totals', 'id\n1\n');
    await parallels.markDetailPosted(id, 'totals');
    for (const key of [keys.parallelReports(id), keys.parallelCsvs(id), keys.parallelPosted(id)]) {
      expect(await ttl(key)).toBeGreaterThan(RETENTION.reportsMs - 60_000);
      expect(await ttl(key)).toBeLessThanOrEqual(RETENTION.reportsMs);
    }
    await parallels.update(id, (p) => ({ ...p, state: 'done' }), who);
    expect(await ttl(keys.parallel(id))).toBeGreaterThan(RETENTION.recordsMs - 60_000);
  });

  it('finding 10: DQ alerts, the latest result and gate evidence expire after `retention.recordsMs`', async () => {
    const dq = new DqAlertStore(redis, keys);
    const blank = { v: 1, pipeline: 'ledger', period: '2026-03', channel: 'C0LEDGER', state: 'passing', failing: [], total: 0, evaluations: 0, lastSource: 'run', lastCheckedAt: 0, seq: 0, notedSeq: 0, version: 0 } as unknown as DqAlertRecord;
    const latest = { period: '2026-03', at: Date.now(), green: true, trusted: true, source: 'run' };
    await dq.update(blank, (cur) => ({ next: { ...cur, total: 1, evaluations: 1 }, change: { latest: latest as never } }), who);
    for (const key of [keys.dqAlert('ledger', '2026-03'), keys.dqLatest('ledger'), keys.dqEvidence('ledger', '2026-03')]) {
      expect(await ttl(key)).toBeGreaterThan(RETENTION.recordsMs - 60_000);
    }
  });

  it('finding 10: a backfill expires once it has ended, and a cutover execution record after its last write', async () => {
    const backfills = new BackfillStore(redis, keys);
    const now = Date.now();
    const b: BackfillRecord = {
      v: 1, id: newBackfillId(now), pipeline: 'ledger', from: '2026-01', to: '2026-02', side: 'target', engine: 'databricks', env: 'dev', concurrency: 2, continueOnFailure: false,
      requestedBy: 'U0ALICE', channel: 'C0LEDGER', periods: periodsBetween('2026-01', '2026-02').map((period) => ({ period, status: 'waiting', earlierRunIds: [] })),
      state: 'running', retries: 0, createdAt: now, updatedAt: now, version: 1,
    };
    await backfills.create(b, who);
    expect(await ttl(keys.backfill(b.id))).toBe(-1);
    await backfills.update(b.id, (cur) => ({ ...cur, state: 'cancelled' }), who);
    expect(await ttl(keys.backfill(b.id))).toBeGreaterThan(RETENTION.recordsMs - 60_000);
    const exec = new CutoverExecStore(redis, keys);
    await exec.save({ requestId: 'c-test-1', version: 0 } as never);
    expect(await ttl(keys.cutoverExec('c-test-1'))).toBeGreaterThan(RETENTION.recordsMs - 60_000);
  });

  it('finding 10: the audit stream is kept unless CUTOVER_AUDIT_MAXLEN asks for a trim, then keeps about that many events', async () => {
    const audit = new AuditLog(redis, keys);
    for (let i = 0; i < 500; i++) await audit.append({ at: i, actor: 'U0ALICE', pipeline: 'trimmed', action: 'test', subject: String(i) });
    expect(await audit.trim('trimmed', 0)).toBe(0);
    expect(await redis.xlen(keys.audit('trimmed'))).toBe(500);
    await audit.trim('trimmed', 100);
    const left = await redis.xlen(keys.audit('trimmed'));
    expect(left).toBeGreaterThanOrEqual(100);
    expect(left).toBeLessThan(500);
    // The newest events are the ones kept.
    const [[, fields]] = (await redis.xrevrange(keys.audit('trimmed'), '+', '-', 'COUNT', 1)) as [[string, string[]]];
    expect(JSON.parse(fields[1]!)).toMatchObject({ subject: '499' });
  });

  it('finding 10: /pipeline diff needs the diff permission', async () => {
    const reply = await diffCommand({ cmd: 'diff', pipeline: 'ledger', period: '2026-04' }, { userId: 'U0MALLORY', channelId: 'C0LEDGER' }, commandDeps(5));
    expect(reply.response_type).toBe('ephemeral');
    expect(reply.text).toMatch(/Diffs of ledger are for `permissions.diff`/);
    expect(await redis.scard(keys.diffsByUser('U0MALLORY'))).toBe(0);
  });

  it('finding 10: one person runs at most CUTOVER_MAX_DIFFS_PER_USER diffs at once; a finished one frees its slot', async () => {
    const deps = commandDeps(2);
    const diff = (period: string) => diffCommand({ cmd: 'diff', pipeline: 'ledger', period }, { userId: 'U0BOB', channelId: 'C0LEDGER' }, deps);
    const first = await diff('2025-01');
    await diff('2025-02');
    const refused = await diff('2025-03');
    expect(refused.response_type).toBe('ephemeral');
    expect(refused.text).toMatch(/You already have 2 diffs running/);
    // Someone else is not held up by Bob's diffs.
    expect((await diffCommand({ cmd: 'diff', pipeline: 'ledger', period: '2025-03' }, { userId: 'U0ALICE', channelId: 'C0LEDGER' }, deps)).text).toMatch(/Comparing/);
    const firstId = /`(p-[a-z0-9]+-[a-f0-9]{6})`/.exec(first.text)![1]!;
    await parallels.update(firstId, (p) => ({ ...p, state: 'done' }), who);
    expect((await diff('2025-03')).text).toMatch(/Comparing the 2025-03 outputs/);
  });

  it('finding 10: the retention settings come from the environment, with documented defaults', () => {
    expect(loadConfig({ env: {} }).retention).toEqual(DEFAULT_RETENTION);
    expect(loadConfig({ env: {} }).maxDiffsPerUser).toBe(2);
    const set = loadConfig({ env: { CUTOVER_RETENTION_DAYS: '7', CUTOVER_REPORT_RETENTION_DAYS: '0.5', CUTOVER_AUDIT_MAXLEN: '100000', CUTOVER_MAX_DIFFS_PER_USER: '1' } });
    expect(set.retention).toEqual({ recordsMs: 7 * 86_400_000, reportsMs: 43_200_000, auditMaxLen: 100_000 });
    expect(set.maxDiffsPerUser).toBe(1);
    expect(() => loadConfig({ env: { CUTOVER_RETENTION_DAYS: '0' } })).toThrow(/CUTOVER_RETENTION_DAYS/);
  });
});

function commandDeps(maxDiffsPerUser: number): CommandDeps {
  return {
    catalog,
    runs,
    parallels,
    queues,
    permissions: new Permissions({ catalog, slack: new WebClient('xoxb-unused') }),
    now: Date.now,
    maxDiffsPerUser,
  } as unknown as CommandDeps;
}
