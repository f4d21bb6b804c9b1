import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NotFoundError, UnsupportedError } from '../../errors.ts';
import type { SchemaColumn } from '../../diff/column-plan.ts';
import { sqlString, type DuckDbSession } from '../../diff/duckdb-session.ts';
import { hivePartitions } from '../hive-partitions.ts';
import { fetchCandidates, listCandidates, type Candidate, type DataFile } from '../locate-files.ts';
import { sourceMap } from '../parquet-files.ts';
import { readerError } from '../reader-errors.ts';
import type { DatasetAccess, RegisteredDataset } from '../register-dataset.ts';
import { quoteIdent, settleUnparsed, typedSelect, type TextColumn } from '../typed-columns.ts';
import type { FileDataset, RegisterOptions } from '../types.ts';
import { duckdbCsvOptions, needsUnescaping, resolveTextOptions, UNESCAPED_OPTIONS, type TextOptions } from './csv-options.ts';
import { isManifestName, parseManifest, type UnloadManifest } from './manifest.ts';
import { prepareTextFiles } from './prepare-files.ts';

const FILE = '__cutover_file';

export interface TextRegisterOptions extends RegisterOptions {
  /**
   * Column names and types declared elsewhere (a Glue table, a Redshift catalog): used like a
   * verbose manifest's schema, which wins over it when present.
   */
  schema?: SchemaColumn[];
}

/**
 * Registers a `csv` or `unload` dataset as the temp view `viewName` (the `legacy` helpers read
 * Redshift-unloaded data and Glue CSV tables with it too).
 *
 * 1. Files: everything under the path or UNLOAD prefix but markers; an UNLOAD manifest is never
 *    data, and when there is one its entries are exactly the files read (only those are
 *    downloaded from S3); empty parts (UNLOAD leaves them for zero rows) are skipped.
 * 2. Names and types: a verbose manifest (or `options.schema`), else the header (types from the
 *    other side's columns of the same name), else the other side's columns (`options.like`,
 *    ignored ones already left out) by position, minus Hive partition columns, which come from
 *    the folders. A count that does not match is refused naming both counts. With none of
 *    these (a DQ check of a `csv` side), DuckDB's sniffer guesses the types.
 * 3. One pass over the text into a temp table: every value cast exactly (castText), values that
 *    do not parse kept beside it (settleUnparsed).
 */
export async function registerText(
  session: DuckDbSession,
  viewName: string,
  dataset: FileDataset & { format: 'csv' | 'unload' },
  access: DatasetAccess = {},
  options: TextRegisterOptions = {},
): Promise<RegisteredDataset> {
  const text = resolveTextOptions(dataset.format, dataset.csv);
  const scratch = join(session.workDir, 'text', viewName.replace(/[^\w-]/g, '_'));
  const { candidates, manifest } = await chooseFiles(dataset, access, join(scratch, 'manifest'));
  const httpfsOff = { ...access, httpfs: 'never' as const };
  const fetched = await fetchCandidates(candidates, session.workDir, viewName, httpfsOff);
  const unescape = needsUnescaping(text) ? text : undefined;
  const files = await prepareTextFiles(fetched, join(scratch, 'files'), { unescape });
  const read: TextOptions = unescape ? { ...UNESCAPED_OPTIONS, header: text.header } : text;
  const where = `${dataset.path}`;
  const sourceOf = sourceMap(files);
  const view = quoteIdent(viewName);
  const ctx: TextContext = { session, view, files, read, where, sourceOf, manifest, declared: manifest?.schema ?? options.schema };
  try {
    const built = await buildTable(ctx, options);
    return { view, via: candidates.some((c) => c.s3) ? 'download' : 'local', files: fetched.map((f) => f.path), source: { format: dataset.format }, ...built };
  } catch (err) {
    throw readerError(err, { format: dataset.format, where, sourceOf });
  }
}

interface TextContext {
  session: DuckDbSession;
  view: string;
  files: DataFile[];
  read: TextOptions;
  where: string;
  sourceOf: (path: string) => string;
  manifest?: UnloadManifest;
  declared?: SchemaColumn[];
}

/** The files to read: the manifest's entries when there is a manifest, else every data file. */
async function chooseFiles(dataset: FileDataset & { format: 'csv' | 'unload' }, access: DatasetAccess, dir: string): Promise<{ candidates: Candidate[]; manifest?: UnloadManifest }> {
  const all = await listCandidates(dataset.path, dataset.format, access);
  const manifests = dataset.format === 'unload' ? all.filter((c) => isManifestName(c.rel)) : [];
  const data = all.filter((c) => !manifests.includes(c) && c.size > 0);
  if (manifests.length > 1) {
    throw new UnsupportedError(`${dataset.path}: more than one UNLOAD manifest (${manifests.map((m) => m.source).join(', ')}); point at one unload's prefix`, 'manifest');
  }
  const [found] = manifests;
  if (!found) return { candidates: data };
  const [local] = await fetchCandidates([found], dir, 'm', { ...access, httpfs: 'never' });
  const manifest = parseManifest(await readFile(local?.path as string, 'utf8'), found.source);
  return { candidates: manifest.urls.map((url) => entryFile(url, all, found)).filter((c) => c.size !== 0), manifest };
}

/** A manifest entry among the listed files: by S3 URL, or, for a local copy, by its path's tail. */
function entryFile(url: string, all: Candidate[], manifest: Candidate): Candidate {
  const s3 = /^s3a?:\/\/([^/]+)\/(.+)$/.exec(url);
  if (manifest.s3 && s3) {
    const hit = all.find((c) => c.s3?.bucket === s3[1] && c.s3?.key === s3[2]);
    // An entry outside the listed prefix is still the unload's file: fetch it by its URL.
    return hit ?? { rel: (s3[2] as string).slice((s3[2] as string).lastIndexOf('/') + 1), size: -1, source: url, s3: { bucket: s3[1] as string, key: s3[2] as string } };
  }
  const path = s3 ? (s3[2] as string) : url;
  const hit = all
    .filter((c) => c !== manifest && (path === c.rel || path.endsWith(`/${c.rel}`)))
    .sort((a, b) => b.rel.length - a.rel.length)[0];
  if (!hit) throw new NotFoundError(`${manifest.source} lists ${url}, which is not among the files there`);
  return hit;
}

/** Names, types, the temp table and the view; `retype` runs it again with the other side's types. */
async function buildTable(ctx: TextContext, options: TextRegisterOptions): Promise<Pick<RegisteredDataset, 'columns' | 'untyped' | 'retype'>> {
  const { session, view, files, read } = ctx;
  const rows = `"${view.slice(1, -1)}__rows"`;
  if (files.length === 0) {
    // Only empty parts (a zero-row UNLOAD): the declared or the other side's columns, no rows.
    const cols = ctx.declared ?? options.like ?? [];
    if (cols.length === 0) throw new NotFoundError(`${ctx.where}: every file is empty and no columns are known`);
    await session.run(`CREATE OR REPLACE TEMP VIEW ${view} AS SELECT ${cols.map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`).join(', ')} WHERE false`);
    return { columns: cols.map((c) => ({ name: c.name, type: c.type })) };
  }
  const partitions = hivePartitions(files.map((f) => f.rel));
  const fileColumns = await fileColumnsOf(ctx, partitions.names, options);
  const list = `[${files.map((f) => sqlString(f.path)).join(', ')}]`;
  const fields = fileColumns.map((_, i) => `${sqlString(`f${i}`)}: 'VARCHAR'`).join(', ');
  const reader = `read_csv(${list}, columns = {${fields}}, header = ${read.header}, ${duckdbCsvOptions(read).join(', ')}, auto_detect = false, strict_mode = true, filename = '${FILE}')`;
  const byName = new Map([...(ctx.declared ?? []), ...(options.like ?? [])].reverse().map((c) => [c.name, c.type]));
  const textColumns: TextColumn[] = [
    ...fileColumns.map((c, i) => ({ name: c.name, raw: `d.f${i}`, type: c.type })),
    ...partitions.names.map((name, i) => ({ name, raw: `p.p${i}`, type: byName.get(name) })),
  ];
  const typed = typedSelect(textColumns);
  let from = `${reader} d`;
  if (partitions.names.length > 0) {
    const values = files.map((f, i) => `(${[f.path, ...(partitions.values[i] ?? [])].map((v) => (v === null ? 'NULL' : sqlString(v))).join(', ')})`);
    from += ` JOIN (VALUES ${values.join(', ')}) p(${[FILE, ...partitions.names.map((_, i) => `p${i}`)].join(', ')}) ON d.${FILE} = p.${FILE}`;
  }
  await session.run(`CREATE OR REPLACE TEMP TABLE ${rows} AS SELECT ${typed.items.join(', ')}, d.${FILE} AS ${FILE} FROM ${from}`);
  const settled = await settleUnparsed(session, rows, typed.columns, {
    keepUnparsed: options.keepUnparsed,
    where: ctx.where,
    fileColumn: FILE,
    sourceOf: ctx.sourceOf,
  });
  await session.run(`CREATE OR REPLACE TEMP VIEW ${view} AS SELECT ${settled.select.join(', ')} FROM ${rows}`);
  const untyped = [
    ...fileColumns.filter((c) => c.guessed).map((c) => c.name),
    ...partitions.names.filter((name) => !byName.has(name)),
  ];
  return {
    columns: settled.columns,
    untyped,
    retype: async (like) => (await buildTable(ctx, { ...options, like: mergeLike(like, options.like) })).columns,
  };
}

const mergeLike = (first: SchemaColumn[], rest: SchemaColumn[] = []) => [...first, ...rest.filter((c) => !first.some((f) => f.name === c.name))];

interface FileColumn {
  name: string;
  type?: string;
  /** Typed by DuckDB's sniffer, not declared: the other side's type may replace it. */
  guessed?: boolean;
}

/** The columns in each line of the files (partition columns excluded), with their types. */
async function fileColumnsOf(ctx: TextContext, partitionNames: string[], options: TextRegisterOptions): Promise<FileColumn[]> {
  const { session, files, read } = ctx;
  const first = files[0] as DataFile;
  const sniff = (header: boolean, allVarchar: boolean, paths = [first.path]) =>
    session.all(`DESCRIBE SELECT * FROM read_csv([${paths.map(sqlString).join(', ')}], header = ${header}, ${duckdbCsvOptions(read).join(', ')}, all_varchar = ${allVarchar})`);
  const seen = await sniff(read.header, true);
  const count = seen.length;
  const inFiles = (cols: SchemaColumn[]) => cols.filter((c) => !partitionNames.includes(c.name));
  const like = options.like ?? [];
  const byName = new Map(like.map((c) => [c.name, c.type]));
  if (ctx.declared) {
    const declared = inFiles(ctx.declared);
    const what = ctx.manifest?.schema ? `the manifest's schema has` : 'the declared schema has';
    if (declared.length !== count) throw countMismatch(ctx, first, count, `${what} ${declared.length}`);
    return declared.map((c) => ({ name: c.name, type: c.type }));
  }
  if (read.header) {
    const names = seen.map((r) => String(r.column_name));
    if (like.length > 0) return names.map((name) => ({ name, type: byName.get(name) }));
    // Nothing to take types from: DuckDB's sniffer guesses them from the files.
    const guessed = await sniff(true, false, files.map((f) => f.path));
    return guessed.map((r) => ({ name: String(r.column_name), type: String(r.column_type), guessed: true }));
  }
  if (like.length === 0) {
    throw new UnsupportedError(`${ctx.where}: the text has no header and no manifest names its columns; give csv.header, or diff it against a side with columns`, 'column-names');
  }
  const positional = inFiles(like);
  if (positional.length !== count) throw countMismatch(ctx, first, count, `the other side has ${positional.length} columns that are not ignored (${positional.map((c) => c.name).join(', ')})`);
  return positional.map((c) => ({ name: c.name, type: c.type }));
}

function countMismatch(ctx: TextContext, file: DataFile, count: number, other: string): UnsupportedError {
  return new UnsupportedError(`${ctx.where}: ${ctx.sourceOf(file.path)} has ${count} field${count === 1 ? '' : 's'} a line, but ${other}`, 'column-count');
}
