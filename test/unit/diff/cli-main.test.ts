import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.ts';
import type { DiffReport } from '../../../src/diff/index.ts';
import { tempDir, writeFiles } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  await writeFiles({
    [join(dir, 'legacy.parquet')]: `SELECT i AS id, 'n' || i AS name, (i * 0.5)::DOUBLE AS amount, now() AS etl_ts FROM range(50) t(i)`,
    [join(dir, 'same.parquet')]: `SELECT i AS id, 'n' || i AS name, (i * 0.5 + 0.0000001)::DOUBLE AS amount, now() AS etl_ts FROM range(50) t(i) ORDER BY -i`,
    [join(dir, 'changed.parquet')]: `SELECT i AS id, CASE WHEN i = 7 THEN 'x' ELSE 'n' || i END AS name, (i * 0.5)::DOUBLE AS amount FROM range(1, 50) t(i)`,
  });
});
afterAll(() => cleanup());

/** Runs the CLI in-process with captured streams. */
async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

const paths = (target: string) => ['--legacy', join(dir, 'legacy.parquet'), '--target', join(dir, target)];

describe('cutover diff', () => {
  it('exits 0 and prints the JSON report when the datasets match within tolerance', async () => {
    const r = await run('diff', ...paths('same.parquet'), '--key', 'id', '--ignore', 'etl_ts', '--abs-tol', '1e-6', '--json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as DiffReport;
    expect(report.verdict).toBe('clean');
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['verdict', 'schema', 'counts', 'columns']));
    expect(r.stderr).toBe('');
  });

  it('exits 1 with the differences, as JSON or for people', async () => {
    const json = await run('diff', ...paths('changed.parquet'), '--key', 'id', '--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as DiffReport;
    expect(report.schema.missing).toEqual(['etl_ts']);
    expect(report.counts).toMatchObject({ onlyLegacy: 1, changed: 1 });
    expect(report.columns.name?.samples).toEqual([{ key: { id: '7' }, legacy: 'n7', target: 'x' }]);

    const text = await run('diff', ...paths('changed.parquet'), '--key', 'id');
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^DIFFERENT/);
    expect(text.stdout).toContain('only in legacy: 1  e.g. id=0');
    expect(text.stdout).toContain('id=7: "n7" -> "x"');
  });

  it.each([
    [['--target', 'x', '--key', 'id'], '--legacy is required'],
    [['--legacy', 'a', '--target', 'b', '--key', 'id', '--format', 'orc'], '--format must be parquet, csv, delta, unload, not "orc"'],
    [['--legacy', 'a', '--target', 'b', '--key', 'id', '--legacy-format', 'orc'], '--legacy-format must be parquet, csv, delta, unload, not "orc"'],
    [['--legacy', 'a', '--target', 'b', '--key', 'id', '--csv-delimiter', ';;'], '--csv-delimiter must be one character, not ";;"'],
    [['--legacy', 'a', '--target', 'b', '--key', 'id', '--abs-tol', 'lots'], '--abs-tol must be a number >= 0'],
    [['--legacy', 'a', '--target', 'b', '--key', 'id', '--timestamps', 'ns'], '--timestamps must be s, ms or us'],
    [['--legacy', 'a', '--target', 'b', '--key', 'id', '--colour'], "Unknown option '--colour'"],
  ])('exits 2 with a one-line reason for bad usage %#', async (args, reason) => {
    const r = await run('diff', ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(reason);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  it('exits 2 on runtime errors: missing dataset, unknown key column', async () => {
    const missing = await run('diff', '--legacy', join(dir, 'nope'), '--target', join(dir, 'same.parquet'), '--key', 'id');
    expect([missing.code, missing.stderr]).toEqual([2, `cutover diff: dataset not found: ${join(dir, 'nope')}\n`]);
    const key = await run('diff', ...paths('same.parquet'), '--key', 'id,nope');
    expect([key.code, key.stderr]).toEqual([2, 'cutover diff: key column "nope" is not in the legacy dataset\n']);
  });

  it('prints usage for --help and for no command', async () => {
    expect(await run('diff', '--help')).toMatchObject({ code: 0, stdout: expect.stringContaining('usage: cutover diff --legacy') });
    expect(await run()).toMatchObject({ code: 2, stderr: expect.stringContaining('usage: cutover <command>') });
    expect(await run('launch')).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "launch"') });
  });
});

describe('cutover validate', () => {
  it('exits 0 for a valid catalog', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(
      file,
      `pipelines:
  incites-monthly:
    channel: C0PIPELINES
    target: { engine: databricks, jobId: 123 }
    outputs:
      - name: insights
        key: [customer_id]
        legacy: { path: "s3://legacy/out/period={{period}}/", format: parquet }
        target: { table: main.incites.insights }
`,
    );
    expect(await run('validate', '--catalog', file)).toEqual({ code: 0, stdout: `${file}: valid (1 pipelines, 1 outputs)\n`, stderr: '' });
  });

  it('lists every problem and exits 2 for an invalid catalog', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, `pipelines:\n  bad-one:\n    channel: nope\n    target: { engine: databricks, jobId: -1 }\n`);
    const r = await run('validate', '--catalog', file);
    expect(r.code).toBe(2);
    expect(r.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(2);
    expect(r.stdout).toContain('channel');
    expect(r.stderr).toMatch(/^cutover validate: .*bad\.yaml is invalid \(\d+ problems\)\n$/);
  });
});
