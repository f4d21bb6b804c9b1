import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Catalog } from '../config/catalog-schema.ts';
import { loadCatalog } from '../config/load-catalog.ts';

/** The catalog shipped for the playground: sandbox pipelines that show every feature. */
export const EXAMPLE_CATALOG = fileURLToPath(new URL('../../examples/playground.yaml', import.meta.url));

export function usesSandbox(catalog: Catalog): boolean {
  return Object.values(catalog.pipelines).some((p) => p.legacy?.engine === 'sandbox' || p.target.engine === 'sandbox');
}

/**
 * The playground runs sandbox pipelines only: the configured catalog (`PIPELINES_FILE`,
 * default ./pipelines.yaml) when it exists and has one, otherwise examples/playground.yaml.
 * An invalid configured catalog still stops start-up, naming every bad field.
 */
export function loadPlaygroundCatalog(configured: string): { catalog: Catalog; file: string; note?: string } {
  let note: string | undefined;
  if (existsSync(configured)) {
    const catalog = loadCatalog(configured);
    if (usesSandbox(catalog)) return { catalog, file: configured };
    note = `${configured} has no sandbox pipelines, so the playground uses ${EXAMPLE_CATALOG}`;
  }
  return { catalog: loadCatalog(EXAMPLE_CATALOG), file: EXAMPLE_CATALOG, note };
}
