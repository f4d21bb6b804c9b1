import { describe, expect, it } from 'vitest';
import { duckdbType, glueStorage } from '../../../src/datasets/glue/glue-format.ts';
import { partitionExpression } from '../../../src/datasets/glue/register-glue.ts';

const TEXT = 'org.apache.hadoop.mapred.TextInputFormat';

describe('glueStorage: the format a Glue table is read in', () => {
  it('a Spark datasource Delta table: the real path from the SerDe, not the placeholder location', () => {
    const s = glueStorage(
      { Name: 't', Parameters: { 'spark.sql.sources.provider': 'delta' }, StorageDescriptor: { Location: 's3://wh/db/t-__PLACEHOLDER__', SerdeInfo: { Parameters: { path: 's3a://lake/t' } } } },
      'db.t',
    );
    expect(s).toEqual({ format: 'delta', location: 's3://lake/t' });
  });

  it('a crawler symlink manifest over a Delta table reads the table root', () => {
    const s = glueStorage({ Name: 't', StorageDescriptor: { Location: 's3://lake/t/_symlink_format_manifest/', InputFormat: 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat' } }, 'db.t');
    expect(s).toEqual({ format: 'delta', location: 's3://lake/t/' });
  });

  it('LazySimpleSerDe without a delimiter is Hive\'s \\u0001, NULL \\N, unquoted; with escape.delim the UNLOAD reader unescapes', () => {
    const plain = glueStorage({ Name: 't', StorageDescriptor: { Location: 's3://b/t/', InputFormat: TEXT, SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe' }, Columns: [{ Name: 'a', Type: 'varchar(10)' }] } }, 'db.t');
    expect(plain).toMatchObject({ format: 'csv', reader: 'csv', csv: { header: false, delimiter: '\u0001', null: '\\N', quote: '' }, columns: [{ name: 'a', type: 'VARCHAR' }] });
    const escaped = glueStorage({ Name: 't', StorageDescriptor: { Location: 's3://b/t/', InputFormat: TEXT, SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe', Parameters: { 'field.delim': '9', 'escape.delim': '\\' } } } }, 'db.t');
    expect(escaped).toMatchObject({ reader: 'unload', csv: { delimiter: '\t', escape: '\\' } });
  });

  it('the crawler classification decides nothing: a JSON SerDe is refused even when classification says csv', () => {
    expect(() => glueStorage({ Name: 't', Parameters: { classification: 'csv' }, StorageDescriptor: { Location: 's3://b/t/', InputFormat: TEXT, SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' } } }, 'db.t')).toThrow(/stored as JSON/);
  });

  it('refuses a view, a table outside S3 and a table without a location', () => {
    expect(() => glueStorage({ Name: 'v', TableType: 'VIRTUAL_VIEW' }, 'db.v')).toThrow(/is a view/);
    expect(() => glueStorage({ Name: 't', StorageDescriptor: { Location: 'hdfs://nn/t', InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat' } }, 'db.t')).toThrow(/Cutover reads Glue tables stored in S3/);
    expect(() => glueStorage({ Name: 't', StorageDescriptor: { InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat' } }, 'db.t')).toThrow(/no storage location/);
  });

  it('maps Hive types and refuses nested types in text', () => {
    expect(['int', 'bigint', 'decimal(18,2)', 'decimal', 'char(3)', 'timestamp', 'date', 'boolean', 'double'].map((t) => duckdbType(t, 'x'))).toEqual(['INTEGER', 'BIGINT', 'DECIMAL(18,2)', 'DECIMAL(10,0)', 'VARCHAR', 'TIMESTAMP', 'DATE', 'BOOLEAN', 'DOUBLE']);
    expect(() => duckdbType('array<string>', 'db.t column tags')).toThrow(/db.t column tags: the type array<string> cannot be read from text/);
  });
});

describe('partitionExpression', () => {
  it('quotes string values with doubled quotes, writes integer keys bare, refuses a non-integer for an int key', () => {
    expect(partitionExpression([{ column: { Name: 'period', Type: 'string' }, value: "it's" }, { column: { Name: 'year', Type: 'int' }, value: '2026' }])).toBe("period = 'it''s' AND year = 2026");
    expect(() => partitionExpression([{ column: { Name: 'year', Type: 'int' }, value: '2026 OR 1=1' }])).toThrow(/not an integer/);
  });
});
