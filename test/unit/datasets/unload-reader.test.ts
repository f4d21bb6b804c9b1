import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffDatasets, withDuckDb, sqlString, type DiffInput, type DiffReport } from '../../../src/diff/index.ts';
import { UnsupportedError } from '../../../src/errors.ts';
import { writeUnload, type UnloadColumn, type UnloadSpec } from '../../helpers/unload-writer.ts';
import { diffAll, tempDir } from '../diff/helpers.ts';

/**
 * Redshift UNLOAD text (issue 13 item 3) against the Spark side's Parquet. Every case writes
 * the UNLOAD's objects as Redshift would and diffs them twice: rendered from the same rows as
 * the Parquet (must be clean) and with one planted difference (must be found, with its key).
 */
let dir: string;
let cleanup: () => Promise<void>;
let n = 0;

const COLUMNS: UnloadColumn[] = [
  { name: 'id', type: { base: 'integer' } },
  { name: 'amount', type: { base: 'numeric', precision: 20, scale: 5 } },
  { name: 'active', type: { base: 'boolean' } },
  { name: 'name', type: { base: 'character varying' } },
  { name: 'ts', type: { base: 'timestamp without time zone' } },
];

/** Rows as typed values: [id, amount (text, full scale), active, name, ts (Redshift text)]. */
type Row = [number, string | null, boolean | null, string | null, string | null];

/** 15 significant digits and more: a DOUBLE would lose the last ones (12345678901234.12345). */
function rows(names: (i: number) => string | null = (i) => `name ${i}`): Row[] {
  return Array.from({ length: 12 }, (_, i): Row => [
    i,
    i === 5 ? null : `${12345678901234 + i}.${String(12345 + i).padStart(5, '0')}`,
    i === 7 ? null : i % 2 === 0,
    names(i),
    i === 9 ? null : `2024-03-0${1 + (i % 9)} 10:1${i % 10}:0${i % 10}${i % 3 === 0 ? '' : `.${String(i * 1111).padStart(6, '0')}`}`,
  ]);
}

/** As Redshift renders each value: t/f booleans, everything else already text. */
const rendered = (rs: Row[]) => rs.map(([id, amount, active, name, ts]) => [String(id), amount, active === null ? null : active ? 't' : 'f', name, ts]);

/** The Spark side: the same rows as Parquet, with exact types. */
async function writeTarget(rs: Row[]): Promise<string> {
  const path = join(dir, `target-${++n}.parquet`);
  const v = (x: string | number | boolean | null) => (x === null ? 'NULL' : typeof x === 'string' ? sqlString(x) : String(x));
  const values = rs.map((r) => `(${r.map(v).join(', ')})`).join(', ');
  await withDuckDb({ threads: 1 }, (db) =>
    db.run(`COPY (SELECT CAST(id AS INTEGER) AS id, CAST(amount AS DECIMAL(20,5)) AS amount, CAST(active AS BOOLEAN) AS active,
      CAST(name AS VARCHAR) AS name, CAST(ts AS TIMESTAMP) AS ts FROM (VALUES ${values}) v(id, amount, active, name, ts)) TO ${sqlString(path)}`),
  );
  return path;
}

async function unload(spec: Omit<UnloadSpec, 'columns' | 'rows'> & { rows: (string | null)[][]; columns?: UnloadColumn[] }, prefix = 'venue_'): Promise<string> {
  const where = join(dir, `unload-${++n}`);
  await writeUnload(where, prefix, { columns: COLUMNS, ...spec });
  return join(where, prefix);
}

/** The diff; `all` runs every strategy (checksum paths included) and checks they agree. */
async function diffUnload(path: string, target: string, spec: Partial<UnloadSpec> = {}, extra: Partial<DiffInput> = {}, all = false): Promise<DiffReport> {
  const input: DiffInput = { legacy: { path, format: 'unload', csv: csvOf(spec) }, target: { path: target }, key: ['id'], ...extra };
  return all ? diffAll(input) : diffDatasets(input);
}

function csvOf(s: Partial<UnloadSpec>) {
  return {
    ...(s.header ? { header: true } : {}),
    ...(s.delimiter ? { delimiter: s.delimiter } : s.csv ? { delimiter: ',' } : {}),
    ...(s.nullAs !== undefined ? { null: s.nullAs } : {}),
    ...(s.csv || s.addQuotes ? { quote: '"' } : {}),
    ...(s.escape ? { escape: true } : {}),
  };
}

/** Clean when rendered from the same rows; exactly the planted change otherwise. */
async function cleanAndPlanted(spec: Omit<UnloadSpec, 'columns' | 'rows'>, base: Row[] = rows(), all = false) {
  const target = await writeTarget(base);
  const clean = await diffUnload(await unload({ ...spec, rows: rendered(base) }), target, spec, {}, all);
  const planted = rendered(base);
  (planted[4] as (string | null)[])[3] = 'changed';
  const different = await diffUnload(await unload({ ...spec, rows: planted }), target, spec, {}, all);
  return { clean, different };
}

function expectPlantedFound(r: DiffReport, legacy: string | null = 'changed', target: string | null = 'name 4') {
  expect(r.verdict).toBe('different');
  expect(r.counts).toMatchObject({ legacy: 12, target: 12, onlyLegacy: 0, onlyTarget: 0, changed: 1 });
  expect(r.columns.name).toEqual({ mismatches: 1, samples: [{ key: { id: '4' }, legacy, target }] });
}

beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

describe('format: unload, UNLOAD defaults', () => {
  it('reads pipe-delimited parts without header or extension, an empty field as NULL, names and types from the other side by position', async () => {
    const { clean, different } = await cleanAndPlanted({}, rows(), true);
    expect(clean.verdict).toBe('clean');
    expect(clean.counts).toMatchObject({ legacy: 12, target: 12, changed: 0 });
    expect(clean.schema.typeChanges).toEqual([]);
    expectPlantedFound(different);
  });

  it('finds a NULL written where the Parquet holds a value, and a value where it holds NULL', async () => {
    const base = rows();
    const target = await writeTarget(base);
    const text = rendered(base);
    (text[2] as (string | null)[])[1] = null;
    (text[5] as (string | null)[])[1] = '0.00000';
    const r = await diffUnload(await unload({ rows: text }), target);
    expect(r.columns.amount?.samples).toEqual([
      { key: { id: '2' }, legacy: null, target: '12345678901236.12347' },
      { key: { id: '5' }, legacy: '0.00000', target: null },
    ]);
  });

  it('refuses a count of fields that does not match the other side, naming both counts', async () => {
    const target = await writeTarget(rows());
    const text = rendered(rows()).map((r) => [...r, 'extra']);
    const err = await diffUnload(await unload({ rows: text }), target).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as Error).message).toMatch(/venue_0000_part_00 has 6 fields a line, but the other side has 5 columns that are not ignored \(id, amount, active, name, ts\)/);
  });

  it('refuses a ragged line in one line naming the file and line, never its text', async () => {
    const target = await writeTarget(rows());
    const path = await unload({ rows: rendered(rows()) });
    await writeFile(`${path}0001_part_00`, '1|1.00000|t|secret name|2024-03-01 10:10:00|x\n');
    const err = (await diffUnload(path, target).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(UnsupportedError);
    expect(err.message).toBe(`${path}0001_part_00: cannot be read as unload: line 1: 6 fields where 5 were expected`);
  });

  it('takes the other side\'s columns minus ignored ones', async () => {
    const base = rows();
    const target = await writeTarget(base);
    const text = rendered(base).map(([id, amount, active, name]) => [id, amount, active, name] as (string | null)[]);
    const r = await diffUnload(await unload({ rows: text }), target, {}, { options: { ignore: ['ts'] } });
    expect(r.verdict).toBe('clean');
    (text[4] as (string | null)[])[3] = 'changed';
    expectPlantedFound(await diffUnload(await unload({ rows: text }), target, {}, { options: { ignore: ['ts'] } }));
  });
});

describe('format: unload, text cast exactly to the other side\'s types', () => {
  it('keeps DECIMAL(20,5) exact: a change in the fifth decimal of a 19-digit value is found', async () => {
    const base = rows();
    const target = await writeTarget(base);
    const text = rendered(base);
    (text[3] as (string | null)[])[1] = '12345678901237.12349';
    const r = await diffUnload(await unload({ rows: text }), target);
    expect(r.schema.typeChanges).toEqual([]);
    expect(r.columns.amount).toEqual({ mismatches: 1, samples: [{ key: { id: '3' }, legacy: '12345678901237.12349', target: '12345678901237.12348' }] });
  });

  it('reads t/f as booleans and finds a flipped one', async () => {
    const base = rows();
    const target = await writeTarget(base);
    const text = rendered(base);
    (text[6] as (string | null)[])[2] = 'f';
    const r = await diffUnload(await unload({ rows: text }), target);
    expect(r.columns.active).toEqual({ mismatches: 1, samples: [{ key: { id: '6' }, legacy: 'false', target: 'true' }] });
  });

  it('reports a value that does not parse as a difference with its key, even beside a NULL, never dropped', async () => {
    const base = rows();
    const target = await writeTarget(base);
    const text = rendered(base);
    (text[1] as (string | null)[])[1] = '12345678901235.123461'; // a sixth decimal: not a DECIMAL(20,5)
    (text[5] as (string | null)[])[1] = 'n/a'; // the Parquet holds NULL here
    (text[8] as (string | null)[])[4] = '2024-02-30 10:00:00';
    (text[10] as (string | null)[])[2] = 'yes please';
    const r = await diffUnload(await unload({ rows: text }), target, {}, {}, true);
    expect(r.counts).toMatchObject({ legacy: 12, target: 12, changed: 4 });
    expect(r.columns.amount?.samples).toEqual([
      { key: { id: '1' }, legacy: '12345678901235.123461 (not DECIMAL(20,5))', target: '12345678901235.12346' },
      { key: { id: '5' }, legacy: 'n/a (not DECIMAL(20,5))', target: null },
    ]);
    expect(r.columns.ts?.samples).toEqual([{ key: { id: '8' }, legacy: '2024-02-30 10:00:00 (not TIMESTAMP)', target: '2024-03-09T10:18:08.008888Z' }]);
    expect(r.columns.active?.samples).toEqual([{ key: { id: '10' }, legacy: 'yes please (not BOOLEAN)', target: 'true' }]);
  });

  it('reads a TIMESTAMPTZ rendered with its offset as the same instant', async () => {
    const target = join(dir, 'tz.parquet');
    await withDuckDb({ threads: 1 }, (db) => db.run(`COPY (SELECT 1 AS id, TIMESTAMPTZ '2021-04-05 17:27:53+00' AS at UNION ALL SELECT 2, TIMESTAMPTZ '2021-04-05 19:00:00+00') TO ${sqlString(target)}`));
    const text = [['1', '2021-04-05 19:27:53+02'], ['2', '2021-04-05 19:00:00+00']];
    const columns = [{ name: 'id', type: { base: 'integer' } }, { name: 'at', type: { base: 'timestamp with time zone' } }];
    const clean = await diffUnload(await unload({ rows: text, columns }), target);
    expect(clean.verdict).toBe('clean');
    text[1] = ['2', '2021-04-05 19:00:00+01'];
    const planted = await diffUnload(await unload({ rows: text, columns }), target);
    expect(planted.columns.at?.samples).toEqual([{ key: { id: '2' }, legacy: '2021-04-05T18:00:00.000000Z', target: '2021-04-05T19:00:00.000000Z' }]);
  });
});

describe('format: unload, options', () => {
  it('HEADER: names come from the header line of each part, so columns in another order still line up', async () => {
    const base = rows();
    const target = await writeTarget(base);
    const order = [3, 0, 4, 2, 1];
    const columns = order.map((i) => COLUMNS[i] as UnloadColumn);
    const reorder = (rs: (string | null)[][]) => rs.map((r) => order.map((i) => r[i] as string | null));
    const clean = await diffUnload(await unload({ header: true, columns, rows: reorder(rendered(base)) }), target, { header: true });
    expect(clean.verdict).toBe('clean');
    const planted = rendered(base);
    (planted[4] as (string | null)[])[3] = 'changed';
    expectPlantedFound(await diffUnload(await unload({ header: true, columns, rows: reorder(planted) }), target, { header: true }));
  });

  it('FORMAT CSV: comma-delimited, quoted where a value holds the delimiter, a quote or a line break', async () => {
    const { clean, different } = await cleanAndPlanted({ csv: true }, rows((i) => [`plain ${i}`, 'a, b', 'say "hi"', 'two\nlines', '|pipe|'][i % 5] as string));
    expect(clean.verdict).toBe('clean');
    expectPlantedFound(different, 'changed', '|pipe|');
  });

  it('NULL AS: the given text is NULL and an empty field is an empty string', async () => {
    const { clean, different } = await cleanAndPlanted({ nullAs: '\\N' }, rows((i) => (i === 2 ? '' : i === 3 ? null : `name ${i}`)));
    expect(clean.verdict).toBe('clean');
    expectPlantedFound(different);
    const target = await writeTarget(rows((i) => (i === 2 ? '' : `name ${i}`)));
    const nulled = rendered(rows((i) => (i === 2 ? null : `name ${i}`)));
    const r = await diffUnload(await unload({ nullAs: '\\N', rows: nulled }), target, { nullAs: '\\N' });
    expect(r.columns.name?.samples).toEqual([{ key: { id: '2' }, legacy: null, target: '' }]);
  });

  it('ESCAPE: escaped delimiters, backslashes and line breaks are data', async () => {
    const names = (i: number) => [`a|b ${i}`, 'back\\slash', 'line\nbreak', 'cr\r\nlf', '\\N is text'][i % 5] as string;
    const { clean, different } = await cleanAndPlanted({ escape: true, nullAs: '\\N' }, rows(names));
    expect(clean.verdict).toBe('clean');
    expectPlantedFound(different, 'changed', '\\N is text');
  });

  it('ESCAPE with ADDQUOTES: every field quoted, inner quotes escaped', async () => {
    const { clean, different } = await cleanAndPlanted({ escape: true, addQuotes: true }, rows((i) => (i === 1 ? 'say "hi" | bye' : `name ${i}`)));
    expect(clean.verdict).toBe('clean');
    expectPlantedFound(different);
  });

  it.each(['gzip', 'bzip2', 'zstd'] as const)('reads %s parts by their extension', async (compression) => {
    const { clean, different } = await cleanAndPlanted({ compression, slices: 3 });
    expect(clean.verdict).toBe('clean');
    expectPlantedFound(different);
  });

  it('reads ESCAPE text inside gzip and bzip2 parts', async () => {
    for (const compression of ['gzip', 'bzip2'] as const) {
      const { clean, different } = await cleanAndPlanted({ compression, escape: true }, rows((i) => `a|b\n${i}`));
      expect(clean.verdict).toBe('clean');
      expectPlantedFound(different, 'changed', 'a|b\n4');
    }
  });

  it('skips the empty parts UNLOAD leaves for slices without rows', async () => {
    const { clean, different } = await cleanAndPlanted({ emptySlices: 2, compression: 'gzip' });
    expect(clean.verdict).toBe('clean');
    expectPlantedFound(different);
  });
});

describe('format: unload, manifests', () => {
  it('never reads the manifest as data, and reads exactly the files it lists', async () => {
    const { clean, different } = await cleanAndPlanted({ manifest: 'plain' });
    expect(clean.verdict).toBe('clean');
    expectPlantedFound(different);
    // A part of an earlier unload to the same prefix is not in the manifest: not read.
    const base = rows();
    const target = await writeTarget(base);
    const path = await unload({ manifest: 'plain', rows: rendered(base) });
    await writeFile(`${path}0007_part_00`, '99|1.00000|t|stale|2020-01-01 00:00:00\n');
    expect((await diffUnload(path, target)).verdict).toBe('clean');
  });

  it('says which listed file is missing', async () => {
    const base = rows();
    const target = await writeTarget(base);
    const path = await unload({ manifest: 'plain', rows: rendered(base) });
    await rm(`${path}0001_part_00`);
    await expect(diffUnload(path, target)).rejects.toThrow(/venue_manifest lists s3:\/\/unload\/venue_0001_part_00, which is not among the files there/);
  });

  it('takes names and types from a verbose manifest: DECIMAL(20,5) as declared, even beside a DOUBLE', async () => {
    const base = rows();
    const target = await writeTarget(base);
    const { clean, different } = await cleanAndPlanted({ manifest: 'verbose' });
    expect(clean.verdict).toBe('clean');
    expectPlantedFound(different);
    // The manifest's columns in another order than the Parquet's: by name, still clean.
    const order = [1, 0, 3, 2, 4];
    const reordered = await unload({ manifest: 'verbose', columns: order.map((i) => COLUMNS[i] as UnloadColumn), rows: rendered(base).map((r) => order.map((i) => r[i] as string | null)) });
    expect((await diffUnload(reordered, target)).verdict).toBe('clean');
    const doubles = join(dir, 'doubles.parquet');
    await withDuckDb({ threads: 1 }, (db) => db.run(`COPY (SELECT id, CAST(amount AS DOUBLE) AS amount, active, name, ts FROM ${sqlString(target)}) TO ${sqlString(doubles)}`));
    const r = await diffUnload(reordered, doubles);
    expect(r.schema.typeChanges).toEqual([{ column: 'amount', legacy: 'DECIMAL(20,5)', target: 'DOUBLE', tolerated: false }]);
  });
});

describe('format: csv, the same options', () => {
  it('reads a semicolon CSV with NA for NULL and a header, typed like the Parquet', async () => {
    const base = rows((i) => (i === 3 ? null : `name; ${i}`));
    const target = await writeTarget(base);
    const write = async (rs: (string | null)[][]) => {
      const path = join(dir, `csv-${++n}.csv`);
      const field = (v: string | null) => (v === null ? 'NA' : /[;"\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
      await writeFile(path, ['id;amount;active;name;ts', ...rs.map((r) => r.map(field).join(';'))].join('\n') + '\n');
      return path;
    };
    const csv = { delimiter: ';', null: 'NA' };
    const clean = await diffAll({ legacy: { path: await write(rendered(base)), format: 'csv', csv }, target: { path: target }, key: ['id'] });
    expect(clean.verdict).toBe('clean');
    expect(clean.schema.typeChanges).toEqual([]);
    const planted = rendered(base);
    (planted[4] as (string | null)[])[3] = 'changed';
    const r = await diffAll({ legacy: { path: await write(planted), format: 'csv', csv }, target: { path: target }, key: ['id'] });
    expectPlantedFound(r, 'changed', 'name; 4');
  });
});
