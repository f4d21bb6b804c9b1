import { createHmac, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiffReport } from '../../src/diff/index.ts';
import { runCutoverCli as cutover } from '../helpers/cli-process.ts';
import { tempDir, writeFiles } from '../unit/diff/helpers.ts';

/**
 * Issue 7 end to end: the real `cutover` bin in a child process, with a canary e-mail address
 * planted in a PII column on both sides. Without --show-pii it must appear nowhere on stdout or
 * stderr, in text or JSON, for diff and dq; counts stay exact; hashes match equal values.
 */
const CANARY = `pii-canary-${randomBytes(6).toString('hex')}`;
const email = (n: string) => `${CANARY}-${n}@example.com`;
const KEY = `pii-key-${randomBytes(12).toString('hex')}`;
const hmac = (value: string) => createHmac('sha256', KEY).update(value).digest('hex').slice(0, 12);

let dir: string;
let cleanup: () => Promise<void>;
let legacy: string;
let target: string;
const catalogs: Record<'mask' | 'hash' | 'show', string> = { mask: '', hash: '', show: '' };

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  legacy = join(dir, 'legacy.parquet');
  target = join(dir, 'target.parquet');
  const e = (n: string) => `'${email(n)}'`;
  await writeFiles({
    [legacy]: `SELECT * FROM (VALUES
      (1, ${e('1')}, 'Ann', 10), (2, ${e('2a')}, 'Bob', 20), (3, ${e('3')}, 'Cy', 30),
      (4, ${e('4')}, 'Di', 40), (7, ${e('2b')}, 'Gil', 70)) t(id, email, name, revenue)`,
    // id 1: revenue changed; 2 and 7: e-mails swapped; 3: e-mail gone; 4 only legacy; 5, 8 only target (8 reuses 1's e-mail).
    [target]: `SELECT * FROM (VALUES
      (1, ${e('1')}, 'Ann', 11), (2, ${e('2b')}, 'Bob', 20), (3, NULL, 'Cy', 30),
      (5, ${e('5')}, 'Eve', 50), (7, ${e('2a')}, 'Gil', 70), (8, ${e('1')}, 'Hal', 80)) t(id, email, name, revenue)`,
  });
  const catalog = (pii: string) => `pipelines:
  crm:
    channel: C0PIPELINES
    target: { engine: databricks, jobId: 1 }
    outputs:
      - name: customers
        key: [id]
        legacy: { path: "${legacy}" }
        target: { path: "${target}" }
        pii: [EMAIL]
        checks:
          - not_null: [email]
          - unique: [email]
          - regex: { column: email, pattern: "^nobody@" }
  crm-broken:
    channel: C0PIPELINES
    target: { engine: databricks, jobId: 2 }
    outputs:
      - name: customers
        key: [id]
        legacy: { path: "${legacy}" }
        target: { path: "${target}" }
        pii: [email]
        checks:
          - sql: "select cast(email as integer) as n from {{output}}"
${pii}`;
  for (const mode of ['mask', 'hash', 'show'] as const) {
    catalogs[mode] = join(dir, `${mode}.yaml`);
    await writeFile(catalogs[mode], catalog(mode === 'mask' ? '' : `pii: { default: ${mode} }\n`));
  }
});
afterAll(() => cleanup());


const noCanary = (r: { stdout: string; stderr: string }) => {
  expect(r.stdout).not.toContain(CANARY);
  expect(r.stderr).not.toContain(CANARY);
};

const diff = (...args: string[]) => ['diff', '--legacy', legacy, '--target', target, ...args];

describe('cutover diff with PII columns', () => {
  it('masks PII values in JSON and text, with exact counts', async () => {
    const [json, text, keyed, keyedText] = await Promise.all([
      cutover(diff('--key', 'id', '--pii', 'Email', '--json')),
      cutover(diff('--key', 'id', '--pii', 'email')),
      cutover(diff('--key', 'email', '--pii', 'email', '--json')),
      cutover(diff('--key', 'email', '--pii', 'email')),
    ]);
    for (const r of [json, text, keyed, keyedText]) {
      noCanary(r);
      expect(r.code).toBe(1);
    }
    const report = JSON.parse(json.stdout) as DiffReport;
    expect(report.counts).toEqual({ legacy: 5, target: 6, onlyLegacy: 1, onlyTarget: 2, changed: 4, duplicateKeys: { legacy: 0, target: 0 }, nullKeys: { legacy: 0, target: 0 } });
    expect(report.columns.email).toEqual({
      mismatches: 3,
      samples: [
        { key: { id: '2' }, legacy: '•••', target: '•••' },
        { key: { id: '3' }, legacy: '•••', target: null },
        { key: { id: '7' }, legacy: '•••', target: '•••' },
      ],
    });
    expect(report.columns.revenue).toEqual({ mismatches: 1, samples: [{ key: { id: '1' }, legacy: '10', target: '11' }] });
    expect(text.stdout).toContain('  column email: 3 mismatches\n    id=2: "•••" -> "•••"\n');
    expect(text.stdout).toContain('  pii: email masked in samples');

    // A PII key column: every key value in samples and key lists is masked, counts exact.
    const byEmail = JSON.parse(keyed.stdout) as DiffReport;
    expect(byEmail.counts).toEqual({ legacy: 5, target: 6, onlyLegacy: 2, onlyTarget: 1, changed: 2, duplicateKeys: { legacy: 0, target: 1 }, nullKeys: { legacy: 0, target: 1 } });
    expect(byEmail.keySamples.onlyLegacy).toEqual([{ email: '•••' }, { email: '•••' }]);
    expect(byEmail.keySamples.duplicateTarget).toEqual([{ email: '•••' }]);
    expect(byEmail.columns.id!.samples.map((s) => s.key)).toEqual([{ email: '•••' }, { email: '•••' }]);
    expect(byEmail.columns.id!.mismatches).toBe(2);
  });

  it('hashes with CUTOVER_PII_KEY: equal values give equal hashes across sides', async () => {
    const env = { CUTOVER_PII_KEY: KEY };
    const [r, keyed] = await Promise.all([
      cutover(diff('--key', 'id', '--pii', 'email', '--pii-mode', 'hash', '--json'), env),
      cutover(diff('--key', 'email', '--pii', 'email', '--pii-mode', 'hash', '--json'), env),
    ]);
    noCanary(r);
    noCanary(keyed);
    const samples = (JSON.parse(r.stdout) as DiffReport).columns.email!.samples;
    const [two, three, seven] = samples as [(typeof samples)[0], (typeof samples)[0], (typeof samples)[0]];
    expect(two).toEqual({ key: { id: '2' }, legacy: hmac(email('2a')), target: hmac(email('2b')) });
    expect(seven).toEqual({ key: { id: '7' }, legacy: hmac(email('2b')), target: hmac(email('2a')) });
    expect(two.legacy).toBe(seven.target); // the swapped e-mails are recognisable ...
    expect(two.legacy).not.toBe(two.target); // ... and different values differ
    expect(three.target).toBeNull();
    const byEmail = JSON.parse(keyed.stdout) as DiffReport;
    expect(byEmail.keySamples.duplicateTarget).toEqual([{ email: hmac(email('1')) }]);
    expect(byEmail.columns.id!.samples.map((s) => s.key.email).sort()).toEqual([hmac(email('2a')), hmac(email('2b'))].sort());
  });

  it('refuses hash mode without CUTOVER_PII_KEY, and a bad --pii-mode, with exit 2', async () => {
    const [noKey, badMode] = await Promise.all([
      cutover(diff('--key', 'id', '--pii', 'email', '--pii-mode', 'hash')),
      cutover(diff('--key', 'id', '--pii', 'email', '--pii-mode', 'show')),
    ]);
    expect(noKey).toMatchObject({ code: 2, stdout: '' });
    expect(noKey.stderr).toMatch(/^cutover diff: CUTOVER_PII_KEY: required for hashed PII samples/m);
    expect(badMode).toMatchObject({ code: 2, stdout: '' });
    expect(badMode.stderr).toMatch(/^cutover diff: --pii-mode must be mask or hash, not "show" \(raw values: --show-pii\)$/m);
  });

  it('shows raw values with --show-pii', async () => {
    const r = await cutover(diff('--key', 'email', '--pii', 'email', '--pii-mode', 'hash', '--show-pii', '--json'));
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as DiffReport;
    expect(report.keySamples.duplicateTarget).toEqual([{ email: email('1') }]);
  });
});

describe('cutover dq with the catalog’s pii lists', () => {
  const dq = (catalog: string, ...args: string[]) => ['dq', '--catalog', catalog, '--pipeline', 'crm', '--period', '2024-05', ...args];
  type Dq = { passed: boolean; checks: Array<{ check: string; failingRows: number; samples: Array<Record<string, unknown>> }> };

  it('masks sample values (pii.default mask, and show without --show-pii), with exact failing rows', async () => {
    const runs = await Promise.all([
      cutover(dq(catalogs.mask, '--json')),
      cutover(dq(catalogs.mask)),
      cutover(dq(catalogs.show, '--json')),
      cutover(['dq', '--catalog', catalogs.mask, '--pipeline', 'crm-broken', '--period', '2024-05', '--json']),
    ]);
    for (const r of runs) noCanary(r);
    const [json, text, show, broken] = runs as [(typeof runs)[0], (typeof runs)[0], (typeof runs)[0], (typeof runs)[0]];
    expect([json.code, text.code, show.code]).toEqual([1, 1, 1]);
    for (const r of [json, show]) {
      const report = JSON.parse(r.stdout) as Dq;
      expect(report.checks.map((c) => [c.check, c.failingRows])).toEqual([
        ['not_null(email)', 1],
        ['unique(email)', 1],
        ['regex(email)', 5],
      ]);
      expect(report.checks[0]!.samples).toEqual([{ id: 3, email: null, name: 'Cy', revenue: 30 }]);
      expect(report.checks[1]!.samples).toEqual([{ email: '•••', duplicate_count: '2' }]);
      expect(report.checks[2]!.samples.map((s) => s.email)).toEqual(['•••', '•••', '•••', '•••', '•••']);
    }
    expect(text.stdout).toContain('{"email":"•••","duplicate_count":"2"}');
    // An engine error quoting a value is protected too (JSON and the stderr line).
    expect(broken.code).toBe(2);
    expect(JSON.parse(broken.stdout).checks[0].error).toMatch(/Could not convert string '•••'/);
  });

  it('hashes with pii.default: hash and CUTOVER_PII_KEY; refuses hash without the key', async () => {
    const [r, noKey] = await Promise.all([cutover(dq(catalogs.hash, '--json'), { CUTOVER_PII_KEY: KEY }), cutover(dq(catalogs.hash, '--json'))]);
    noCanary(r);
    const report = JSON.parse(r.stdout) as Dq;
    expect(report.checks[1]!.samples).toEqual([{ email: hmac(email('1')), duplicate_count: '2' }]);
    expect(report.checks[2]!.samples.map((s) => s.email).sort()).toEqual(['1', '1', '2a', '2b', '5'].map((n) => hmac(email(n))).sort());
    expect(noKey).toMatchObject({ code: 2, stdout: '' });
    expect(noKey.stderr).toMatch(/^cutover dq: CUTOVER_PII_KEY: required/m);
  });

  it('shows raw values with --show-pii', async () => {
    const r = await cutover(dq(catalogs.hash, '--json', '--show-pii'));
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as Dq).checks[1]!.samples).toEqual([{ email: email('1'), duplicate_count: '2' }]);
  });
});
