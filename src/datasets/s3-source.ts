import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ApiError, UsageError } from '../errors.ts';
import { compileGlob, selectDataFiles, type FileKind } from './data-files.ts';

export interface S3Location {
  bucket: string;
  /** Listing prefix: everything before the first glob character. */
  prefix: string;
  /** Which keys under the prefix belong to the dataset. */
  matches: (key: string) => boolean;
  /** A key's path below the dataset's root, where Hive partition folders are read from. */
  relative: (key: string) => string;
}

export function isS3Path(path: string): boolean {
  return path.startsWith('s3://') || path.startsWith('s3a://');
}

/**
 * `s3://bucket/prefix/`, `s3://bucket/prefix` (a folder or one object) or `s3://bucket/p/*.parquet`.
 * With `prefix: true` a path not ending in `/` is a key prefix as Redshift UNLOAD writes them
 * (`s3://b/unload/venue_` holds `unload/venue_0000_part_00`, …).
 */
export function parseS3Url(url: string, options: { prefix?: boolean } = {}): S3Location {
  const m = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m?.[1]) throw new UsageError(`not an S3 URL: ${url}`);
  const [, bucket, path = ''] = m;
  const glob = path.search(/[*?[]/);
  if (glob >= 0) {
    const root = path.slice(0, path.lastIndexOf('/', glob) + 1);
    return { bucket, prefix: root, matches: compileGlob(path), relative: (key) => key.slice(root.length) };
  }
  if (path === '' || path.endsWith('/')) return { bucket, prefix: path, matches: () => true, relative: (key) => key.slice(path.length) };
  const name = path.slice(path.lastIndexOf('/') + 1);
  // `p/x` below `p`, or the object `p` itself; a raw prefix also takes `p0000_part_00`.
  const relative = (key: string) => {
    const rest = key.slice(path.length);
    const slash = rest.indexOf('/');
    if (slash >= 0) return rest.slice(slash + 1);
    return key.slice(key.lastIndexOf('/') + 1) || name;
  };
  const matches = options.prefix ? (key: string) => key.startsWith(path) : (key: string) => key === path || key.startsWith(`${path}/`);
  return { bucket, prefix: path, matches, relative };
}

/** How datasets in S3 are reached. `endpoint` is the one the client was built with, if any. */
export interface S3Access {
  client: S3Client;
  region: string;
  endpoint?: string;
}

export interface S3AccessOptions {
  region?: string;
  /** e.g. `AWS_ENDPOINT_URL_S3`; a fake or MinIO, which need path-style URLs. */
  endpoint?: string;
  /** Default: the SDK's credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export function createS3Access(options: S3AccessOptions = {}): S3Access {
  const region = options.region ?? 'us-east-1';
  const client = new S3Client({
    region,
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  return { client, region, endpoint: options.endpoint };
}

export interface S3Object {
  key: string;
  size: number;
}

/** Every object of the dataset, following continuation tokens. */
export async function listS3Objects(s3: S3Client, loc: S3Location, signal?: AbortSignal): Promise<S3Object[]> {
  const out: S3Object[] = [];
  let token: string | undefined;
  do {
    const page = await callS3(`list s3://${loc.bucket}/${loc.prefix}`, () =>
      s3.send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: loc.prefix, ContinuationToken: token }), { abortSignal: signal }),
    );
    for (const o of page.Contents ?? []) {
      if (o.Key && !o.Key.endsWith('/') && loc.matches(o.Key)) out.push({ key: o.Key, size: o.Size ?? 0 });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out;
}

export interface DownloadOptions {
  /** Parallel GetObject calls. Default 8: enough to fill a link without flooding the fake or S3. */
  concurrency?: number;
  signal?: AbortSignal;
}

/**
 * Downloads the dataset's data files into `dir`, keeping their paths below the dataset's root
 * (so Hive partition folders survive), and returns the local paths in key order.
 */
export async function downloadS3Dataset(s3: S3Client, url: string, format: FileKind, dir: string, options: DownloadOptions = {}): Promise<string[]> {
  const loc = parseS3Url(url, { prefix: format === 'unload' });
  const objects = await listS3Objects(s3, loc, options.signal);
  const byRel = new Map(objects.map((o) => [loc.relative(o.key), o.key]));
  const jobs = selectDataFiles([...byRel.keys()], format).map((rel) => ({ bucket: loc.bucket, key: byRel.get(rel) as string, local: localPath(dir, rel, byRel.get(rel) as string) }));
  return downloadS3Objects(s3, jobs, options);
}

/** Where `rel` goes below `dir`; a key like "a/../../x" must not write outside it. */
export function localPath(dir: string, rel: string, key: string): string {
  const root = resolve(dir);
  const local = resolve(root, rel);
  if (!local.startsWith(root + sep)) throw new UsageError(`refusing S3 key outside the dataset folder: ${key}`);
  return local;
}

/**
 * Downloads the given objects to their local paths, `concurrency` at a time, and returns the
 * local paths in the given order. The first failure cancels the rest and is what is thrown.
 */
export async function downloadS3Objects(s3: S3Client, jobs: Array<{ bucket: string; key: string; local: string }>, options: DownloadOptions = {}): Promise<string[]> {
  const abort = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, abort.signal]) : abort.signal;
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++] as (typeof jobs)[number];
      await mkdir(dirname(job.local), { recursive: true });
      const res = await callS3(`get s3://${job.bucket}/${job.key}`, () =>
        s3.send(new GetObjectCommand({ Bucket: job.bucket, Key: job.key }), { abortSignal: signal }),
      );
      await pipeline(res.Body as Readable, createWriteStream(job.local), { signal });
    }
  };
  // The first failure cancels the other downloads; it, not their AbortErrors, is reported.
  let failure: { error: unknown } | undefined;
  const workers = Array.from({ length: Math.min(options.concurrency ?? 8, jobs.length) }, () =>
    worker().catch((error: unknown) => {
      failure ??= { error };
      abort.abort();
    }),
  );
  await Promise.all(workers);
  if (failure) throw failure.error;
  return jobs.map((j) => j.local);
}

/** One object's bytes (small objects: Delta log files, deletion vectors). */
export async function getS3Object(s3: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<Buffer> {
  const res = await callS3(`get s3://${bucket}/${key}`, () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }));
  return Buffer.from(await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

export async function callS3<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
    const status = e.$metadata?.httpStatusCode;
    throw new ApiError({ service: 's3', message: `${what}: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`, statusCode: status, apiCode: e.name, cause: err });
  }
}
