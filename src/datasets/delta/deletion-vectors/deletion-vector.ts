import { crc32 } from 'node:zlib';
import { UnsupportedError } from '../../../errors.ts';
import { decodeBitmapArray } from './roaring-bitmap-array.ts';
import { z85Decode, z85Uuid } from './z85.ts';

/** `add.deletionVector` / `remove.deletionVector` (formats.md 1.10). */
export interface DeletionVectorDescriptor {
  /** `u`: file named by a UUID under the table; `i`: inline; `p`: absolute path. */
  storageType: 'u' | 'i' | 'p';
  pathOrInlineDv: string;
  /** Position of the DV's size field in its file; absent for inline DVs. */
  offset?: number;
  sizeInBytes: number;
  /** Deleted rows. */
  cardinality: number;
}

/** The descriptor, or undefined when the action has none. Unknown storage types are refused by name. */
export function parseDeletionVector(raw: unknown, where: string): DeletionVectorDescriptor | undefined {
  if (raw === null || raw === undefined) return undefined;
  const dv = raw as Record<string, unknown>;
  const storageType = dv.storageType;
  if (storageType !== 'u' && storageType !== 'i' && storageType !== 'p') {
    throw new UnsupportedError(`${where}: deletion vector storage type "${String(storageType)}" is not supported`, `deletionVectors storageType ${String(storageType)}`);
  }
  if (typeof dv.pathOrInlineDv !== 'string') throw new UnsupportedError(`${where}: deletion vector without pathOrInlineDv`, 'deletionVectors');
  const offset = dv.offset === null || dv.offset === undefined ? undefined : Number(dv.offset);
  return { storageType, pathOrInlineDv: dv.pathOrInlineDv, offset, sizeInBytes: Number(dv.sizeInBytes), cardinality: Number(dv.cardinality) };
}

/** Part of a file action's identity: `(path, uniqueId)`. */
export function dvUniqueId(dv: DeletionVectorDescriptor | undefined): string {
  if (!dv) return '';
  return `${dv.storageType}${dv.pathOrInlineDv}${dv.offset === undefined ? '' : `@${dv.offset}`}`;
}

/**
 * Where a file-backed DV lives: a path relative to the table root (`u`) or an absolute URI
 * (`p`, percent-decoded once like `add.path`). Undefined for inline DVs.
 */
export function deletionVectorFile(dv: DeletionVectorDescriptor): string | undefined {
  if (dv.storageType === 'i') return undefined;
  if (dv.storageType === 'p') return decodeURIComponent(dv.pathOrInlineDv);
  const text = dv.pathOrInlineDv;
  if (text.length < 20) throw new UnsupportedError(`deletion vector path "${text}" is shorter than a Z85 UUID`, 'deletionVectors');
  const prefix = text.slice(0, -20);
  const name = `deletion_vector_${z85Uuid(text.slice(-20))}.bin`;
  return prefix ? `${prefix}/${name}` : name;
}

/**
 * The deleted row indexes of one DV, ascending. `file` is the bytes of its DV file (undefined
 * for inline DVs). Checks the file's version byte, the size field, the CRC and the cardinality,
 * so a damaged DV is refused instead of silently deleting the wrong rows.
 */
export function decodeDeletionVector(dv: DeletionVectorDescriptor, file: Buffer | undefined, where: string): Float64Array {
  let bitmap: Buffer;
  if (dv.storageType === 'i') {
    bitmap = z85Decode(dv.pathOrInlineDv).subarray(0, dv.sizeInBytes);
  } else {
    if (!file) throw new Error(`${where}: the deletion vector file was not read`);
    if (file[0] !== 1) throw new UnsupportedError(`${where}: deletion vector file version ${file[0]} (only 1 is known)`, 'deletionVectors');
    // PROTOCOL says an absent offset is 0, but byte 0 is the version: writers always set it, 1 is the only readable value.
    const offset = dv.offset ?? 1;
    if (offset + 4 + dv.sizeInBytes + 4 > file.length) throw new UnsupportedError(`${where}: deletion vector past the end of its file`, 'deletionVectors');
    const size = file.readUInt32BE(offset);
    if (size !== dv.sizeInBytes) throw new UnsupportedError(`${where}: deletion vector size ${size}, the log says ${dv.sizeInBytes}`, 'deletionVectors');
    bitmap = file.subarray(offset + 4, offset + 4 + size);
    const expected = file.readUInt32BE(offset + 4 + size);
    if (crc32(bitmap) !== expected) throw new UnsupportedError(`${where}: deletion vector checksum mismatch`, 'deletionVectors');
  }
  const rows = decodeBitmapArray(bitmap, where);
  if (rows.length !== dv.cardinality) throw new UnsupportedError(`${where}: deletion vector holds ${rows.length} rows, the log says ${dv.cardinality}`, 'deletionVectors');
  return rows;
}
