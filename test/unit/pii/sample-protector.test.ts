import { describe, expect, it } from 'vitest';
import { catalogSchema } from '../../../src/config/catalog-schema.ts';
import { ConfigError } from '../../../src/errors.ts';
import type { SampleProtector } from '../../../src/jobs/job-deps.ts';
import { createCatalogSampleProtector, PII_MASK, piiPolicy, protectValue } from '../../../src/pii/index.ts';
import type { FailingCheck } from '../../../src/store/dq-alert-record.ts';
import type { DiffReport } from '../../../src/diff/types.ts';

const KEY = 'sample-protector-test-key';

const catalog = (piiDefault: 'mask' | 'hash' | 'show' = 'mask') =>
  catalogSchema.parse({
    pipelines: {
      crm: {
        channel: 'C0PIPELINES',
        target: { engine: 'databricks', jobId: 1 },
        outputs: [
          { name: 'customers', key: ['id'], legacy: { path: '/l/c' }, target: { path: '/t/c' }, pii: ['email'] },
          { name: 'orders', key: ['order_id'], legacy: { path: '/l/o' }, target: { path: '/t/o' }, pii: ['card'] },
        ],
      },
      web: { channel: 'C0PIPELINES', target: { engine: 'databricks', jobId: 2 }, outputs: [{ name: 'visits', key: ['id'], legacy: { path: '/l/v' }, target: { path: '/t/v' }, pii: ['ip'] }] },
    },
    pii: { default: piiDefault },
  });

const report = (column: string): DiffReport => ({
  verdict: 'different',
  schema: { missing: [], extra: [], typeChanges: [] },
  counts: { legacy: 1, target: 1, onlyLegacy: 0, onlyTarget: 0, changed: 1, duplicateKeys: { legacy: 0, target: 0 }, nullKeys: { legacy: 0, target: 0 } },
  columns: { [column]: { mismatches: 1, samples: [{ key: { id: '1' }, legacy: 'raw-a', target: 'raw-b' }] } },
  keySamples: { onlyLegacy: [], onlyTarget: [], duplicateLegacy: [], duplicateTarget: [] },
  key: ['id'],
  engine: 'duckdb',
  strategy: 'join',
  durationMs: 1,
});

describe('createCatalogSampleProtector (the bot’s protector)', () => {
  it('fits the SampleProtector the jobs use', () => {
    const protector: SampleProtector = createCatalogSampleProtector(catalog(), undefined);
    expect(protector).toBeDefined();
  });

  it('uses the output’s list for diffs and CSVs, the pipeline’s union for DQ', () => {
    const p = createCatalogSampleProtector(catalog(), undefined);
    expect(p.diffReport('crm', 'customers', report('email')).columns.email!.samples[0]).toMatchObject({ legacy: PII_MASK, target: PII_MASK });
    expect(p.diffReport('crm', 'orders', report('email')).columns.email!.samples[0]).toMatchObject({ legacy: 'raw-a' });
    const csv = 'kind,id,column,legacy,target\r\nchanged,1,email,a@x,b@x\r\n';
    expect(p.csv('crm', 'customers', csv)).toBe(`kind,id,column,legacy,target\r\nchanged,1,email,${PII_MASK},${PII_MASK}\r\n`);
    const failing: FailingCheck = { output: 'orders', check: 'sql(…)', failingRows: 3, samples: [{ card: '4111', email: 'a@x', ip: '10.0.0.1' }] };
    expect(p.checkResult('crm', failing)).toEqual({ ...failing, samples: [{ card: PII_MASK, email: PII_MASK, ip: '10.0.0.1' }] });
    const errored: FailingCheck = { output: 'orders', check: 'x', failingRows: 0, error: "Could not convert string 'a@x' to INT32" };
    expect(p.checkResult('crm', errored)).toEqual({ ...errored, error: `Could not convert string '${PII_MASK}' to INT32` });
  });

  it('errs on the side of masking for names the catalog does not know', () => {
    const p = createCatalogSampleProtector(catalog(), undefined);
    expect(p.policy('crm', 'gone').columns).toEqual(['email', 'card']);
    expect(p.policy('gone').columns).toEqual(['email', 'card', 'ip']);
  });

  it('never shows raw values: show is mask; hash needs CUTOVER_PII_KEY at creation', () => {
    expect(createCatalogSampleProtector(catalog('show'), undefined).policy('crm', 'customers').mode).toBe('mask');
    expect(() => createCatalogSampleProtector(catalog('hash'), undefined)).toThrow(ConfigError);
    const hashed = createCatalogSampleProtector(catalog('hash'), KEY);
    expect(hashed.diffReport('crm', 'customers', report('email')).columns.email!.samples[0]!.legacy).toBe(protectValue(piiPolicy(['x'], 'hash', { key: KEY }), 'raw-a'));
  });
});
