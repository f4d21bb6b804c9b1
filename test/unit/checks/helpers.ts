import { pipelineSchema, type Check, type Pipeline } from '../../../src/config/catalog-schema.ts';

export { tempDir, writeFiles } from '../diff/helpers.ts';

export interface OutputSpec {
  name: string;
  /** The target dataset: a local path (Parquet) or a `catalog.schema.table`. */
  target: string;
  checks?: Check[];
  key?: string[];
}

/** A catalog pipeline with defaults applied, as `loadCatalog` would return it. */
export function pipelineOf(...outputs: OutputSpec[]): Pipeline {
  return pipelineSchema.parse({
    channel: 'C0PIPELINES',
    target: { engine: 'databricks', jobId: 1 },
    outputs: outputs.map((o) => ({
      name: o.name,
      key: o.key ?? ['id'],
      legacy: { path: `/nonexistent/legacy/${o.name}` },
      target: /^[\w-]+\.[\w-]+\.[\w-]+$/.test(o.target) ? { table: o.target } : { path: o.target, format: 'parquet' },
      checks: o.checks ?? [],
    })),
  });
}

/** 2024-06-01T00:00:00Z: the clock every freshness test reads. */
export const NOW = Date.UTC(2024, 5, 1);

/**
 * Customers that break nothing, and customers that break each check in a known way:
 * name NULL twice (ids 2, 3), id 2 twice and one NULL id, segment 'retail' once, revenue
 * out of [0, 1000] twice (-5, 2000), one email not matching, newest update 12 days old.
 */
export const CUSTOMERS_OK = `SELECT * FROM (VALUES
  (1, 'ann', 'academic', 10.0::DOUBLE, 'ann@example.com', TIMESTAMP '2024-05-31 12:00:00'),
  (2, 'bob', 'corporate', 20.5::DOUBLE, 'bob@example.com', TIMESTAMP '2024-05-30 08:00:00'),
  (3, 'cy', 'government', 0.0::DOUBLE, NULL, TIMESTAMP '2024-05-29 00:00:00')
) t(id, name, segment, revenue, email, updated_at)`;

export const CUSTOMERS_BAD = `SELECT * FROM (VALUES
  (1, 'ann', 'academic', 10.0::DOUBLE, 'ann@example.com', TIMESTAMP '2024-05-20 00:00:00'),
  (2, NULL, 'corporate', -5.0::DOUBLE, 'not-an-email', TIMESTAMP '2024-05-19 00:00:00'),
  (2, 'bo', 'retail', 20.0::DOUBLE, NULL, TIMESTAMP '2024-05-18 00:00:00'),
  (3, NULL, 'government', 2000.0::DOUBLE, 'cy@example.com', TIMESTAMP '2024-05-17 00:00:00'),
  (NULL, 'x', 'academic', 1.0::DOUBLE, 'x@example.com', TIMESTAMP '2024-05-16 00:00:00')
) t(id, name, segment, revenue, email, updated_at)`;

/** Orders whose customers all exist in CUSTOMERS_OK; the bad ones point at 42 and 99 (and one NULL, which passes). */
export const ORDERS_OK = `SELECT * FROM (VALUES (10, 1), (11, 2), (12, 2), (13, NULL)) t(order_id, customer_id)`;
export const ORDERS_BAD = `SELECT * FROM (VALUES (10, 1), (11, 99), (12, 42), (13, NULL)) t(order_id, customer_id)`;
