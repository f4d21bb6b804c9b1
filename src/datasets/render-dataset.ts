import type { Dataset } from '../config/catalog-schema.ts';
import { bindSqlTemplate, renderPath, renderTemplate, type TemplateValues } from '../config/template.ts';
import type { DatasetSource } from './types.ts';

/**
 * A catalog dataset with `{{period}}` and the params rendered, ready for `registerDataset`: a
 * path through `renderPath` (values may not climb out of it), a Glue table's name and partition
 * values as text, a Redshift `where:` with its values as bound parameters (`:name` markers).
 * A Redshift `unload.to` keeps `{{run}}` for the UNLOAD to fill with its own id.
 */
export function renderDataset(dataset: Dataset, values: TemplateValues): DatasetSource {
  if ('path' in dataset) return { ...dataset, path: renderPath(dataset.path, values) };
  if ('table' in dataset) return { ...dataset, table: renderTemplate(dataset.table, values) };
  if ('glue' in dataset) {
    const partition = dataset.partition && Object.fromEntries(Object.entries(dataset.partition).map(([k, v]) => [k, renderTemplate(v, values)]));
    return { ...dataset, glue: renderTemplate(dataset.glue, values), ...(partition ? { partition } : {}) };
  }
  const bound = dataset.where ? bindSqlTemplate(dataset.where, values, (name) => `:${name}`) : undefined;
  const unload = dataset.unload && { ...dataset.unload, to: renderPath(dataset.unload.to, { ...values, run: '{{run}}' }) };
  return { ...dataset, where: bound?.sql, parameters: bound && Object.keys(bound.values).length > 0 ? bound.values : undefined, unload };
}

/** How a dataset is named in messages: its path, table or catalog entry. */
export function datasetLabel(dataset: DatasetSource | Dataset): string {
  if ('path' in dataset) return dataset.path;
  if ('table' in dataset) return dataset.table;
  if ('glue' in dataset) return `glue ${dataset.glue}`;
  return `redshift ${dataset.redshift}`;
}
