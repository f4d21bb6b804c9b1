import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { prng, writeFiles } from '../unit/diff/helpers.ts';

/**
 * Issue 14 finding 1: values that would read outside the output if they were pasted into SQL or
 * a path (`SECRET` becomes a file holding the canary, see `plantSecrets`). The command fuzz sends
 * them as `--param` values through the parser and the app and binds them against DuckDB and the
 * Databricks dialect; the injection e2e sends them as `/pipeline run --param` values to a running bot.
 */
export const CANARY = 'CANARY-7d1e4-not-in-any-output';
export const INJECTIONS = [
  "x' UNION ALL BY NAME SELECT content AS region FROM read_text('SECRET') --",
  // Shapes for a placeholder written without quotes (the only form the catalog now accepts):
  // pasted there, each of these reads the secret with no quote to escape.
  "'x' UNION ALL BY NAME SELECT content AS region FROM read_text('SECRET')",
  "0 UNION ALL BY NAME SELECT content AS region FROM read_text('SECRET')",
  "(SELECT content FROM read_text('SECRET'))",
  "eu' UNION ALL SELECT * FROM read_parquet('SECRETPARQUET') --",
  "eu' || (SELECT content FROM read_text('SECRET')) || '",
  "' OR '1'='1",
  "' OR 1=1 --",
  "eu'; COPY (SELECT 1 AS x) TO 'SECRETDIR/pwned.csv'; --",
  "eu'; ATTACH 'SECRETDIR/x.db' AS x; --",
  "\\' OR 1=1 --",
  "eu\\' UNION ALL SELECT content AS region FROM read_text('SECRET') --",
  "$$ UNION SELECT content FROM read_text('SECRET') $$",
  "$tag$ OR 1=1 $tag$",
  '$param_region',
  ':param_region',
  '$1',
  '?',
  '{{output}}',
  '{{period}}',
  '{{param.region}}',
  "eu' /*",
  "*/ UNION ALL SELECT content AS region FROM read_text('SECRET') /*",
  'eu" OR "1"="1',
  '` OR 1=1 --',
  "'||getenv('HOME')||'",
  "eu' AND 0 UNION ALL SELECT value AS region FROM duckdb_settings() --",
  "eu' UNION ALL SELECT secret AS region FROM main.hr.secret_table --",
  "’ OR 1=1 --",
  "eu'\n UNION ALL SELECT content AS region FROM read_text('SECRET')",
  "eu\u0000' OR 1=1",
  '..',
  '../secret',
  'eu/../../secret',
  '*',
  '**',
  '%2e%2e/secret',
  'NULL',
  "'",
  "''",
  '\\',
  'region',
  'x'.repeat(600),
];

/**
 * More of the same, at random (seeded): a prefix, a way out of a quoted literal, something that
 * reads the planted secret (a file, a Parquet file, a table, the settings), and a way to end the
 * statement or comment out its rest, so shapes nobody wrote down are tried too.
 */
export function randomInjections(seed: number): string[] {
  const rnd = prng(seed ^ 0x5eed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const prefixes = ['eu', 'x', '', '0', 'EU', 'e u'];
  const escapes = ["'", "''", '"', '`', "\\'", '’', '$$', '$q$', "')", "'))", ''];
  const reads = [
    " UNION ALL BY NAME SELECT content AS region FROM read_text('SECRET')",
    " UNION ALL SELECT content FROM read_text('SECRET')",
    " UNION ALL SELECT * FROM read_parquet('SECRETPARQUET')",
    " || (SELECT content FROM read_text('SECRET')) || '",
    " OR 1=1",
    "; SELECT content AS region FROM read_text('SECRET');",
    " AND 0 UNION ALL SELECT value AS region FROM duckdb_settings()",
    " UNION ALL SELECT secret AS region FROM main.hr.secret_table",
    " UNION ALL SELECT getenv('HOME') AS region",
  ];
  const endings = [' --', ' /*', ' */', ';', '', "'", '\n', " -- '", ' #', '\u0000'];
  return Array.from({ length: 24 }, () => `${pick(prefixes)}${pick(escapes)}${pick(reads)}${pick(endings)}${rnd() < 0.3 ? pick(reads) : ''}`);
}

/**
 * The shapes with their placeholders pointing at planted secrets under `dir`: `secret.txt` and
 * `secret/orders.parquet` hold the canary, `secret/` is where a write would land.
 */
export function withSecrets(shapes: readonly string[], dir: string): string[] {
  return shapes.map((v) => v.replaceAll('SECRETPARQUET', join(dir, 'secret', 'orders.parquet')).replaceAll('SECRETDIR', join(dir, 'secret')).replaceAll('SECRET', join(dir, 'secret.txt')));
}

/** Writes the secrets `withSecrets` points at: a text file and a Parquet file holding the canary. */
export async function plantSecrets(dir: string): Promise<void> {
  await mkdir(join(dir, 'secret'), { recursive: true });
  await writeFiles({ [join(dir, 'secret', 'orders.parquet')]: `SELECT * FROM (VALUES (666, '${CANARY}', -1.0)) t(id, region, amount)` });
  await writeFile(join(dir, 'secret.txt'), `${CANARY}\n`);
}
