import { randomUUID } from 'node:crypto';
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

/**
 * A small Delta Lake writer for tests, written from the protocol (../shared/reference/formats.md
 * section 1), independent of the reader under test: its own Z85, Roaring and DV-file encoders.
 * It writes real tables: Parquet data files through DuckDB (physical names and field ids under
 * column mapping), JSON commits with adds/removes/commitInfo, deletion vectors (`u` files, `p`
 * absolute paths, `i` inline), and Parquet checkpoints (classic, multi-part, v2 with sidecars).
 */

export type SparkType = string | { type: 'struct'; fields: SparkField[] } | { type: 'array'; elementType: SparkType; containsNull: boolean } | { type: 'map'; keyType: SparkType; valueType: SparkType; valueContainsNull: boolean };
export interface SparkField {
  name: string;
  type: SparkType;
  nullable?: boolean;
  metadata?: Record<string, unknown>;
}

export interface DeltaWriterOptions {
  partitionColumns?: string[];
  columnMapping?: 'name' | 'id';
  /** Default: the lowest protocol the table's features need. */
  protocol?: { minReaderVersion: number; minWriterVersion: number; readerFeatures?: string[]; writerFeatures?: string[] };
  configuration?: Record<string, string>;
  /** commitInfo of version 0. */
  commitInfo?: Record<string, unknown>;
}

export interface AddAction {
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  stats?: string;
  deletionVector?: DvDescriptor | null;
}
export interface DvDescriptor {
  storageType: 'u' | 'i' | 'p';
  pathOrInlineDv: string;
  offset?: number;
  sizeInBytes: number;
  cardinality: number;
}
export type Action = { add: AddAction } | { remove: { path: string; deletionTimestamp: number; dataChange: boolean; deletionVector?: DvDescriptor | null } } | Record<string, unknown>;

const pad = (v: number) => String(v).padStart(20, '0');

export class DeltaWriter {
  version = -1;
  /** The table state the checkpoints write: live adds by (path, DV id). */
  private readonly live = new Map<string, AddAction>();
  private protocol: Record<string, unknown>;
  private metadata: Record<string, unknown>;
  private fileCounter = 0;

  private constructor(
    readonly root: string,
    private readonly db: DuckDBConnection,
    readonly schema: SparkField[],
    private readonly options: DeltaWriterOptions,
  ) {
    const mapped = options.columnMapping !== undefined;
    this.protocol = options.protocol ?? (mapped ? { minReaderVersion: 2, minWriterVersion: 5 } : { minReaderVersion: 1, minWriterVersion: 2 });
    this.metadata = {
      id: randomUUID(),
      format: { provider: 'parquet', options: {} },
      schemaString: JSON.stringify({ type: 'struct', fields: schema.map(fill) }),
      partitionColumns: options.partitionColumns ?? [],
      configuration: { ...(mapped ? { 'delta.columnMapping.mode': options.columnMapping } : {}), ...options.configuration },
      createdTime: Date.now(),
    };
  }

  /** Creates the table folder and commits version 0 (protocol + metaData). */
  static async create(root: string, schema: SparkField[], options: DeltaWriterOptions = {}): Promise<DeltaWriter> {
    await mkdir(join(root, '_delta_log'), { recursive: true });
    const instance = await DuckDBInstance.create(':memory:');
    const w = new DeltaWriter(root, await instance.connect(), withColumnMapping(schema, options.columnMapping), options);
    await w.commit([{ protocol: w.protocol }, { metaData: w.metadata }], options.commitInfo ?? { operation: 'CREATE TABLE' });
    return w;
  }

  /** The physical name of a top-level column (its own name without column mapping). */
  physical(name: string): string {
    const f = this.schema.find((s) => s.name === name);
    return String(f?.metadata?.['delta.columnMapping.physicalName'] ?? name);
  }

  /**
   * Writes a Parquet data file from `sql` (whose columns must already carry the physical names;
   * use `physical()`), with field ids under id mode, and returns its `add` action.
   */
  async dataFile(sql: string, opts: { partition?: Record<string, string | null>; dir?: string; stats?: boolean; absolute?: boolean } = {}): Promise<AddAction> {
    const name = `part-${String(this.fileCounter++).padStart(5, '0')}-${randomUUID()}.c000.snappy.parquet`;
    const rel = opts.dir ? `${opts.dir}/${name}` : name;
    const file = join(this.root, rel);
    await mkdir(dirname(file), { recursive: true });
    const described = await this.rows(`DESCRIBE ${sql}`);
    const ids = this.options.columnMapping === 'id' ? `, FIELD_IDS ${fieldIds(described.map((r) => String(r.column_name)), this.schema)}` : '';
    await this.db.run(`COPY (${sql}) TO '${file.replaceAll("'", "''")}' (FORMAT parquet${ids})`);
    const [count] = await this.rows(`SELECT count(*)::INTEGER AS n FROM read_parquet('${file.replaceAll("'", "''")}')`);
    const { size } = await import('node:fs/promises').then((fs) => fs.stat(file));
    const encoded = rel.split('/').map(encodeURIComponent).join('/');
    return {
      path: opts.absolute ? `file://${file.split('/').map(encodeURIComponent).join('/')}` : encoded,
      partitionValues: opts.partition ?? {},
      size,
      modificationTime: Date.now(),
      dataChange: true,
      stats: opts.stats === false ? undefined : JSON.stringify({ numRecords: Number(count?.n), minValues: {}, maxValues: {}, nullCount: {} }),
    };
  }

  /** Appends a commit; returns its version. `mtime` sets the commit file's modification time. */
  async commit(actions: Action[], commitInfo: Record<string, unknown> = { operation: 'WRITE' }, opts: { mtime?: number } = {}): Promise<number> {
    const { version, name, text } = this.stageCommit(actions, commitInfo);
    const file = join(this.root, '_delta_log', name);
    await writeFile(file, text);
    if (opts.mtime !== undefined) await utimes(file, opts.mtime / 1000, opts.mtime / 1000);
    return version;
  }

  /**
   * The next commit's file name and text, with the writer's state moved on, without writing it:
   * for a test that must put the commit somewhere at an exact moment (a fake S3, synchronously).
   */
  stageCommit(actions: Action[], commitInfo: Record<string, unknown> = { operation: 'WRITE' }): { version: number; name: string; text: string } {
    const version = ++this.version;
    const lines = [{ commitInfo: { timestamp: Date.now(), ...commitInfo } }, ...actions];
    for (const a of actions) {
      if ('protocol' in a) this.protocol = a.protocol as Record<string, unknown>;
      if ('metaData' in a) this.metadata = a.metaData as Record<string, unknown>;
      if ('remove' in a) this.live.delete(keyOf(a.remove as AddAction));
    }
    for (const a of actions) if ('add' in a) this.live.set(keyOf(a.add as AddAction), a.add as AddAction);
    return { version, name: `${pad(version)}.json`, text: lines.map((l) => JSON.stringify(l)).join('\n') + '\n' };
  }

  /** Adds the files in one commit. */
  append(adds: AddAction[], commitInfo?: Record<string, unknown>): Promise<number> {
    return this.commit(adds.map((add) => ({ add })), commitInfo);
  }

  /** Removes every live file and adds these (an overwrite); the removed files stay on disk. */
  overwrite(adds: AddAction[], commitInfo: Record<string, unknown> = { operation: 'WRITE', operationParameters: { mode: 'Overwrite' } }): Promise<number> {
    const removes = [...this.live.values()].map((a) => ({ remove: { path: a.path, deletionTimestamp: Date.now(), dataChange: true, deletionVector: a.deletionVector ?? null } }));
    return this.commit([...removes, ...adds.map((add) => ({ add }))], commitInfo);
  }

  /**
   * Deletes rows (0-based positions in the file, added to those already deleted) through a
   * deletion vector: `u` writes a DV file under the table (with a random prefix if `prefix`),
   * `p` one at an absolute path, `i` puts it inline. Returns the commit's version.
   */
  async deleteRows(add: AddAction, rows: number[], storage: 'u' | 'i' | 'p' = 'u', opts: { prefix?: string; runs?: boolean; commitInfo?: Record<string, unknown> } = {}): Promise<{ version: number; add: AddAction }> {
    const next = await this.withDeletionVector(add, rows, storage, opts);
    const version = await this.commit(
      [{ remove: { path: add.path, deletionTimestamp: Date.now(), dataChange: true, deletionVector: add.deletionVector ?? null } }, { add: next }],
      opts.commitInfo ?? { operation: 'DELETE', operationMetrics: { numDeletedRows: String(rows.length) } },
    );
    return { version, add: next };
  }

  /** Writes the DV (its file, unless inline) and returns the `add` that carries it; commits nothing. */
  async withDeletionVector(add: AddAction, rows: number[], storage: 'u' | 'i' | 'p' = 'u', opts: { prefix?: string; runs?: boolean } = {}): Promise<AddAction> {
    const old = add.deletionVector ? (this.deleted.get(keyOf(add)) ?? []) : [];
    const all = [...new Set([...old, ...rows])].sort((a, b) => a - b);
    const bitmap = encodeBitmapArray(all, opts.runs ?? false);
    let dv: DvDescriptor;
    if (storage === 'i') {
      dv = { storageType: 'i', pathOrInlineDv: z85(bitmap), sizeInBytes: bitmap.length, cardinality: all.length };
    } else {
      const uuid = randomUUID();
      const name = `deletion_vector_${uuid}.bin`;
      const rel = opts.prefix ? `${opts.prefix}/${name}` : name;
      const file = join(this.root, rel);
      await mkdir(dirname(file), { recursive: true });
      // Two DVs in one file: a filler DV first, so this one's offset is not 1.
      const filler = encodeBitmapArray([0], false);
      await writeFile(file, Buffer.concat([Buffer.from([1]), sized(filler), sized(bitmap)]));
      const offset = 1 + 4 + filler.length + 4;
      dv =
        storage === 'u'
          ? { storageType: 'u', pathOrInlineDv: `${opts.prefix ?? ''}${z85(Buffer.from(uuid.replaceAll('-', ''), 'hex'))}`, offset, sizeInBytes: bitmap.length, cardinality: all.length }
          : { storageType: 'p', pathOrInlineDv: `file://${file.split('/').map(encodeURIComponent).join('/')}`, offset, sizeInBytes: bitmap.length, cardinality: all.length };
    }
    const next = { ...add, deletionVector: dv, dataChange: true };
    this.deleted.set(keyOf(next), all);
    return next;
  }
  private readonly deleted = new Map<string, number[]>();

  /**
   * Writes a checkpoint of the current version: `classic` (one Parquet file), `multipart`
   * (`parts` files), `v2` (UUID-named Parquet or JSON top file with adds in `sidecars` files).
   * Updates `_last_checkpoint` unless `hint` is false.
   */
  async checkpoint(kind: 'classic' | 'multipart' | 'v2' | 'v2-json' = 'classic', opts: { parts?: number; sidecars?: number; hint?: boolean } = {}): Promise<void> {
    const log = join(this.root, '_delta_log');
    const v = pad(this.version);
    const adds = [...this.live.values()].map((add) => ({ add }));
    const head = [{ protocol: this.protocol }, { metaData: this.metadata }];
    if (kind === 'classic') await this.writeActions(join(log, `${v}.checkpoint.parquet`), [...head, ...adds]);
    else if (kind === 'multipart') {
      const parts = opts.parts ?? 2;
      const chunk = Math.ceil(adds.length / parts);
      for (let p = 0; p < parts; p++) {
        const rows = [...(p === 0 ? head : []), ...adds.slice(p * chunk, (p + 1) * chunk)];
        await this.writeActions(join(log, `${v}.checkpoint.${String(p + 1).padStart(10, '0')}.${String(parts).padStart(10, '0')}.parquet`), rows);
      }
    } else {
      const count = opts.sidecars ?? 2;
      const chunk = Math.ceil(adds.length / count);
      const sidecars: Action[] = [];
      await mkdir(join(log, '_sidecars'), { recursive: true });
      for (let s = 0; s < count; s++) {
        const name = `${v}.checkpoint.${s}.${randomUUID()}.parquet`;
        await this.writeActions(join(log, '_sidecars', name), adds.slice(s * chunk, (s + 1) * chunk));
        sidecars.push({ sidecar: { path: name, sizeInBytes: 1, modificationTime: Date.now() } });
      }
      const top = [{ checkpointMetadata: { version: this.version } }, ...head, ...sidecars];
      const base = join(log, `${v}.checkpoint.${randomUUID()}`);
      if (kind === 'v2-json') await writeFile(`${base}.json`, top.map((a) => JSON.stringify(a)).join('\n') + '\n');
      else await this.writeActions(`${base}.parquet`, top);
    }
    if (opts.hint !== false) await writeFile(join(log, '_last_checkpoint'), JSON.stringify({ version: this.version, size: adds.length + 2 }));
  }

  /** Removes commit files below `version` (what log retention does once a checkpoint covers them). */
  async expireCommitsBefore(version: number): Promise<void> {
    for (let v = 0; v < version; v++) await rm(join(this.root, '_delta_log', `${pad(v)}.json`), { force: true });
  }

  async close(): Promise<void> {
    this.db.closeSync();
  }

  private async rows(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.db.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  }

  /** Checkpoint rows: one struct column per action kind, partitionValues as MAP(VARCHAR, VARCHAR). */
  private async writeActions(file: string, actions: Action[]): Promise<void> {
    const ndjson = `${file}.ndjson`;
    await writeFile(ndjson, actions.map((a) => JSON.stringify(a)).join('\n') + '\n');
    const dv = 'STRUCT(storageType VARCHAR, pathOrInlineDv VARCHAR, "offset" INTEGER, sizeInBytes INTEGER, cardinality BIGINT)';
    const columns = {
      protocol: 'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER, readerFeatures VARCHAR[], writerFeatures VARCHAR[])',
      metaData: 'STRUCT(id VARCHAR, format STRUCT(provider VARCHAR, options MAP(VARCHAR, VARCHAR)), schemaString VARCHAR, partitionColumns VARCHAR[], configuration MAP(VARCHAR, VARCHAR), createdTime BIGINT)',
      add: `STRUCT(path VARCHAR, partitionValues MAP(VARCHAR, VARCHAR), size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, stats VARCHAR, deletionVector ${dv})`,
      remove: `STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, deletionVector ${dv})`,
      checkpointMetadata: 'STRUCT(version BIGINT)',
      sidecar: 'STRUCT(path VARCHAR, sizeInBytes BIGINT, modificationTime BIGINT)',
    };
    const spec = Object.entries(columns).map(([k, t]) => `${k}: '${t.replaceAll("'", "''")}'`).join(', ');
    await this.db.run(`COPY (SELECT * FROM read_json('${ndjson}', columns = {${spec}}, format = 'newline_delimited')) TO '${file}' (FORMAT parquet)`);
    await rm(ndjson);
  }
}

function keyOf(a: { path: string; deletionVector?: DvDescriptor | null }): string {
  const dv = a.deletionVector;
  return `${a.path}|${dv ? `${dv.storageType}${dv.pathOrInlineDv}${dv.offset === undefined ? '' : `@${dv.offset}`}` : ''}`;
}

function fill(f: SparkField): SparkField {
  return { name: f.name, type: f.type, nullable: f.nullable ?? true, metadata: f.metadata ?? {} };
}

/** Gives every field (nested ones too) a physical name and an id, as Delta-Spark does. */
function withColumnMapping(fields: SparkField[], mode: 'name' | 'id' | undefined): SparkField[] {
  if (!mode) return fields;
  let id = 0;
  const mapType = (t: SparkType): SparkType => {
    if (typeof t === 'string') return t;
    if (t.type === 'struct') return { type: 'struct', fields: t.fields.map(mapField) };
    if (t.type === 'array') return { ...t, elementType: mapType(t.elementType) };
    return { ...t, keyType: mapType(t.keyType), valueType: mapType(t.valueType) };
  };
  const mapField = (f: SparkField): SparkField => {
    const n = ++id;
    return { ...fill(f), type: mapType(f.type), metadata: { ...f.metadata, 'delta.columnMapping.id': n, 'delta.columnMapping.physicalName': `col-${randomUUID()}` } };
  };
  return fields.map(mapField);
}

/** DuckDB's FIELD_IDS option for the physical columns a file has. */
function fieldIds(columns: string[], schema: SparkField[]): string {
  const ids = (t: SparkType): string[] => (typeof t === 'object' && t.type === 'struct' ? t.fields.map(entry) : []);
  const entry = (f: SparkField): string => {
    const nested = ids(f.type);
    const id = String(f.metadata?.['delta.columnMapping.id']);
    return `"${String(f.metadata?.['delta.columnMapping.physicalName'])}": ${nested.length ? `{__duckdb_field_id: ${id}, ${nested.join(', ')}}` : id}`;
  };
  return `{${schema.filter((f) => columns.includes(String(f.metadata?.['delta.columnMapping.physicalName']))).map(entry).join(', ')}}`;
}

/** u32 BE size, the bytes, u32 BE CRC-32: one DV inside a DV file. */
function sized(bitmap: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(bitmap.length);
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE(crc32(bitmap));
  return Buffer.concat([head, bitmap, tail]);
}

/** Z85 of the bytes, zero-padded to a multiple of 4 (inline DVs, DV file UUIDs). */
const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
export function z85(bytes: Buffer): string {
  const padded = Buffer.alloc(Math.ceil(bytes.length / 4) * 4);
  bytes.copy(padded);
  let out = '';
  for (let i = 0; i < padded.length; i += 4) {
    let v = padded.readUInt32BE(i);
    let group = '';
    for (let j = 0; j < 5; j++) {
      group = Z85[v % 85] + group;
      v = Math.floor(v / 85);
    }
    out += group;
  }
  return out;
}

/**
 * Portable RoaringBitmapArray (magic 1681511377, u64 bucket count, per bucket u32 key + 32-bit
 * Roaring). Containers: array up to 4,096 values, else a bitset; with `runs`, every container
 * is a run container (cookie 12347 with run flags).
 */
export function encodeBitmapArray(rows: number[], runs: boolean): Buffer {
  const buckets = new Map<number, number[]>();
  for (const r of rows) {
    const high = Math.floor(r / 2 ** 32);
    const list = buckets.get(high) ?? [];
    list.push(r % 2 ** 32);
    buckets.set(high, list);
  }
  const head = Buffer.alloc(12);
  head.writeUInt32LE(1681511377, 0);
  head.writeBigUInt64LE(BigInt(buckets.size), 4);
  const parts: Buffer[] = [head];
  for (const [key, values] of [...buckets].sort((a, b) => a[0] - b[0])) {
    const k = Buffer.alloc(4);
    k.writeUInt32LE(key);
    parts.push(k, roaring32(values, runs));
  }
  return Buffer.concat(parts);
}

function roaring32(values: number[], runs: boolean): Buffer {
  const containers = new Map<number, number[]>();
  for (const v of values) {
    const list = containers.get(v >>> 16) ?? [];
    list.push(v & 0xffff);
    containers.set(v >>> 16, list);
  }
  const keys = [...containers.keys()].sort((a, b) => a - b);
  const n = keys.length;
  const bodies = keys.map((key) => {
    const low = containers.get(key)!;
    if (runs) {
      const pairs: number[][] = [];
      for (const v of low) {
        const last = pairs.at(-1);
        if (last && last[0]! + last[1]! + 1 === v) last[1]!++;
        else pairs.push([v, 0]);
      }
      const b = Buffer.alloc(2 + pairs.length * 4);
      b.writeUInt16LE(pairs.length, 0);
      pairs.forEach(([s, l], i) => {
        b.writeUInt16LE(s!, 2 + i * 4);
        b.writeUInt16LE(l!, 4 + i * 4);
      });
      return b;
    }
    if (low.length <= 4096) {
      const b = Buffer.alloc(low.length * 2);
      low.forEach((v, i) => b.writeUInt16LE(v, i * 2));
      return b;
    }
    const b = Buffer.alloc(8192);
    for (const v of low) b[v >> 3]! |= 1 << (v & 7);
    return b;
  });
  const header: Buffer[] = [];
  const cookie = Buffer.alloc(runs ? 4 : 8);
  if (runs) cookie.writeUInt32LE((12347 | ((n - 1) << 16)) >>> 0);
  else {
    cookie.writeUInt32LE(12346, 0);
    cookie.writeUInt32LE(n, 4);
  }
  header.push(cookie);
  if (runs) header.push(Buffer.alloc(Math.ceil(n / 8), 0xff));
  const desc = Buffer.alloc(4 * n);
  keys.forEach((key, i) => {
    desc.writeUInt16LE(key, i * 4);
    desc.writeUInt16LE(containers.get(key)!.length - 1, i * 4 + 2);
  });
  header.push(desc);
  if (!runs || n >= 4) {
    const offsets = Buffer.alloc(4 * n);
    let at = header.reduce((s, b) => s + b.length, 0) + 4 * n;
    bodies.forEach((b, i) => {
      offsets.writeUInt32LE(at, i * 4);
      at += b.length;
    });
    header.push(offsets);
  }
  return Buffer.concat([...header, ...bodies]);
}

/** Every file under a local table folder, as `key → bytes` below `prefix` (to put into a fake S3). */
export async function tableObjects(root: string, prefix: string): Promise<Array<{ key: string; body: Buffer }>> {
  const { readdir, readFile } = await import('node:fs/promises');
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile());
  return Promise.all(files.map(async (e) => ({ key: `${prefix}${join(e.parentPath, e.name).slice(root.length + 1)}`, body: await readFile(join(e.parentPath, e.name)) })));
}
