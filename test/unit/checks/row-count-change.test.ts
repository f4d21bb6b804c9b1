import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryRowCountHistory, RedisRowCountHistory, runChecks, type RowCountHistory } from '../../../src/checks/index.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';
import { pipelineOf, tempDir, writeFiles } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;

/** Row counts per period: 100 in April, 100 in May, 160 in June (+60 %), 170 in July. */
const COUNTS: Record<string, number> = { '2024-04': 100, '2024-05': 100, '2024-06': 160, '2024-07': 170, '2024-08': 0 };

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const files: Record<string, string> = {};
  for (const [period, n] of Object.entries(COUNTS)) {
    await mkdir(join(dir, period));
    files[join(dir, period, 'part-0.parquet')] = `SELECT i AS id FROM range(${n}) t(i)`;
  }
  await writeFiles(files);
});
afterAll(() => cleanup());

const pipeline = () => pipelineOf({ name: 'insights', target: join(dir, '{{period}}'), checks: [{ row_count_change: { maxRelative: 0.5 } }] });
const check = async (period: string, history?: RowCountHistory) => {
  const result = await runChecks({ pipeline: pipeline(), pipelineName: 'sales', period, history });
  return result.checks[0];
};

describe('row_count_change', () => {
  it('passes with a note when there is no history', async () => {
    expect(await check('2024-06')).toMatchObject({
      check: 'row_count_change(max 50%)',
      passed: true,
      failingRows: 0,
      note: 'no row-count history configured: 160 rows, not compared',
      sql: 'SELECT count(*) AS row_count FROM "insights"',
    });
  });

  it('passes the first run, then compares each period with the latest earlier one', async () => {
    const history = new InMemoryRowCountHistory();
    expect(await check('2024-05', history)).toMatchObject({ passed: true, note: 'first recorded run: 100 rows, nothing to compare with' });
    expect(await check('2024-06', history)).toMatchObject({
      passed: false,
      failingRows: 1,
      samples: [{ row_count: 160, previous_row_count: 100, relative_change: 0.6, max_relative: 0.5 }],
    });
    // Re-checking June compares with May again, not with June's own count.
    expect(await check('2024-06', history)).toMatchObject({ passed: false, samples: [{ previous_row_count: 100 }] });
    // July compares with June (recorded although it failed), so a lasting change alerts once.
    expect(await check('2024-07', history)).toMatchObject({ passed: true, failingRows: 0, samples: [] });
    // A backfill of April finds nothing before it.
    expect(await check('2024-04', history)).toMatchObject({ passed: true, note: expect.stringContaining('first recorded run') });
    expect(await history.previousRowCount('sales', 'insights')).toBe(170);
    expect(await history.previousRowCount('sales', 'insights', '2024-07')).toBe(160);
  });

  it('treats a drop to zero as a 100 % change and growth from zero as infinite', async () => {
    const history = new InMemoryRowCountHistory();
    await history.recordRowCount('sales', 'insights', '2024-07', 170);
    expect(await check('2024-08', history)).toMatchObject({ passed: false, samples: [{ row_count: 0, previous_row_count: 170, relative_change: 1 }] });
    const grown = new InMemoryRowCountHistory();
    await grown.recordRowCount('sales', 'insights', '2024-03', 0);
    expect(await check('2024-04', grown)).toMatchObject({ passed: false, samples: [{ row_count: 100, previous_row_count: 0, relative_change: null }] });
  });

  it('reports a history that fails on the check alone', async () => {
    const broken: RowCountHistory = {
      previousRowCount: async () => {
        throw new Error('Connection is closed.');
      },
      recordRowCount: async () => undefined,
    };
    expect(await check('2024-05', broken)).toMatchObject({ passed: false, error: 'Connection is closed.' });
  });
});

describe('RedisRowCountHistory', () => {
  const redis = testRedis();
  const prefix = uniquePrefix('dq-history');
  afterAll(async () => {
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  it('keeps one hash per pipeline and output, keyed by period', async () => {
    const history = new RedisRowCountHistory({ redis, prefix });
    expect(await history.previousRowCount('sales', 'insights')).toBeUndefined();
    await history.recordRowCount('sales', 'insights', '2024-05', 100);
    await history.recordRowCount('sales', 'insights', '2024-06', 160);
    await history.recordRowCount('sales', 'insights', '2024-06', 150);
    await history.recordRowCount('sales', 'other', '2024-07', 1);
    expect(await redis.hgetall(`${prefix}:dq:row-counts:sales:insights`)).toEqual({ '2024-05': '100', '2024-06': '150' });
    expect(await history.previousRowCount('sales', 'insights')).toBe(150);
    expect(await history.previousRowCount('sales', 'insights', '2024-06')).toBe(100);
    expect(await history.previousRowCount('sales', 'insights', '2024-05')).toBeUndefined();
  });

  it('serves runChecks', async () => {
    const history = new RedisRowCountHistory({ redis, prefix: `${prefix}:run` });
    expect(await check('2024-05', history)).toMatchObject({ passed: true });
    expect(await check('2024-06', history)).toMatchObject({ passed: false, samples: [{ row_count: 160, previous_row_count: 100 }] });
  });
});
