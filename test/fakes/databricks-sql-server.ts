import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Databricks SQL Statement Execution API on 127.0.0.1 (apis.md section 2): execute,
 * poll, result chunks and cancel, with the real JSON shapes. What a statement returns is up
 * to the test's `answer` function.
 */
export interface FakeAnswer {
  columns?: { name: string; type_name?: string }[];
  rows?: (string | null)[][];
  /** Fail the statement (HTTP 200, state FAILED) with this error. */
  error?: { error_code: string; message: string };
  /** Polls answered PENDING/RUNNING before the statement finishes. Default 0. */
  pendingPolls?: number;
}

export interface ExecuteRequest {
  warehouse_id?: string;
  statement?: string;
  parameters?: { name: string; value: string | null; type?: string }[];
  wait_timeout?: string;
  on_wait_timeout?: string;
  format?: string;
  disposition?: string;
}

export interface FakeSqlWarehouse {
  url: string;
  /** Every execute request body, in order. */
  executed: ExecuteRequest[];
  /** Every `METHOD /path`, in order. */
  requests: string[];
  cancelled: string[];
  close(): Promise<void>;
}

interface Stored {
  id: string;
  answer: FakeAnswer;
  polls: number;
  cancelled: boolean;
}

export async function startFakeSqlWarehouse(opts: {
  token: string;
  answer: (req: ExecuteRequest) => FakeAnswer;
  /** Rows per result chunk; smaller than the result exercises chunk following. */
  chunkSize?: number;
}): Promise<FakeSqlWarehouse> {
  const statements = new Map<string, Stored>();
  const executed: ExecuteRequest[] = [];
  const requests: string[] = [];
  const cancelled: string[] = [];
  const chunkSize = opts.chunkSize ?? 1000;
  let next = 1;

  const chunk = (s: Stored, index: number) => {
    const rows = s.answer.rows ?? [];
    const more = (index + 1) * chunkSize < rows.length;
    return {
      chunk_index: index,
      row_offset: index * chunkSize,
      row_count: Math.min(chunkSize, rows.length - index * chunkSize),
      data_array: rows.slice(index * chunkSize, (index + 1) * chunkSize),
      ...(more ? { next_chunk_index: index + 1, next_chunk_internal_link: `/api/2.0/sql/statements/${s.id}/result/chunks/${index + 1}` } : {}),
    };
  };
  const view = (s: Stored) => {
    if (s.cancelled) return { statement_id: s.id, status: { state: 'CANCELED' } };
    if (s.polls < (s.answer.pendingPolls ?? 0)) return { statement_id: s.id, status: { state: s.polls === 0 ? 'PENDING' : 'RUNNING' } };
    if (s.answer.error) return { statement_id: s.id, status: { state: 'FAILED', error: s.answer.error, sql_state: '42000' } };
    const rows = s.answer.rows ?? [];
    const columns = (s.answer.columns ?? []).map((c, i) => ({ name: c.name, type_name: c.type_name ?? 'STRING', position: i }));
    return {
      statement_id: s.id,
      status: { state: 'SUCCEEDED' },
      manifest: { format: 'JSON_ARRAY', schema: { column_count: columns.length, columns }, total_row_count: rows.length, total_chunk_count: Math.max(1, Math.ceil(rows.length / chunkSize)), truncated: false },
      result: chunk(s, 0),
    };
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => send(res, 500, { error_code: 'INTERNAL_ERROR', message: String(err) }));
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    requests.push(`${req.method} ${path}`);
    if (req.headers.authorization !== `Bearer ${opts.token}`) return send(res, 401, { error_code: 'UNAUTHENTICATED', message: 'Invalid access token.' });
    let m: RegExpExecArray | null;
    if (req.method === 'POST' && path === '/api/2.0/sql/statements') {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExecuteRequest;
      executed.push(body);
      if (!body.warehouse_id || !body.statement) return send(res, 400, { error_code: 'BAD_REQUEST', message: 'warehouse_id and statement are required' });
      if (body.wait_timeout && !/^(0|[5-9]|[1-4]\d|50)s$/.test(body.wait_timeout)) return send(res, 400, { error_code: 'BAD_REQUEST', message: 'bad wait_timeout' });
      const s: Stored = { id: `01ef-${next++}`, answer: opts.answer(body), polls: 0, cancelled: false };
      statements.set(s.id, s);
      return send(res, 200, view(s));
    }
    if ((m = /^\/api\/2\.0\/sql\/statements\/([^/]+)(\/cancel|\/result\/chunks\/(\d+))?$/.exec(path))) {
      const s = statements.get(m[1] as string);
      if (!s) return send(res, 404, { error_code: 'NOT_FOUND', message: `statement ${m[1]} not found` });
      if (req.method === 'POST' && m[2] === '/cancel') {
        s.cancelled = true;
        cancelled.push(s.id);
        return send(res, 200, {});
      }
      if (req.method === 'GET' && m[3] !== undefined) return send(res, 200, chunk(s, Number(m[3])));
      if (req.method === 'GET') {
        s.polls++;
        return send(res, 200, view(s));
      }
    }
    send(res, 404, { error_code: 'NOT_FOUND', message: `no route ${req.method} ${path}` });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    executed,
    requests,
    cancelled,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}
