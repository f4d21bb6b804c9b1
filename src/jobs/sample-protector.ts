import type { Catalog } from '../config/catalog-schema.ts';
import type { Config } from '../config/load-config.ts';
import { createCatalogSampleProtector } from '../pii/index.ts';
import type { SampleProtector } from './job-deps.ts';

/**
 * The bot's PII protection (issue 7): the catalog's `pii` columns masked or hashed in every
 * sample before it is stored or shown; the bot never shows raw values, whatever `pii.default`
 * says. A `hash` catalog without CUTOVER_PII_KEY stops start-up here.
 */
export function createSampleProtector(catalog: Catalog, config: Config): SampleProtector {
  return createCatalogSampleProtector(catalog, config.piiKey);
}
