import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { catalogSchema } from '../../../src/config/catalog-schema.ts';
import { ConfigError } from '../../../src/errors.ts';
import { assertPiiConfig, PII_MASK, piiPolicy, piiPolicyFor, piiPolicyForPipeline, protectField, protectValue } from '../../../src/pii/index.ts';

const KEY = 'k'.repeat(16) + '-test-secret';

function catalog(piiDefault?: 'mask' | 'hash' | 'show') {
  const output = (name: string, pii: string[], key = ['id']) => ({
    name,
    key,
    legacy: { path: `/l/${name}` },
    target: { path: `/t/${name}` },
    pii,
  });
  return catalogSchema.parse({
    pipelines: {
      crm: { channel: 'C0PIPELINES', target: { engine: 'databricks', jobId: 1 }, outputs: [output('customers', ['Email', 'name'], ['email']), output('orders', ['card'])] },
      web: { channel: 'C0PIPELINES', target: { engine: 'databricks', jobId: 2 }, outputs: [output('customers', ['phone'])] },
    },
    ...(piiDefault ? { pii: { default: piiDefault } } : {}),
  });
}

describe('PiiPolicy', () => {
  it('masks non-NULL values of PII columns, matching names case-insensitively', () => {
    const p = piiPolicy(['Email'], 'mask');
    expect(p.mode).toBe('mask');
    expect(p.isPii('email')).toBe(true);
    expect(p.isPii('EMAIL')).toBe(true);
    expect(p.isPii('name')).toBe(false);
    expect(protectField(p, 'EMAIL', 'jane@example.com')).toBe(PII_MASK);
    expect(protectField(p, 'email', 42)).toBe(PII_MASK);
    expect(protectField(p, 'email', '')).toBe(PII_MASK);
    expect(protectField(p, 'name', 'Jane')).toBe('Jane');
  });

  it('keeps NULL as NULL in every mode', () => {
    for (const p of [piiPolicy(['e'], 'mask'), piiPolicy(['e'], 'hash', { key: KEY }), piiPolicy(['e'], 'mask', { showPii: true })]) {
      expect(protectField(p, 'e', null)).toBeNull();
    }
  });

  it('hashes with HMAC-SHA256 keyed by the secret, 12 hex chars: equal values equal, different values different', () => {
    const p = piiPolicy(['email'], 'hash', { key: KEY });
    const a = protectValue(p, 'jane@example.com');
    expect(a).toBe(createHmac('sha256', KEY).update('jane@example.com').digest('hex').slice(0, 12));
    expect(a).toMatch(/^[0-9a-f]{12}$/);
    expect(protectValue(p, 'jane@example.com')).toBe(a);
    expect(protectValue(p, 'jane@example.org')).not.toBe(a);
    // Numbers hash as their text, so a DQ sample's 42 and a diff sample's '42' agree.
    expect(protectValue(p, 42)).toBe(protectValue(p, '42'));
    // Another key, other hashes: the hash is not a plain digest anyone can recompute.
    expect(protectValue(piiPolicy(['email'], 'hash', { key: `${KEY}-2` }), 'jane@example.com')).not.toBe(a);
  });

  it('shows raw values only with showPii; the mode show alone falls back to mask', () => {
    expect(piiPolicy(['e'], 'show').mode).toBe('mask');
    expect(protectValue(piiPolicy(['e'], 'show'), 'x')).toBe(PII_MASK);
    const shown = piiPolicy(['e'], 'hash', { showPii: true });
    expect(shown.mode).toBe('show');
    expect(protectValue(shown, 'x')).toBe('x');
    expect(shown.isNoop).toBe(true);
  });

  it('refuses hash without a key or with a short one, with a message naming CUTOVER_PII_KEY', () => {
    expect(() => piiPolicy(['e'], 'hash')).toThrow(ConfigError);
    expect(() => piiPolicy(['e'], 'hash')).toThrow(/CUTOVER_PII_KEY: required/);
    expect(() => piiPolicy(['e'], 'hash', { key: 'short' })).toThrow(/at least 16 characters/);
    // --show-pii needs no key.
    expect(() => piiPolicy(['e'], 'hash', { showPii: true })).not.toThrow();
  });

  it('never serialises its key', () => {
    const p = piiPolicy(['email'], 'hash', { key: KEY });
    expect(JSON.stringify(p)).toBe('{"mode":"hash","columns":["email"]}');
    expect(JSON.stringify({ ...p })).not.toContain(KEY);
    expect(Object.values(p).join(' ')).not.toContain(KEY);
  });

  it('de-duplicates columns case-insensitively and describes itself', () => {
    expect(piiPolicy(['email', 'EMAIL', 'name'], 'mask').describe()).toBe('email, name masked');
    expect(piiPolicy(['email'], 'hash', { key: KEY }).describe()).toBe('email hashed');
    expect(piiPolicy([], 'mask').describe()).toBe('');
  });
});

describe('policies from the catalog', () => {
  it('takes an output’s pii list and the catalog’s default (mask when absent)', () => {
    const c = catalog();
    const customers = c.pipelines.crm!.outputs[0]!;
    const p = piiPolicyFor(c, customers);
    expect([p.mode, p.columns]).toEqual(['mask', ['Email', 'name']]);
    expect(p.isPii('email')).toBe(true); // a key column listed as PII
    expect(piiPolicyFor(catalog('hash'), customers, { key: KEY }).mode).toBe('hash');
    expect(piiPolicyFor(catalog('show'), customers).mode).toBe('mask');
    expect(piiPolicyFor(catalog('show'), customers, { showPii: true }).mode).toBe('show');
  });

  it('looks an output up by name, in one pipeline or (union) in all', () => {
    const c = catalog();
    expect(piiPolicyFor(c, 'customers', { pipeline: 'web' }).columns).toEqual(['phone']);
    expect(piiPolicyFor(c, 'customers').columns).toEqual(['Email', 'name', 'phone']);
    expect(() => piiPolicyFor(c, 'nope')).toThrow(/no output "nope"/);
    expect(() => piiPolicyFor(c, 'orders', { pipeline: 'web' })).toThrow(/no output "orders" in pipeline web/);
  });

  it('gives a pipeline’s DQ samples the union of its outputs’ pii lists', () => {
    expect(piiPolicyForPipeline(catalog(), 'crm').columns).toEqual(['Email', 'name', 'card']);
    expect(() => piiPolicyForPipeline(catalog(), 'nope')).toThrow(/no pipeline "nope"/);
  });

  it('assertPiiConfig: hash needs CUTOVER_PII_KEY at start-up; mask and show do not', () => {
    expect(() => assertPiiConfig(catalog('hash'), undefined)).toThrow(ConfigError);
    expect(() => assertPiiConfig(catalog('hash'), 'too-short')).toThrow(/at least 16/);
    expect(() => assertPiiConfig(catalog('hash'), KEY)).not.toThrow();
    expect(() => assertPiiConfig(catalog('mask'), undefined)).not.toThrow();
    expect(() => assertPiiConfig(catalog('show'), undefined)).not.toThrow();
    expect(() => assertPiiConfig(catalog(), undefined)).not.toThrow();
  });
});
