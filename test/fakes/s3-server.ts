import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny S3 on 127.0.0.1 speaking the REST protocol, path-style (`/bucket/key`), for the real
 * `S3Client` with `forcePathStyle: true`: ListObjectsV2 (prefix, continuation-token, max-keys),
 * GetObject, HeadObject, PutObject and DeleteObject (204 whether or not the key existed, as S3).
 * Signatures are not checked, but `restrict()` serves a prefix only to one SigV4 access key id
 * (from the Authorization header), and that key nothing else, as S3 does for a Unity Catalog
 * table's temporary credentials.
 */
export interface FakeS3 {
  url: string;
  put(bucket: string, key: string, body: Buffer | string): void;
  /** Keys under `bucket/prefix`, sorted (what a service writing into the fake, like UNLOAD, checks). */
  keys(bucket: string, prefix?: string): string[];
  /** `METHOD /path?query` of every request, for assertions. */
  requests: string[];
  /** Answer this key with this HTTP status instead of its bytes. */
  fail(key: string, status: number): void;
  /**
   * Objects under `bucket/prefix` (and listings of it) are served only to this access key id;
   * others get 403. The key itself gets 403 anywhere else, like Unity Catalog's temporary table
   * credentials, which are scoped down to the table's storage location.
   */
  restrict(bucket: string, prefix: string, accessKeyId: string): void;
  /** The access key id of every request, beside `requests`. */
  accessKeys: string[];
  /** Most GetObject requests served at the same time (see `getDelayMs`). */
  maxInFlight(): number;
  close(): Promise<void>;
}

export interface FakeS3Options {
  /** Keys per ListObjectsV2 page (S3 says 1000); small values exercise pagination. */
  pageSize?: number;
  /** Hold each GetObject this long, so concurrency becomes observable. */
  getDelayMs?: number;
}

interface StoredObject {
  body: Buffer;
  etag: string;
  modified: Date;
}

const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startFakeS3(options: FakeS3Options = {}): Promise<FakeS3> {
  const buckets = new Map<string, Map<string, StoredObject>>();
  const faults = new Map<string, number>();
  const requests: string[] = [];
  const accessKeys: string[] = [];
  const restricted: Array<{ bucket: string; prefix: string; key: string }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const put = (bucket: string, key: string, body: Buffer | string) => {
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const objects = buckets.get(bucket) ?? new Map<string, StoredObject>();
    objects.set(key, { body: buf, etag: `"${createHash('md5').update(buf).digest('hex')}"`, modified: new Date() });
    buckets.set(bucket, objects);
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => sendError(res, 500, 'InternalError', String(err)));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requests.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, bucket = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const accessKey = /Credential=([^/,\s]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? '';
    accessKeys.push(accessKey);
    const target = key || (url.searchParams.get('prefix') ?? '');
    const rule = restricted.find((r) => r.bucket === decodeURIComponent(bucket) && (target.startsWith(r.prefix) || r.prefix.startsWith(target)));
    if (rule && rule.key !== accessKey) return sendError(res, 403, 'AccessDenied', 'Access Denied');
    // A restricted key is a table's temporary credential: scoped down to its prefixes, nothing else.
    const scopes = restricted.filter((r) => r.key === accessKey);
    if (scopes.length > 0 && !scopes.some((r) => r.bucket === decodeURIComponent(bucket) && target.startsWith(r.prefix))) return sendError(res, 403, 'AccessDenied', 'Access Denied');
    const objects = buckets.get(decodeURIComponent(bucket));
    if (req.method === 'PUT' && key) {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      put(decodeURIComponent(bucket), key, Buffer.concat(chunks));
      res.writeHead(200, { ETag: buckets.get(decodeURIComponent(bucket))?.get(key)?.etag }).end();
      return;
    }
    if (!objects) return sendError(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    if (req.method === 'DELETE' && key) {
      objects.delete(key);
      res.writeHead(204).end();
      return;
    }
    if (!key && url.searchParams.get('list-type') === '2') return list(res, bucket, objects, url.searchParams);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if (options.getDelayMs) await new Promise((r) => setTimeout(r, options.getDelayMs));
    } finally {
      inFlight--;
    }
    const fault = faults.get(key);
    if (fault) return sendError(res, fault, fault === 403 ? 'AccessDenied' : 'InternalError', 'injected fault');
    const object = objects.get(key);
    if (!object) return sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': object.body.length,
      ETag: object.etag,
      'Last-Modified': object.modified.toUTCString(),
    });
    res.end(req.method === 'HEAD' ? undefined : object.body);
  }

  function list(res: ServerResponse, bucket: string, objects: Map<string, StoredObject>, q: URLSearchParams): void {
    const prefix = q.get('prefix') ?? '';
    const max = Math.min(Number(q.get('max-keys') ?? 1000), options.pageSize ?? 1000);
    const token = q.get('continuation-token');
    const after = token ? Buffer.from(token, 'base64').toString('utf8') : (q.get('start-after') ?? '');
    const keys = [...objects.keys()].filter((k) => k.startsWith(prefix) && k > after).sort();
    const page = keys.slice(0, max);
    const truncated = keys.length > page.length;
    const contents = page.map((k) => {
      const o = objects.get(k) as StoredObject;
      return `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${o.modified.toISOString()}</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
    });
    const next = truncated ? `<NextContinuationToken>${Buffer.from(page.at(-1) ?? '').toString('base64')}</NextContinuationToken>` : '';
    const body =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys>` +
      `<IsTruncated>${truncated}</IsTruncated>${token ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : ''}${next}${contents.join('')}</ListBucketResult>`;
    res.writeHead(200, { 'Content-Type': 'application/xml' }).end(body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    put,
    keys: (bucket, prefix = '') => [...(buckets.get(bucket)?.keys() ?? [])].filter((k) => k.startsWith(prefix)).sort(),
    requests,
    fail: (key, status) => faults.set(key, status),
    restrict: (bucket, prefix, accessKeyId) => restricted.push({ bucket, prefix, key: accessKeyId }),
    accessKeys,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // The SDK keeps connections alive; without this, close waits for them to time out.
        server.closeAllConnections();
      }),
  };
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) return void res.destroy();
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>fake</RequestId></Error>`;
  res.writeHead(status, { 'Content-Type': 'application/xml' }).end(body);
}
