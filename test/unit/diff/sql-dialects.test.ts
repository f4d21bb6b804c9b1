import { describe, expect, it } from 'vitest';
import { planColumns, resolveOptions, type SchemaColumn } from '../../../src/diff/column-plan.ts';
import { databricksDialect, duckdbDialect, withDuckDb } from '../../../src/diff/index.ts';
import { bucketChecksumSql, canonicalRowsSql, mismatchesSql } from '../../../src/diff/level-sql.ts';
import { equalsSql, hashParts, type SqlDialect } from '../../../src/diff/sql-dialect.ts';
import { parseType, planComparison } from '../../../src/diff/type-family.ts';

const col = (name: string, type: string): SchemaColumn => ({ name, type });

describe('canonical SQL per dialect', () => {
  const o = resolveOptions({ timestamps: 'ms', absTolerance: 0.01, trim: true, ignoreCase: true });
  const planFor = (d: SqlDialect, legacy: SchemaColumn[], target: SchemaColumn[]) => planColumns(d, legacy, target, ['id'], o);

  it('DuckDB: common decimal scale, UTC timestamps at the precision, string options', () => {
    const p = planFor(
      duckdbDialect,
      [col('id', 'BIGINT'), col('price', 'DECIMAL(18,2)'), col('ts', 'TIMESTAMP'), col('name', 'VARCHAR')],
      [col('id', 'BIGINT'), col('price', 'DECIMAL(18,4)'), col('ts', 'TIMESTAMP WITH TIME ZONE'), col('name', 'VARCHAR')],
    );
    const [price, ts, name] = p.columns;
    expect([price?.canonLegacy, price?.canonTarget]).toEqual(['CAST("price" AS DECIMAL(38,4))', 'CAST("price" AS DECIMAL(38,4))']);
    expect(ts?.canonLegacy).toBe(`date_trunc('millisecond', "ts")`);
    expect(ts?.canonTarget).toBe(`date_trunc('millisecond', CAST("ts" AS TIMESTAMP))`);
    expect(name?.canonLegacy).toBe('lower(trim("name"))');
    expect(p.keys[0]?.canonLegacy).toBe('"id"');
  });

  it('Databricks: epoch microseconds floored with pmod, NTZ without time zones, md5 checksums', () => {
    const p = planFor(
      databricksDialect,
      [col('id', 'bigint'), col('ts', 'timestamp'), col('wall', 'timestamp_ntz'), col('amount', 'decimal(10,2)'), col('x', 'double')],
      [col('id', 'int'), col('ts', 'timestamp'), col('wall', 'timestamp_ntz'), col('amount', 'decimal(12,3)'), col('x', 'double')],
    );
    const [ts, wall, amount] = p.columns;
    expect(ts?.canonLegacy).toBe('(unix_micros(`ts`) - pmod(unix_micros(`ts`), 1000))');
    expect(wall?.canonLegacy).toContain("timestampdiff(MICROSECOND, TIMESTAMP_NTZ'1970-01-01 00:00:00', `wall`)");
    expect(amount?.canonTarget).toBe('CAST(`amount` AS DECIMAL(38,3))');
    expect(p.keys[0]?.canonTarget).toBe('CAST(`id` AS DECIMAL(38,0))');
    const sql = bucketChecksumSql(databricksDialect, p, 'legacy', '`main`.`s`.`t`', 4096, o);
    expect(sql).toContain('pmod(xxhash64(CAST(`id` AS DECIMAL(38,0))), 4096)');
    expect(sql).toContain('CAST(conv(substr(md5(to_json(array(CAST(CAST(`id` AS DECIMAL(38,0)) AS STRING)');
    expect(sql).toContain('1, 15), 16, 10) AS DECIMAL(38,0))');
    expect(sql).toMatch(/sum\(h\) AS s FROM/);
    expect(databricksDialect.display('k0', ts?.plan ?? planComparison(parseType('timestamp', 'databricks'), parseType('timestamp', 'databricks')), o)).toBe(
      "concat(date_format(to_utc_timestamp(timestamp_micros(k0), current_timezone()), 'yyyy-MM-dd'), 'T', " +
        "date_format(to_utc_timestamp(timestamp_micros(k0), current_timezone()), 'HH:mm:ss.SSS'), 'Z')",
    );
  });

  it('both dialects share the level SQL and quote identifiers their own way', () => {
    const schema = [col('id', 'BIGINT'), col('we"ird`name', 'VARCHAR')];
    const duck = planColumns(duckdbDialect, schema, schema, ['id'], o);
    const dbx = planColumns(databricksDialect, schema, schema, ['id'], o);
    expect(canonicalRowsSql(duck, 'legacy', 'legacy')).toContain('lower(trim("we""ird`name")) AS c0');
    expect(canonicalRowsSql(dbx, 'legacy', 'legacy')).toContain('lower(trim(`we"ird``name`)) AS c0');
    const m = mismatchesSql(duckdbDialect, duck, 'dl', 'dt', 'ks', o);
    expect(m).toContain('JOIN ks s ON s.k0 = l.k0 AND s.nl = 1 AND s.nt = 1');
    expect(m).toContain('NOT (l.c0 IS NOT DISTINCT FROM t.c0) AS m0');
  });

  it('compares floats with absolute OR relative tolerance, NULL only equal to NULL', () => {
    const plan = planComparison(parseType('DOUBLE', 'duckdb'), parseType('DOUBLE', 'duckdb'));
    const both = resolveOptions({ absTolerance: 0.5, relTolerance: 0.01 });
    expect(equalsSql(duckdbDialect, 'a', 'b', plan, both)).toBe(
      "((a IS NOT DISTINCT FROM b) OR coalesce(abs(a - b) <= CAST('0.5' AS DOUBLE) OR abs(a - b) <= CAST('0.01' AS DOUBLE) * greatest(abs(a), abs(b)), false))",
    );
  });

  it('runs the generated DuckDB SQL with awkward column names', async () => {
    const schema = [col('id', 'INTEGER'), col('we"ird`name', 'VARCHAR')];
    const p = planColumns(duckdbDialect, schema, schema, ['id'], o);
    await withDuckDb({ threads: 1 }, async (db) => {
      await db.run(`CREATE TABLE t AS SELECT 1 AS id, ' X ' AS "we""ird\`name"`);
      expect(await db.all(canonicalRowsSql(p, 'legacy', 't'))).toEqual([{ k0: 1, c0: 'x' }]);
    });
  });
});

describe('float checksum grid', () => {
  /**
   * Soundness of hashing floats on a grid: whenever two values get the same hash parts they
   * must be within tolerance (else a differing bucket could look equal: a false clean).
   * Checked in DuckDB over many random pairs, near cell edges and at extreme magnitudes.
   */
  it.each([
    [{ absTolerance: 0.01 }],
    [{ absTolerance: 1e-9 }],
    [{ relTolerance: 0.001 }],
    [{ relTolerance: 1e-12 }],
    [{ absTolerance: 0.5, relTolerance: 0.1 }],
  ])('never gives equal parts to values beyond tolerance %j', async (tol) => {
    const o = resolveOptions(tol);
    const plan = planComparison(parseType('DOUBLE', 'duckdb'), parseType('DOUBLE', 'duckdb'));
    const parts = (x: string) => duckdbDialect.rowHash(hashParts(duckdbDialect, x, plan, o));
    await withDuckDb({ threads: 1 }, async (db) => {
      const step = o.abs > 0 ? o.abs : o.rel;
      await db.run(`CREATE TABLE base AS SELECT (random() - 0.5) * pow(10, (random() * 40 - 20)::INT) AS a FROM range(20000)`);
      await db.run(`CREATE TABLE pairs AS
        SELECT a, a + (random() - 0.5) * 4 * ${step} * CASE WHEN ${o.rel} > 0 THEN greatest(abs(a), 1e-300) ELSE 1 END AS b FROM base
        UNION ALL SELECT a, a * (1 + ${step}) FROM base UNION ALL SELECT a, nextafter(a, 1e308) FROM base
        UNION ALL SELECT 1e300, 1e300 * (1 + 3 * ${step}) UNION ALL SELECT 0, ${step} * 3`);
      const equal = equalsSql(duckdbDialect, 'a', 'b', plan, o);
      const row = await db.one(`SELECT count(*) FILTER (WHERE ${parts('a')} = ${parts('b')} AND NOT ${equal}) AS unsound,
        count(*) FILTER (WHERE ${parts('a')} = ${parts('b')}) AS same_cell FROM pairs`);
      expect(Number(row.unsound)).toBe(0);
      expect(Number(row.same_cell)).toBeGreaterThan(0);
    });
  });
});
