import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { catalogJsonSchema } from '../../../src/config/catalog-json-schema.ts';
import { parseCatalog } from '../../../src/config/load-catalog.ts';

/** docs/catalog.md stays the reference of the schema: every field it has is documented, every example is valid. */
const doc = readFileSync('docs/catalog.md', 'utf8');

/** Every property name anywhere in the JSON Schema (fields of every engine, check kind, action…). */
function propertyNames(schema: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) for (const s of schema) propertyNames(s, into);
  else if (schema && typeof schema === 'object') {
    for (const [k, v] of Object.entries(schema)) {
      if (k === 'properties' && v && typeof v === 'object') for (const name of Object.keys(v)) into.add(name);
      propertyNames(v, into);
    }
  }
  return into;
}

/** The words inside the document's code spans, split at dots too (`run.prod` documents `run` and `prod`). */
function codeWords(text: string): Set<string> {
  const words = new Set<string>();
  for (const [, span] of text.matchAll(/`([^`\n]+)`/g)) {
    words.add(span!.trim());
    for (const w of span!.split(/[^A-Za-z0-9_.-]+/)) for (const part of [w, ...w.split('.')]) if (part) words.add(part);
  }
  return words;
}

describe('issue 15: docs/catalog.md', () => {
  it('documents every field of the schema', () => {
    const documented = codeWords(doc);
    const missing = [...propertyNames(catalogJsonSchema())].filter((name) => !documented.has(name));
    expect(missing).toEqual([]);
  });

  it('has examples that the validator and the JSON Schema (what an editor checks) both accept', () => {
    const validate = new Ajv2020({ strict: true, allowUnionTypes: true }).compile(catalogJsonSchema());
    const catalogs = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((y) => /^(# yaml-language-server.*\n)?pipelines:/.test(y));
    expect(catalogs.length).toBeGreaterThan(0);
    for (const yaml of catalogs) {
      expect(() => parseCatalog(yaml, 'docs/catalog.md')).not.toThrow();
      expect(validate(parse(yaml)), JSON.stringify(validate.errors)).toBe(true);
    }
  });
});
