import { UnsupportedError } from '../../../errors.ts';
import { dvUniqueId, parseDeletionVector, type DeletionVectorDescriptor } from '../deletion-vectors/deletion-vector.ts';
import { entries } from './metadata.ts';

/** An `add` action: a data file of the table, with its partition values and deletion vector. */
export interface AddFile {
  /** Percent-decoded once; relative to the table root unless `absolute`. */
  path: string;
  absolute: boolean;
  /** Keyed by physical column name under column mapping; null for a null value. */
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  deletionVector?: DeletionVectorDescriptor;
  /** `stats.numRecords`: rows in the file, deleted ones included. */
  numRecords?: number;
}

/** A `remove` action: what it removes is `(path, deletion vector)`, not the path alone. */
export interface RemoveFile {
  path: string;
  deletionVector?: DeletionVectorDescriptor;
}

export function parseAdd(raw: Record<string, unknown>, where: string): AddFile {
  const { path, absolute } = decodePath(raw.path, where);
  const partitionValues: Record<string, string | null> = {};
  for (const [k, v] of entries(raw.partitionValues)) partitionValues[k] = v === null || v === undefined ? null : String(v);
  return {
    path,
    absolute,
    partitionValues,
    size: Number(raw.size ?? 0),
    modificationTime: Number(raw.modificationTime ?? 0),
    deletionVector: parseDeletionVector(raw.deletionVector, `${where} (${path})`),
    numRecords: numRecordsOf(raw.stats),
  };
}

export function parseRemove(raw: Record<string, unknown>, where: string): RemoveFile {
  const { path } = decodePath(raw.path, where);
  return { path, deletionVector: parseDeletionVector(raw.deletionVector, `${where} (${path})`) };
}

/** A file action's identity (formats.md pitfall 2): the decoded path and the DV's unique id. */
export function fileKey(action: { path: string; deletionVector?: DeletionVectorDescriptor }): string {
  return `${action.path}\u0000${dvUniqueId(action.deletionVector)}`;
}

/**
 * `add.path` is a URI: decoded exactly once (Hive-escaped folders are encoded twice and must
 * stay once-encoded on disk). A scheme or a leading `/` makes it absolute; that is decided on
 * the raw text, where a `:` can only be a scheme's.
 */
export function decodePath(raw: unknown, where: string): { path: string; absolute: boolean } {
  if (typeof raw !== 'string' || raw === '') throw new UnsupportedError(`${where}: file action without a path`, 'path');
  const absolute = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(raw) || raw.startsWith('/');
  try {
    return { path: decodeURIComponent(raw), absolute };
  } catch {
    throw new UnsupportedError(`${where}: file path "${raw}" is not a valid URI`, 'path');
  }
}

function numRecordsOf(stats: unknown): number | undefined {
  if (typeof stats !== 'string' || stats === '') return undefined;
  const m = /"numRecords"\s*:\s*(\d+)/.exec(stats);
  return m ? Number(m[1]) : undefined;
}
