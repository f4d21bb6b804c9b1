/**
 * `npm run catalog-schema`: regenerates docs/pipelines.schema.json from the zod schema. Run it
 * after changing src/config/catalog-schema.ts; test/unit/config/catalog-json-schema.test.ts fails
 * while the checked-in file is stale.
 */
import { writeFileSync } from 'node:fs';
import { CATALOG_JSON_SCHEMA_FILE, catalogJsonSchemaText } from '../src/config/catalog-json-schema.ts';

writeFileSync(CATALOG_JSON_SCHEMA_FILE, catalogJsonSchemaText());
process.stdout.write(`wrote ${CATALOG_JSON_SCHEMA_FILE}\n`);
