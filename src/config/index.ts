export * from './catalog-schema.ts';
export { loadCatalog, parseCatalog } from './load-catalog.ts';
export { loadConfig, secretsOf, type Config, type Role } from './load-config.ts';
export { renderTemplate, renderMap, type TemplateValues } from './template.ts';
