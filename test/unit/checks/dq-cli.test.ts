import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import { parseDqArgs } from '../../../src/cli/dq-command.ts';
import { startFakeS3 } from '../../fakes/s3-server.ts';
import { deletePrefix, REDIS_URL, testRedis, uniquePrefix } from '../../helpers/redis.ts';
import { CUSTOMERS_BAD, CUSTOMERS_OK, ORDERS_OK, tempDir, writeFiles } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
let catalog: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  for (const period of ['2024-05', '2024-06']) await mkdir(join(dir, period));
  await writeFiles({
    [join(dir, '2024-05', 'customers.parquet')]: CUSTOMERS_OK,
    [join(dir, '2024-06', 'customers.parquet')]: CUSTOMERS_BAD,
    [join(dir, '2024-05', 'orders.parquet')]: ORDERS_OK,
  });
  catalog = join(dir, 'pipelines.yaml');
  await writeFile(
    catalog,
    `pipelines:
  sales:
    channel: C0PIPELINES
    target: { engine: databricks, jobId: 1 }
    outputs:
      - name: customers
        key: [id]
        legacy: { path: "s3://legacy/customers/{{period}}/" }
        target: { path: "${dir}/{{period}}/customers.parquet" }
        checks:
          - not_null: [name]
          - unique: [id]
          - row_count_change: { maxRelative: 0.5 }
  broken:
    channel: C0PIPELINES
    target: { engine: databricks, jobId: 2 }
    outputs:
      - name: orders
        key: [order_id]
        legacy: { path: "s3://legacy/orders/" }
        target: { path: "${dir}/{{period}}/orders.parquet" }
        checks:
          - sql: "select * from {{output}} where missing_column = 1"
          - not_null: [order_id]
`,
  );
});
afterAll(() => cleanup());

/** Runs the CLI in-process with captured streams and the given environment. */
async function run(env: Record<string, string | undefined>, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env });
  return { code, stdout, stderr };
}
const dq = (...args: string[]) => run({}, 'dq', '--catalog', catalog, '--pipeline', 'sales', ...args);

describe('cutover dq', () => {
  it('exits 0 and prints the JSON contract when every check passes', async () => {
    const r = await dq('--period', '2024-05', '--json');
    expect([r.code, r.stderr]).toEqual([0, '']);
    const report = JSON.parse(r.stdout) as { passed: boolean; checks: Record<string, unknown>[] };
    expect(report.passed).toBe(true);
    expect(report.checks.map(({ output, check, passed, failingRows, samples }) => ({ output, check, passed, failingRows, samples }))).toEqual([
      { output: 'customers', check: 'not_null(name)', passed: true, failingRows: 0, samples: [] },
      { output: 'customers', check: 'unique(id)', passed: true, failingRows: 0, samples: [] },
      { output: 'customers', check: 'row_count_change(max 50%)', passed: true, failingRows: 0, samples: [] },
    ]);
    expect(report.checks[2]).toMatchObject({ note: 'no row-count history configured: 3 rows, not compared' });
  });

  it('exits 1 with the failing checks, as JSON or for people', async () => {
    const json = await dq('--period', '2024-06', '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { passed: boolean; checks: Record<string, unknown>[] };
    expect(report.passed).toBe(false);
    expect(report.checks.slice(0, 2)).toMatchObject([
      { check: 'not_null(name)', passed: false, failingRows: 2, samples: [{ id: 2, name: null }, { id: 3, name: null }] },
      { check: 'unique(id)', passed: false, failingRows: 1, samples: [{ id: 2, duplicate_count: '2' }] },
    ]);

    const text = await dq('--period', '2024-06');
    expect(text.code).toBe(1);
    expect(text.stdout.split('\n').slice(0, 3)).toEqual([
      'dq sales 2024-06 (target): 2 of 3 checks failed',
      '  FAIL  customers  not_null(name)  2 failing rows',
      '        {"id":2,"name":null,"segment":"corporate","revenue":-5,"email":"not-an-email","updated_at":"2024-05-19 00:00:00"}',
    ]);
    expect(text.stdout).toContain('  FAIL  customers  unique(id)  1 failing row\n');
  });

  it('exits 2 when a check cannot run, after printing the report', async () => {
    const r = await run({}, 'dq', '--catalog', catalog, '--pipeline', 'broken', '--period', '2024-05', '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ passed: false, checks: [{ passed: false, error: expect.stringMatching(/missing_column/) }, { passed: true }] });
    expect(r.stderr).toMatch(/^cutover dq: 1 check could not run: orders sql\(select \* from \{\{output\}\} where missing_column = 1\): .*missing_column.*\n$/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [['dq', '--pipeline', 'sales'], 'cutover dq: --catalog is required\n'],
    [['dq', '--catalog', 'x.yaml'], 'cutover dq: --pipeline is required\n'],
    [['dq', '--catalog', 'x.yaml', '--pipeline', 'sales', '--period', '2024-13'], 'cutover dq: --period must be YYYY-MM, not "2024-13"\n'],
    [['dq', '--catalog', 'x.yaml', '--pipeline', 'sales', '--param', 'novalue'], 'cutover dq: --param must be k=v, not "novalue"\n'],
    [['dq', '--catalog', 'x.yaml', '--pipeline', 'sales', '--colour'], expect.stringContaining("Unknown option '--colour'")],
  ])('exits 2 with a one-line reason for bad usage %#', async (argv, stderr) => {
    const r = await run({}, ...argv);
    expect(r).toEqual({ code: 2, stdout: '', stderr });
  });

  it('exits 2 for an unknown pipeline or an unreadable catalog', async () => {
    const unknown = await run({}, 'dq', '--catalog', catalog, '--pipeline', 'nope');
    expect([unknown.code, unknown.stderr]).toEqual([2, `cutover dq: no pipeline "nope" in ${catalog} (known: sales, broken)\n`]);
    const missing = await run({}, 'dq', '--catalog', join(dir, 'none.yaml'), '--pipeline', 'sales');
    expect(missing.code).toBe(2);
    const none = join(dir, 'none.yaml');
    expect(missing.stderr).toEqual(`${none}: cannot read the catalog: ENOENT: no such file or directory, open '${none}'\ncutover dq: ${none} is invalid (1 problem)\n`);
  });

  it('issue 15: prints an invalid catalog one problem per line, as cutover validate does', async () => {
    const bad = join(dir, 'bad.yaml');
    await writeFile(
      bad,
      `pipelines:
  sales:
    channel: C0PIPELINES
    target: { engine: databricks, jobId: 1 }
    outputs:
      - name: customers
        key: [id]
        legacy: { path: s3://legacy/customers/ }
        target: { path: s3://lake/customers/ }
        checks: [{ not_nul: [id] }]
    cutover:
      approvers: { users: [U0BOB], min: 2 }
      steps: [{ id: go }, { id: go }]
`,
    );
    const dq = await run({}, 'dq', '--catalog', bad, '--pipeline', 'sales');
    const validate = await run({}, 'validate', '--catalog', bad);
    expect(dq.code).toBe(2);
    expect(dq.stdout).toBe('');
    const lines = dq.stderr.trimEnd().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^${bad}: pipelines\\.sales\\.outputs\\.0\\.checks\\.0: unknown check kind "not_nul" \\(valid check kinds: not_null, unique, `)),
      `${bad}: pipelines.sales.cutover.steps.1.id: duplicate step id "go"`,
      `${bad}: pipelines.sales.cutover.approvers.min: needs 2 approvers but only 1 is listed in users`,
      `cutover dq: ${bad} is invalid (3 problems)`,
    ]);
    // The same problem lines as `cutover validate` (which prints them on stdout, its report).
    expect(validate.stdout.trimEnd().split('\n')).toEqual(lines.slice(0, 3));
  });

  it('defaults --period to the last complete month (UTC) and prints usage for --help', async () => {
    expect(parseDqArgs(['--catalog', 'c', '--pipeline', 'p'], Date.UTC(2024, 0, 15))).toMatchObject({ period: '2023-12' });
    expect(parseDqArgs(['--catalog', 'c', '--pipeline', 'p', '--param', 'a=b=c'])).toMatchObject({ params: { a: 'b=c' } });
    expect(await run({}, 'dq', '--help')).toMatchObject({ code: 0, stdout: expect.stringContaining('usage: cutover dq --catalog') });
  });

  it('reads s3:// outputs with the AWS settings of the environment, like cutover diff', async () => {
    const s3 = await startFakeS3();
    try {
      s3.put('lake', 'customers/2024-06/part-00000.snappy.parquet', await readFile(join(dir, '2024-06', 'customers.parquet')));
      s3.put('lake', 'customers/2024-06/_SUCCESS', '');
      const file = join(dir, 's3.yaml');
      await writeFile(
        file,
        `pipelines:
  lake:
    channel: C0PIPELINES
    target: { engine: databricks, jobId: 1 }
    outputs:
      - name: customers
        key: [id]
        legacy: { path: "s3://legacy/customers/{{period}}/" }
        target: { path: "s3://lake/customers/{{period}}/" }
        checks: [{ unique: [id] }]
`,
      );
      // The SDK's credential chain reads the process environment; endpoint and region come from io.env.
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
      const r = await run({ AWS_ENDPOINT_URL_S3: s3.url, AWS_REGION: 'eu-west-1' }, 'dq', '--catalog', file, '--pipeline', 'lake', '--period', '2024-06', '--json');
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).checks).toMatchObject([{ output: 'customers', check: 'unique(id)', failingRows: 1, samples: [{ id: 2, duplicate_count: '2' }] }]);
      expect(s3.requests.some((q) => q.startsWith('GET /lake/customers/2024-06/part-00000.snappy.parquet'))).toBe(true);
    } finally {
      vi.unstubAllEnvs();
      await s3.close();
    }
  });

  describe('with REDIS_URL set', () => {
    const redis = testRedis();
    const prefix = uniquePrefix('dq-cli');
    afterAll(async () => {
      await deletePrefix(redis, prefix);
      await redis.quit();
    });

    it('keeps row counts in Redis and compares with the previous period', async () => {
      const env = { REDIS_URL, CUTOVER_REDIS_PREFIX: prefix };
      const may = await run(env, 'dq', '--catalog', catalog, '--pipeline', 'sales', '--period', '2024-05', '--json');
      expect(may.code).toBe(0);
      expect(JSON.parse(may.stdout).checks[2]).toMatchObject({ passed: true, note: 'first recorded run: 3 rows, nothing to compare with' });
      const june = await run(env, 'dq', '--catalog', catalog, '--pipeline', 'sales', '--period', '2024-06', '--json');
      expect(JSON.parse(june.stdout).checks[2]).toMatchObject({ passed: false, samples: [{ row_count: 5, previous_row_count: 3 }] });
      expect(await redis.hgetall(`${prefix}:dq:row-counts:sales:customers`)).toEqual({ '2024-05': '3', '2024-06': '5' });
    });

    it('exits 2 when REDIS_URL points at no Redis', async () => {
      const r = await run({ REDIS_URL: 'redis://127.0.0.1:1' }, 'dq', '--catalog', catalog, '--pipeline', 'sales', '--period', '2024-05');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^cutover dq: cannot reach Redis at REDIS_URL for the row-count history: .*ECONNREFUSED/);
    });
  });
});
