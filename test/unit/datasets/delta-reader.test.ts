import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDataset } from '../../../src/datasets/index.ts';
import { diffDatasets, withDuckDb } from '../../../src/diff/index.ts';
import { UnsupportedError } from '../../../src/errors.ts';
import { DeltaWriter, type AddAction, type SparkField } from '../../helpers/delta-writer.ts';
import { tempDir, writeFiles } from '../diff/helpers.ts';
import { differences, diffDelta, NONE } from './delta-helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const SIMPLE: SparkField[] = [
  { name: 'id', type: 'long' },
  { name: 'v', type: 'string' },
];
const DV_PROTOCOL = { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] };
const rows = (from: number, to: number, tag = 'v') => `SELECT i::BIGINT AS id, '${tag}' || i AS v FROM range(${from}, ${to}) t(i)`;
let tables = 0;
const newTable = (fields: SparkField[] = SIMPLE, options = {}) => DeltaWriter.create(join(dir, `t${tables++}`), fields, options);

describe('log replay', () => {
  it('reads only live files: an overwrite leaves its removed files on disk, and they are not read', async () => {
    const w = await newTable();
    await w.append([await w.dataFile(rows(0, 50, 'old'))]);
    await w.overwrite([await w.dataFile(rows(0, 30))]);
    await w.append([await w.dataFile(rows(30, 40))]);
    expect(differences(await diffDelta(dir, w.root, rows(0, 40)))).toEqual(NONE);
    // The legacy side still has rows only the removed file held: they must show up as differences.
    const planted = await diffDelta(dir, w.root, `${rows(0, 40)} UNION ALL ${rows(40, 50, 'old')}`);
    expect(planted.verdict).toBe('different');
    expect(differences(planted)).toEqual({ ...NONE, onlyLegacy: 10 });
  });

  const kinds = [
    ['classic', {}],
    ['multipart', { parts: 3 }],
    ['v2', { sidecars: 2 }],
    ['v2-json', { sidecars: 3 }],
  ] as const;
  it.each(kinds)('replays from a %s checkpoint, then the commits after it (older commits expired)', async (kind, opts) => {
    const w = await newTable(SIMPLE, kind.startsWith('v2') ? { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['v2Checkpoint'], writerFeatures: ['v2Checkpoint'] } } : {});
    const a = await w.dataFile(rows(0, 10));
    const b = await w.dataFile(rows(10, 20));
    const c = await w.dataFile(rows(20, 30));
    await w.append([a, b]);
    await w.append([c]);
    await w.checkpoint(kind, opts);
    await w.expireCommitsBefore(w.version);
    // After the checkpoint: a checkpointed file is removed, a new one added.
    await w.commit([{ remove: { path: b.path, deletionTimestamp: Date.now(), dataChange: true } }, { add: await w.dataFile(rows(10, 20, 'new')) }]);
    expect(differences(await diffDelta(dir, w.root, `${rows(0, 10)} UNION ALL ${rows(10, 20, 'new')} UNION ALL ${rows(20, 30)}`))).toEqual(NONE);
    const planted = await diffDelta(dir, w.root, `${rows(0, 10)} UNION ALL ${rows(10, 20)} UNION ALL ${rows(20, 30)}`);
    expect(differences(planted)).toEqual({ ...NONE, changed: 10 });
  });

  it('treats _last_checkpoint as a hint: a stale hint, an incomplete multi-part checkpoint and a 0-byte one are all survived', async () => {
    const w = await newTable();
    await w.append([await w.dataFile(rows(0, 10))]);
    await w.checkpoint('classic'); // version 1; the hint stays here
    await w.append([await w.dataFile(rows(10, 20))]);
    await w.checkpoint('classic', { hint: false }); // version 2: newer than the hint
    await w.append([await w.dataFile(rows(20, 30))]);
    await w.checkpoint('multipart', { parts: 2, hint: false }); // version 3, then one part goes missing
    const log = join(w.root, '_delta_log');
    await rm(join(log, `${'3'.padStart(20, '0')}.checkpoint.0000000002.0000000002.parquet`));
    await w.append([await w.dataFile(rows(30, 40))]);
    await writeFile(join(log, `${'4'.padStart(20, '0')}.checkpoint.parquet`), ''); // an unfinished write
    expect(differences(await diffDelta(dir, w.root, rows(0, 40)))).toEqual(NONE);
    expect(differences(await diffDelta(dir, w.root, rows(0, 39)))).toEqual({ ...NONE, onlyTarget: 1 });
  });

  it('refuses a log with a missing commit instead of skipping it', async () => {
    const w = await newTable();
    await w.append([await w.dataFile(rows(0, 10))]);
    await w.append([await w.dataFile(rows(10, 20))]);
    await w.append([await w.dataFile(rows(20, 30))]);
    await rm(join(w.root, '_delta_log', `${'2'.padStart(20, '0')}.json`));
    await expect(diffDelta(dir, w.root, rows(0, 30))).rejects.toThrow(/commit 2 is missing/);
  });

  it('percent-decodes add paths exactly once and reads absolute file paths', async () => {
    const w = await newTable();
    // On disk the folder is `ts=2024-01-01 10%3A00%3A00` (Hive-escaped); the log holds it encoded again.
    const escaped = await w.dataFile(rows(0, 10), { dir: 'ts=2024-01-01 10%3A00%3A00' });
    expect(escaped.path).toContain('%253A');
    const absolute = await w.dataFile(rows(10, 20), { absolute: true });
    expect(absolute.path).toMatch(/^file:\/\//);
    await w.append([escaped, absolute]);
    expect(differences(await diffDelta(dir, w.root, rows(0, 20)))).toEqual(NONE);
    expect(differences(await diffDelta(dir, w.root, rows(0, 21)))).toEqual({ ...NONE, onlyLegacy: 1 });
  });
});

describe('partition values', () => {
  const fields: SparkField[] = [
    { name: 'id', type: 'long' },
    { name: 'store', type: 'string' },
    { name: 'n', type: 'integer' },
    { name: 'day', type: 'date' },
    { name: 'at', type: 'timestamp' },
    { name: 'flag', type: 'boolean' },
    { name: 'amount', type: 'decimal(10,2)' },
  ];
  const partitionColumns = ['store', 'n', 'day', 'at', 'flag', 'amount'];
  const legacy = (store = '007') => `
    SELECT 1::BIGINT AS id, '${store}' AS store, 5 AS n, DATE '2024-02-29' AS day, TIMESTAMPTZ '2024-03-01 10:00:00.123456+00' AS at, true AS flag, 12.50::DECIMAL(10,2) AS amount
    UNION ALL SELECT 2, NULL, NULL, NULL, NULL, NULL, NULL
    UNION ALL SELECT 3, 'x', -3, DATE '1999-12-31', TIMESTAMPTZ '2024-03-01 10:00:00+00', false, -0.01`;

  it('types them by the schema from add.partitionValues, never from folder names; null included', async () => {
    const w = await newTable(fields, { partitionColumns });
    // Folder names that lie: the reader must ignore them.
    const one = await w.dataFile(`SELECT 1::BIGINT AS id`, { dir: 'store=999/n=1', partition: { store: '007', n: '5', day: '2024-02-29', at: '2024-03-01T10:00:00.123456Z', flag: 'true', amount: '12.50' } });
    const two = await w.dataFile(`SELECT 2::BIGINT AS id`, { dir: 'store=__HIVE_DEFAULT_PARTITION__', partition: { store: null, n: null, day: null, at: '', flag: null, amount: null } });
    // The legacy zone-less timestamp form, read as UTC.
    const three = await w.dataFile(`SELECT 3::BIGINT AS id`, { partition: { store: 'x', n: '-3', day: '1999-12-31', at: '2024-03-01 10:00:00', flag: 'FALSE', amount: '-0.01' } });
    await w.append([one, two, three]);
    const clean = await diffDelta(dir, w.root, legacy());
    expect(differences(clean)).toEqual(NONE);
    expect(clean.schema.typeChanges).toEqual([]);
    // "007" is a string: a legacy "7" differs.
    const planted = await diffDelta(dir, w.root, legacy('7'));
    expect(differences(planted)).toEqual({ ...NONE, changed: 1 });
    expect(planted.columns.store?.mismatches).toBe(1);
  });

  it('refuses a partition value that does not parse as its type', async () => {
    const w = await newTable([{ name: 'id', type: 'long' }, { name: 'n', type: 'integer' }], { partitionColumns: ['n'] });
    await w.append([await w.dataFile(`SELECT 1::BIGINT AS id`, { partition: { n: 'seven' } })]);
    await expect(diffDelta(dir, w.root, `SELECT 1::BIGINT AS id, 7 AS n`)).rejects.toThrow(/partition value "seven" of n/);
  });
});

describe('column mapping', () => {
  const fields: SparkField[] = [
    { name: 'id', type: 'long' },
    { name: 'customer', type: { type: 'struct', fields: [{ name: 'name', type: 'string' }, { name: 'tier', type: 'integer' }] } },
    { name: 'tags', type: { type: 'array', elementType: { type: 'struct', fields: [{ name: 'k', type: 'string' }] }, containsNull: true } },
    { name: 'region', type: 'string' },
  ];
  const legacy = (tier = 'i % 3') =>
    `SELECT i::BIGINT AS id, {'name': 'c' || i, 'tier': (${tier})::INTEGER} AS customer, [{'k': 't' || i}] AS tags, 'eu' AS region FROM range(0, 20) t(i)`;

  it.each(['name', 'id'] as const)('maps physical names (mode %s) to logical ones, nested fields too', async (mode) => {
    const w = await newTable(fields, { columnMapping: mode, partitionColumns: ['region'] });
    const top = (n: string) => w.physical(n);
    const nested = (parent: string, child: string) => {
      const t = w.schema.find((f) => f.name === parent)!.type as { type: string; fields?: SparkField[]; elementType?: { fields: SparkField[] } };
      const list = t.fields ?? t.elementType!.fields;
      return String(list.find((f) => f.name === child)!.metadata!['delta.columnMapping.physicalName']);
    };
    const sql = (from: number, to: number) => `SELECT i::BIGINT AS "${top('id')}",
      {'${nested('customer', 'name')}': 'c' || i, '${nested('customer', 'tier')}': (i % 3)::INTEGER} AS "${top('customer')}",
      [{'${nested('tags', 'k')}': 't' || i}] AS "${top('tags')}" FROM range(${from}, ${to}) t(i)`;
    const region = w.schema.find((f) => f.name === 'region')!.metadata!['delta.columnMapping.physicalName'] as string;
    await w.append([await w.dataFile(sql(0, 10), { partition: { [region]: 'eu' } }), await w.dataFile(sql(10, 20), { partition: { [region]: 'eu' } })]);
    expect(differences(await diffDelta(dir, w.root, legacy()))).toEqual(NONE);
    const planted = await diffDelta(dir, w.root, legacy('CASE WHEN i = 4 THEN 9 ELSE i % 3 END'));
    expect(differences(planted)).toEqual({ ...NONE, changed: 1 });
    expect(planted.columns.customer?.mismatches).toBe(1);
  });

  it('refuses an id-mode file without field ids rather than reading NULLs', async () => {
    const w = await newTable(SIMPLE, { columnMapping: 'id' });
    const file = await w.dataFile(`SELECT 1::BIGINT AS "${w.physical('id')}", 'a' AS "${w.physical('v')}"`);
    // Replace it with the same columns written without field ids.
    await withDuckDb({}, (db) => db.run(`COPY (SELECT 1::BIGINT AS "${w.physical('id')}", 'a' AS "${w.physical('v')}") TO '${join(w.root, decodeURIComponent(file.path))}' (FORMAT parquet)`));
    await w.append([file]);
    await expect(diffDelta(dir, w.root, `SELECT 1::BIGINT AS id, 'a' AS v`)).rejects.toThrow(/no Parquet field ids/);
  });
});

describe('deletion vectors', () => {
  it.each([
    ['u (DV file under a random prefix)', 'u', { prefix: 'xy' }],
    ['p (absolute DV path)', 'p', {}],
    ['i (inline)', 'i', {}],
    ['u with run containers', 'u', { runs: true }],
  ] as const)('never shows deleted rows: %s', async (_name, storage, opts) => {
    const w = await newTable(SIMPLE, { protocol: DV_PROTOCOL });
    const a = await w.dataFile(rows(0, 100));
    await w.append([a, await w.dataFile(rows(100, 110))]);
    const first = await w.deleteRows(a, [0, 1, 2, 50], storage, opts);
    // A second delete on the same file replaces its DV: (path, DV id) is the file's identity.
    await w.deleteRows(first.add, [99], storage, opts);
    const live = `SELECT * FROM (${rows(0, 110)}) WHERE id NOT IN (0, 1, 2, 50, 99)`;
    expect(differences(await diffDelta(dir, w.root, live))).toEqual(NONE);
    // The legacy output still holds the deleted rows: they must be reported, never `clean`.
    const planted = await diffDelta(dir, w.root, rows(0, 110));
    expect(planted.verdict).toBe('different');
    expect(differences(planted)).toEqual({ ...NONE, onlyLegacy: 5 });
  });

  it("applies each file's DV to that file only, and each file's partition values to its rows, with files with and without DVs mixed", async () => {
    const fields: SparkField[] = [...SIMPLE, { name: 'part', type: 'string' }];
    const w = await newTable(fields, { protocol: DV_PROTOCOL, partitionColumns: ['part'] });
    const parts = ['a', 'b', 'a', 'b', 'c'];
    const adds: AddAction[] = [];
    for (const [i, part] of parts.entries()) adds.push(await w.dataFile(rows(i * 100, i * 100 + 100), { partition: { part } }));
    await w.append(adds);
    // DVs on the 2nd, 4th and 5th files, at positions that would hit live rows of any other file.
    const b = await w.withDeletionVector(adds[1]!, [0, 1]);
    const d = await w.withDeletionVector(adds[3]!, [5], 'i');
    const e = await w.withDeletionVector(adds[4]!, [99]);
    const remove = (a: AddAction) => ({ remove: { path: a.path, deletionTimestamp: Date.now(), dataChange: true } });
    await w.commit([remove(adds[1]!), remove(adds[3]!), remove(adds[4]!), { add: b }, { add: d }, { add: e }], { operation: 'DELETE' });
    const legacy = (deleted: string) => `SELECT id, v, ['a', 'b', 'a', 'b', 'c'][(id // 100) + 1] AS part FROM (${rows(0, 500)}) WHERE id NOT IN (${deleted})`;
    expect(differences(await diffDelta(dir, w.root, legacy('100, 101, 305, 499')))).toEqual(NONE);
    expect(differences(await diffDelta(dir, w.root, legacy('-1')))).toEqual({ ...NONE, onlyLegacy: 4 });
  });

  it('applies a DV of more than 4,096 rows (a bitset container) to the right positions', async () => {
    const w = await newTable(SIMPLE, { protocol: DV_PROTOCOL });
    const a = await w.dataFile(rows(0, 20_000));
    await w.append([a]);
    const deleted = Array.from({ length: 5000 }, (_, i) => i * 4);
    await w.deleteRows(a, deleted);
    expect(differences(await diffDelta(dir, w.root, `SELECT * FROM (${rows(0, 20_000)}) WHERE id % 4 <> 0 OR id >= 20000`))).toEqual(NONE);
    expect(differences(await diffDelta(dir, w.root, `SELECT * FROM (${rows(0, 20_000)}) WHERE id % 4 <> 0 OR id = 8`))).toEqual({ ...NONE, onlyLegacy: 1 });
  });
  it('keeps every deleted position with its own file when the positions of several files span many 2,048-row load batches', async () => {
    const w = await newTable(SIMPLE, { protocol: DV_PROTOCOL });
    const adds = [await w.dataFile(rows(0, 10_000)), await w.dataFile(rows(10_000, 20_000)), await w.dataFile(rows(20_000, 30_000))];
    await w.append(adds);
    // 3,000 + 2,500 positions (file 2 keeps its DV-free rows): batches mix the files' positions.
    const a = await w.withDeletionVector(adds[0]!, Array.from({ length: 3000 }, (_, i) => i * 3));
    const c = await w.withDeletionVector(adds[2]!, Array.from({ length: 2500 }, (_, i) => i * 4 + 1));
    const remove = (x: AddAction) => ({ remove: { path: x.path, deletionTimestamp: Date.now(), dataChange: true } });
    await w.commit([remove(adds[0]!), remove(adds[2]!), { add: a }, { add: c }], { operation: 'DELETE' });
    const live = `SELECT * FROM (${rows(0, 30_000)}) WHERE NOT ((id < 9000 AND id % 3 = 0) OR (id >= 20000 AND id < 30000 AND (id - 20000) % 4 = 1))`;
    expect(differences(await diffDelta(dir, w.root, live))).toEqual(NONE);
    // One deleted row of each DV file back in the legacy output: both are found.
    expect(differences(await diffDelta(dir, w.root, `${live} UNION ALL SELECT * FROM (${rows(0, 30_000)}) WHERE id IN (8997, 29997)`))).toEqual({ ...NONE, onlyLegacy: 2 });
  });
  it.each(['auto', 'buckets', 'keys', 'join'] as const)(
    'reads the same live rows in every pass of strategy %s: mapped names, partitions, files with and without DVs',
    async (strategy) => {
      const fields: SparkField[] = [...SIMPLE, { name: 'part', type: 'string' }];
      const protocol = { ...DV_PROTOCOL, readerFeatures: ['deletionVectors', 'columnMapping'], writerFeatures: ['deletionVectors', 'columnMapping'] };
      const w = await newTable(fields, { protocol, partitionColumns: ['part'], columnMapping: 'name' });
      const file = (from: number, to: number) => `SELECT i::BIGINT AS "${w.physical('id')}", 'v' || i AS "${w.physical('v')}" FROM range(${from}, ${to}) t(i)`;
      const parts = ['a', 'b', 'a'];
      const adds: AddAction[] = [];
      for (const [i, part] of parts.entries()) adds.push(await w.dataFile(file(i * 1000, i * 1000 + 1000), { partition: { [String(w.schema.find((f) => f.name === 'part')!.metadata!['delta.columnMapping.physicalName'])]: part } }));
      await w.append(adds);
      // Files 1 and 3 lose every 10th row; file 2 has no DV.
      const deleted = Array.from({ length: 100 }, (_, i) => i * 10);
      const [a, c] = [await w.withDeletionVector(adds[0]!, deleted), await w.withDeletionVector(adds[2]!, deleted)];
      const remove = (x: AddAction) => ({ remove: { path: x.path, deletionTimestamp: Date.now(), dataChange: true } });
      await w.commit([remove(adds[0]!), remove(adds[2]!), { add: a }, { add: c }], { operation: 'DELETE' });
      const legacy = (where: string, v = `'v' || i`) =>
        `SELECT i::BIGINT AS id, ${v} AS v, ['a', 'b', 'a'][(i // 1000) + 1] AS part FROM range(0, 3000) t(i) WHERE ${where}`;
      const live = `(i >= 1000 AND i < 2000) OR i % 10 <> 0`;
      const run = async (sql: string) => {
        const legacyPath = join(dir, `strategy-${strategy}-${tables++}.parquet`);
        await writeFiles({ [legacyPath]: sql });
        return diffDatasets({ legacy: { path: legacyPath, format: 'parquet' }, target: { path: w.root }, key: ['id'], strategy, joinBelowRows: 0 });
      };
      expect(differences(await run(legacy(live)))).toEqual(NONE);
      // Deleted rows 20 (file 1) and 2990 (file 3) still in legacy; a changed value in a DV file (15) and in the DV-free file (1500).
      const planted = await run(legacy(`${live} OR i IN (20, 2990)`, `CASE WHEN i IN (15, 1500) THEN 'x' ELSE 'v' || i END`));
      expect(differences(planted)).toEqual({ ...NONE, onlyLegacy: 2, changed: 2 });
      expect(planted.keySamples.onlyLegacy.map((k) => Number(k.id))).toEqual([20, 2990]);
      expect(planted.counts.target).toBe(2800);
    },
  );
});

describe('schema evolution', () => {
  it('reads a column missing from older files as NULL and casts widened types to the table type', async () => {
    const w = await newTable([{ name: 'id', type: 'long' }, { name: 'qty', type: 'integer' }]);
    await w.append([await w.dataFile(`SELECT i::BIGINT AS id, i::SMALLINT AS qty FROM range(0, 10) t(i)`)]);
    // qty widened from integer to long; a column added.
    const schema = [
      { name: 'id', type: 'long', nullable: true, metadata: {} },
      { name: 'qty', type: 'long', nullable: true, metadata: { 'delta.typeChanges': [{ fromType: 'integer', toType: 'long' }] } },
      { name: 'note', type: 'string', nullable: true, metadata: {} },
    ];
    await w.commit([
      { protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['typeWidening'], writerFeatures: ['typeWidening'] } },
      { metaData: { id: 'x', format: { provider: 'parquet', options: {} }, schemaString: JSON.stringify({ type: 'struct', fields: schema }), partitionColumns: [], configuration: {} } },
    ]);
    await w.append([await w.dataFile(`SELECT i::BIGINT AS id, (i * 10000000000)::BIGINT AS qty, 'n' || i AS note FROM range(10, 20) t(i)`)]);
    const legacy = (note = 'NULL') => `SELECT i::BIGINT AS id, CASE WHEN i < 10 THEN i ELSE i * 10000000000 END::BIGINT AS qty, CASE WHEN i < 10 THEN ${note} ELSE 'n' || i END AS note FROM range(0, 20) t(i)`;
    const clean = await diffDelta(dir, w.root, legacy());
    expect(differences(clean)).toEqual(NONE);
    expect(clean.schema.typeChanges).toEqual([]);
    const planted = await diffDelta(dir, w.root, legacy(`CASE WHEN i = 3 THEN 'x' END`));
    expect(differences(planted)).toEqual({ ...NONE, changed: 1 });
  });

  it('refuses a recorded type change it cannot read exactly', async () => {
    const w = await newTable([{ name: 'id', type: 'long', metadata: { 'delta.typeChanges': [{ fromType: 'string', toType: 'long' }] } }], {
      protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['typeWidening'], writerFeatures: ['typeWidening'] },
    });
    await expect(diffDelta(dir, w.root, `SELECT 1::BIGINT AS id`)).rejects.toThrow(/changed type from string to long/);
  });
});

describe('protocol check', () => {
  it.each([
    [{ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors', 'variantType'], writerFeatures: [] }, 'variantType'],
    [{ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['catalogManaged'], writerFeatures: [] }, 'catalogManaged'],
    [{ minReaderVersion: 4, minWriterVersion: 7 }, 'readerVersion 4'],
  ])('refuses a table needing %j by the feature name, before any data file is read', async (protocol, feature) => {
    const w = await newTable(SIMPLE, { protocol });
    const file = await w.dataFile(rows(0, 5));
    await w.append([file]);
    // The data file is gone: reaching it would be a different error.
    await rm(join(w.root, file.path));
    const err = await diffDelta(dir, w.root, rows(0, 5)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as UnsupportedError).feature).toBe(feature);
    expect((err as Error).message).toContain(w.root);
  });

  it('refuses a Delta folder asked for as parquet, naming the reason', async () => {
    const w = await newTable();
    await w.append([await w.dataFile(rows(0, 5))]);
    const err = await withDuckDb({}, (db) => registerDataset(db, 't', { path: w.root, format: 'parquet' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as Error).message).toMatch(/is a Delta table .*_delta_log.*format: delta/);
  });

  it('reads a folder holding _delta_log/ as Delta when no format is given', async () => {
    const w = await newTable();
    await w.append([await w.dataFile(rows(0, 5))]);
    await w.overwrite([await w.dataFile(rows(0, 3))]);
    const registered = await withDuckDb({}, (db) => registerDataset(db, 't', { path: w.root }));
    expect(registered.source).toMatchObject({ format: 'delta', version: 2 });
    expect(registered.rows).toBe(3);
  });
});

