import { join } from 'node:path';
import { NotFoundError, UsageError } from '../errors.ts';
import { byRel, listLocalFiles, selectDataFiles, type FileKind } from './data-files.ts';
import type { DatasetAccess } from './register-dataset.ts';
import { downloadS3Objects, isS3Path, listS3Objects, localPath, parseS3Url } from './s3-source.ts';

/** A file of a dataset, before anything is downloaded. */
export interface Candidate {
  /** Path below the dataset's root: Hive partition folders are read from it. */
  rel: string;
  size: number;
  /** What people are told: the local path or the `s3://` URL. */
  source: string;
  /** Set for S3 objects. */
  s3?: { bucket: string; key: string };
}

/** A file ready for DuckDB. */
export interface DataFile extends Candidate {
  /** Where DuckDB reads it: a local path, a download, or an `s3://` URL read through httpfs. */
  path: string;
}

/**
 * The data files of a local or S3 dataset (markers left out, see selectDataFiles), in path
 * order. Nothing is downloaded yet: readers decide what they read (a manifest may narrow it).
 * Throws NotFoundError naming the path when nothing is there.
 */
export async function listCandidates(path: string, kind: FileKind, access: DatasetAccess = {}): Promise<Candidate[]> {
  const prefix = kind === 'unload';
  let all: Candidate[];
  if (isS3Path(path)) {
    if (!access.s3) throw new UsageError(`${path}: reading from S3 needs an S3 client`);
    const loc = parseS3Url(path, { prefix });
    const objects = await listS3Objects(access.s3.client, loc, access.signal);
    all = objects.map((o) => ({ rel: loc.relative(o.key), size: o.size, source: `s3://${loc.bucket}/${o.key}`, s3: { bucket: loc.bucket, key: o.key } }));
  } else {
    all = (await listLocalFiles(path, { prefix })).map((f) => ({ rel: f.rel, size: f.size, source: f.path }));
  }
  const selected = new Set(selectDataFiles(all.map((c) => c.rel), kind));
  const files = all.filter((c) => selected.has(c.rel)).sort(byRel);
  if (files.length === 0) throw new NotFoundError(`no ${kind} files under ${path}`);
  return files;
}

/**
 * Makes candidates readable: local files as they are; S3 objects downloaded into the session's
 * scratch folder (`<workDir>/data/<name>/<rel>`), only those given, or, with `httpfs`, read in
 * place through their `s3://` URLs.
 */
export async function fetchCandidates(candidates: Candidate[], workDir: string, name: string, access: DatasetAccess, httpfs = false): Promise<DataFile[]> {
  const remote = candidates.filter((c) => c.s3);
  if (remote.length === 0) return candidates.map((c) => ({ ...c, path: c.source }));
  if (httpfs) return candidates.map((c) => ({ ...c, path: c.s3 ? `s3://${c.s3.bucket}/${c.s3.key}` : c.source }));
  if (!access.s3) throw new UsageError(`${remote[0]?.source}: reading from S3 needs an S3 client`);
  const dir = join(workDir, 'data', name);
  const jobs = remote.map((c) => ({ bucket: c.s3?.bucket as string, key: c.s3?.key as string, local: localPath(dir, c.rel, c.s3?.key as string) }));
  const local = await downloadS3Objects(access.s3.client, jobs, { concurrency: access.downloadConcurrency, signal: access.signal });
  const byKey = new Map(remote.map((c, i) => [c.source, local[i] as string]));
  return candidates.map((c) => ({ ...c, path: byKey.get(c.source) ?? c.source }));
}
