import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CATALOG_JSON_SCHEMA_FILE, catalogJsonSchemaText } from '../../../src/config/catalog-json-schema.ts';
import { parseCatalog } from '../../../src/config/load-catalog.ts';

/** What an editor does with `# yaml-language-server: $schema=…`: validate the YAML as typed against the checked-in file. */
const checkedIn = readFileSync(CATALOG_JSON_SCHEMA_FILE, 'utf8');
const validate = new Ajv2020({ strict: true, allowUnionTypes: true, allErrors: true }).compile(JSON.parse(checkedIn) as object);
const problemsOf = (yaml: string) => (validate(parse(yaml)) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));

const EXAMPLES = ['examples/pipelines.yaml', 'examples/playground.yaml'];

describe('issue 15: the catalog JSON Schema', () => {
  it('is in sync with the zod schema (run `npm run catalog-schema` after changing src/config/catalog-schema.ts)', () => {
    expect(checkedIn).toBe(catalogJsonSchemaText());
  });

  it.each(EXAMPLES)('accepts %s, which the validator accepts too, and names the schema in its first lines', (file) => {
    const text = readFileSync(file, 'utf8');
    expect(() => parseCatalog(text, file)).not.toThrow();
    expect(problemsOf(text)).toEqual([]);
    expect(text.split('\n').slice(0, 3)).toContain('# yaml-language-server: $schema=../docs/pipelines.schema.json');
  });

  it('rejects what an editor should flag as it is typed: a misspelt key, a wrong type, an unknown check kind', () => {
    const problems = problemsOf(`pipelines:
  orders:
    channel: C0PIPELINES
    target: { engine: databricks, jobId: "123", jobParams: {} }
    outputs:
      - name: orders
        key: [id]
        legacy: { path: s3://legacy/orders/, format: orc }
        target: { path: s3://lake/orders/ }
        checks: [{ not_nul: [id] }]
`);
    const at = (path: string) => problems.some((p) => p.startsWith(`${path} `));
    expect(at('/pipelines/orders/target/jobId')).toBe(true);
    expect(at('/pipelines/orders/target')).toBe(true);
    expect(at('/pipelines/orders/outputs/0/legacy/format')).toBe(true);
    expect(at('/pipelines/orders/outputs/0/checks/0')).toBe(true);
  });

  it('leaves out no defaulted field: a minimal catalog without defaults validates', () => {
    expect(problemsOf('pipelines:\n  p:\n    channel: C0PIPELINES\n    target: { engine: databricks, jobId: 1 }\n')).toEqual([]);
  });
});
