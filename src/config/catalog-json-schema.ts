import { z } from 'zod';
import { catalogSchema } from './catalog-schema.ts';

/** Where the generated schema is checked in (`npm run catalog-schema` writes it). */
export const CATALOG_JSON_SCHEMA_FILE = 'docs/pipelines.schema.json';

const NON_STANDARD_FORMATS = new Set(['starts_with', 'ends_with', 'includes']);

/**
 * The catalog's JSON Schema, generated from the zod schema so the two cannot disagree: the shape
 * a user writes (`io: 'input'`: defaulted fields optional, values before transforms). Rules zod
 * checks in code (refinements, the cross-field rules of load-catalog.ts) are not in it: editors
 * catch typos and shapes as you type, `cutover validate` catches everything.
 */
export function catalogJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(catalogSchema, {
    io: 'input',
    target: 'draft-2020-12',
    // zod marks `startsWith` as the non-standard format "starts_with" beside the pattern that
    // already says it; validators that know no such format warn or refuse, so keep the pattern only.
    override: ({ jsonSchema }) => {
      if (typeof jsonSchema.format === 'string' && NON_STANDARD_FORMATS.has(jsonSchema.format) && jsonSchema.pattern) delete jsonSchema.format;
    },
  });
  return {
    $schema: schema.$schema,
    title: 'Cutover pipeline catalog (pipelines.yaml)',
    description: 'Generated from src/config/catalog-schema.ts by `npm run catalog-schema`; the reference is docs/catalog.md.',
    ...schema,
  };
}

/** The file's exact text: two-space JSON and a final newline, so a regenerated schema diffs cleanly. */
export function catalogJsonSchemaText(): string {
  return `${JSON.stringify(catalogJsonSchema(), null, 2)}\n`;
}
