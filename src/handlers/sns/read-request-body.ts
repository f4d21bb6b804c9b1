import type { IncomingMessage } from 'node:http';

export type BodyResult =
  | { ok: true; body: Buffer }
  /** `drained`: the whole request was read, so the connection can be kept alive for the 413. */
  | { ok: false; reason: 'too_large'; drained: boolean }
  | { ok: false; reason: 'aborted' };

/**
 * Reads a request body of at most `maxBytes`. A body over the limit is read and discarded
 * (up to `4 × maxBytes`) rather than cut off, so the client still gets its 413 on a reusable
 * connection; beyond that, or with a declared length beyond that, we stop reading at once.
 */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const hardLimit = maxBytes * 4;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > hardLimit) {
    req.resume();
    return Promise.resolve({ ok: false, reason: 'too_large', drained: false });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: BodyResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else if (size > hardLimit) {
        req.pause();
        settle({ ok: false, reason: 'too_large', drained: false });
      }
    });
    req.on('end', () => settle(size > maxBytes ? { ok: false, reason: 'too_large', drained: true } : { ok: true, body: Buffer.concat(chunks) }));
    req.on('error', () => settle({ ok: false, reason: 'aborted' }));
    req.on('close', () => settle({ ok: false, reason: 'aborted' }));
  });
}
