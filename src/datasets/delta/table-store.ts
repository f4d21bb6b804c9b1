import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { UnsupportedError, UsageError } from '../../errors.ts';
import { callS3, downloadS3Objects, getS3Object, isS3Path, parseS3Url, type S3Access } from '../s3-source.ts';

/** One file directly under `_delta_log/`. */
export interface LogEntry {
  name: string;
  /** Bytes; always given for checkpoint files (a 0-byte one is an unfinished write). */
  size?: number;
  /**
   * Modification time, epoch ms: a commit's timestamp unless the table has in-commit timestamps.
   * Undefined when the listing did not give it (local commit files: see `logFileTime`).
   */
  modified?: number;
}

/**
 * How the reader reaches one table's files, local or in S3. Paths are relative to the table root
 * or absolute URIs, as `add.path` and DV descriptors give them (already percent-decoded).
 */
export interface TableStore {
  /** The table root as given, for messages. */
  readonly root: string;
  /** Entries of `_delta_log/` (no sub-folders) whose names sort after `startAfter`, ascending. */
  listLog(startAfter?: string): Promise<LogEntry[]>;
  /** The modification time of a file under `_delta_log/` (epoch ms), for entries listed without it. */
  logFileTime(entry: LogEntry): Promise<number>;
  /** Bytes of a file under `_delta_log/` (`_sidecars/x.parquet` included). */
  readLogFile(name: string): Promise<Buffer>;
  /** A local path DuckDB can read for a file under `_delta_log/` (checkpoints, sidecars). */
  localLogFile(name: string): Promise<string>;
  /** Local paths of data files, in the same order; S3 downloads only these. */
  localDataFiles(paths: Array<{ path: string; absolute: boolean }>): Promise<string[]>;
  /** Bytes of a data-side file (deletion vectors). */
  readFile(path: string, absolute: boolean): Promise<Buffer>;
}

export function localTableStore(root: string): TableStore {
  const log = join(root, '_delta_log');
  const local = (path: string, absolute: boolean) => {
    if (!absolute) return join(root, path);
    if (path.startsWith('file:')) return fileURLToPath(path);
    if (path.startsWith('/')) return path;
    throw new UnsupportedError(`${root}: file ${path} is outside the local file system; Cutover reads a local table's files locally`, 'absolute path');
  };
  return {
    root,
    async listLog(startAfter) {
      const entries = await readdir(log, { withFileTypes: true }).catch(() => {
        throw new UsageError(`${root}: no _delta_log/ folder`);
      });
      const files = entries.filter((e) => e.isFile() && (startAfter === undefined || e.name > startAfter)).map((e) => e.name).sort();
      // A stat per file made listing a 10,000-commit log take seconds: only checkpoint files are
      // stat'ed here (their size tells an unfinished write); a commit's time is asked for when needed.
      return Promise.all(files.map(async (name) => {
        if (!name.includes('.checkpoint.')) return { name };
        const info = await stat(join(log, name));
        return { name, size: info.size, modified: info.mtimeMs };
      }));
    },
    logFileTime: async (entry) => entry.modified ?? (await stat(join(log, entry.name))).mtimeMs,
    readLogFile: (name) => readFile(join(log, name)),
    localLogFile: async (name) => join(log, name),
    localDataFiles: async (paths) => paths.map((p) => local(p.path, p.absolute)),
    readFile: (path, absolute) => readFile(local(path, absolute)),
  };
}

/**
 * A table under `s3://bucket/prefix/`. Only the log, the live data files and their DV files are
 * fetched, never the whole prefix; data files are downloaded under `workDir` for DuckDB.
 */
export function s3TableStore(root: string, s3: S3Access, workDir: string, options: { signal?: AbortSignal; concurrency?: number } = {}): TableStore {
  const { bucket, prefix: rawPrefix } = parseS3Url(root);
  const prefix = rawPrefix === '' || rawPrefix.endsWith('/') ? rawPrefix : `${rawPrefix}/`;
  const logPrefix = `${prefix}_delta_log/`;
  const base = resolve(workDir);
  const locate = (path: string, absolute: boolean): { bucket: string; key: string } => {
    if (!absolute) return { bucket, key: prefix + path };
    if (isS3Path(path)) {
      const loc = parseS3Url(path);
      return { bucket: loc.bucket, key: loc.prefix };
    }
    throw new UnsupportedError(`${root}: file ${path} is not in S3; Cutover reads an S3 table's files from S3`, 'absolute path');
  };
  const localFor = (b: string, key: string) => {
    const file = resolve(base, b, key);
    // A key like "a/../../x" must not write outside the scratch folder.
    if (!file.startsWith(base + sep)) throw new UsageError(`refusing S3 key outside the scratch folder: ${key}`);
    return file;
  };
  return {
    root,
    async listLog(startAfter) {
      const out: LogEntry[] = [];
      let token: string | undefined;
      do {
        const page = await callS3(`list s3://${bucket}/${logPrefix}`, () =>
          s3.client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: logPrefix, Delimiter: '/', ContinuationToken: token, StartAfter: startAfter === undefined || token ? undefined : logPrefix + startAfter }),
            { abortSignal: options.signal },
          ),
        );
        for (const o of page.Contents ?? []) {
          if (o.Key) out.push({ name: o.Key.slice(logPrefix.length), size: o.Size ?? 0, modified: o.LastModified?.getTime() ?? 0 });
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },
    // The listing gives every entry's LastModified.
    logFileTime: async (entry) => entry.modified ?? 0,
    readLogFile: (name) => getS3Object(s3.client, bucket, logPrefix + name, options.signal),
    async localLogFile(name) {
      const [file] = await downloadS3Objects(s3.client, [{ bucket, key: logPrefix + name, local: localFor(bucket, logPrefix + name) }], options);
      return file as string;
    },
    async localDataFiles(paths) {
      const jobs = paths.map((p) => {
        const loc = locate(p.path, p.absolute);
        return { ...loc, local: localFor(loc.bucket, loc.key) };
      });
      return downloadS3Objects(s3.client, jobs, options);
    },
    readFile(path, absolute) {
      const loc = locate(path, absolute);
      return getS3Object(s3.client, loc.bucket, loc.key, options.signal);
    },
  };
}
