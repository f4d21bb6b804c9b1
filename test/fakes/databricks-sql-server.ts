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

/** One row of `system.billing.usage` (the columns the billing query reads). */
export interface BillingUsageRow {
  sku_name: string;
  cloud: string;
  usage_unit: string;
  usage_quantity: number;
  /** ISO timestamps (UTC). */
  usage_start_time: string;
  usage_end_time: string;
  /** `usage_metadata.job_id` and `usage_metadata.job_run_id`. */
  job_id: string;
  job_run_id: string;
}

/** One row of `system.billing.list_prices`: `pricing.default` (and `pricing.effective_list.default`). */
export interface BillingPriceRow {
  sku_name: string;
  cloud: string;
  usage_unit: string;
  currency_code: string;
  price_start_time: string;
  price_end_time: string | null;
  default: number;
  effective_list?: number;
}

/** The billing system tables the fake answers from; tests change the arrays as billing data "arrives". */
export interface FakeBillingTables {
  usage: BillingUsageRow[];
  prices: BillingPriceRow[];
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
  /** When set, statements reading `system.billing.usage` are answered from these rows (see answerBilling). */
  billing?: FakeBillingTables;
  /** Rows per result chunk; smaller than the result exercises chunk following. */
  chunkSize?: number;
  /** Warehouses `GET /api/2.0/sql/warehouses/{id}` knows, with their state. Default: any id, RUNNING. */
  warehouses?: Record<string, string>;
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
      const billing = opts.billing && body.statement.includes('system.billing.usage') ? answerBilling(opts.billing, body) : undefined;
      const s: Stored = { id: `01ef-${next++}`, answer: billing ?? opts.answer(body), polls: 0, cancelled: false };
      statements.set(s.id, s);
      return send(res, 200, view(s));
    }
    if (req.method === 'GET' && (m = /^\/api\/2\.0\/sql\/warehouses\/([^/]+)$/.exec(path))) {
      const id = decodeURIComponent(m[1] as string);
      const state = opts.warehouses ? opts.warehouses[id] : 'RUNNING';
      if (!state) return send(res, 404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Unable to find warehouse ${id}` });
      return send(res, 200, { id, name: `warehouse ${id}`, state, cluster_size: 'Small' });
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

const BILLING_COLUMNS = ['sku_name', 'usage_unit', 'quantity', 'list_cost', 'currency_code', 'unpriced_records', 'last_usage_end_ms'].map((name) => ({ name, type_name: 'STRING' }));

/**
 * Cutover's billing query, answered as Databricks would from the fake tables: usage of the bound
 * `job_run_id` and `job_id` from the bound `since` day on, each record priced by the list price of
 * its SKU, cloud and unit whose validity window holds the record's start, summed per SKU and unit.
 * The parameters are checked (names, types, values), not the SQL text: a value pasted into the
 * statement instead of bound fails like an unbound parameter.
 */
export function answerBilling(tables: FakeBillingTables, req: ExecuteRequest): FakeAnswer {
  const param = (name: string, type: string) => {
    const p = req.parameters?.find((x) => x.name === name);
    if (!p || p.value === null || (p.type ?? 'STRING') !== type) throw new Error(`${name} must be bound as ${type}`);
    return p.value;
  };
  let runId: string, jobId: string, since: string;
  try {
    [runId, jobId, since] = [param('job_run_id', 'STRING'), param('job_id', 'STRING'), param('since', 'DATE')];
    if (!/^\d{4}-\d{2}-\d{2}$/.test(since)) throw new Error(`since is not a DATE: ${since}`);
  } catch (err) {
    return { error: { error_code: 'UNBOUND_SQL_PARAMETER', message: (err as Error).message } };
  }
  const groups = new Map<string, { sku: string; unit: string; quantity: number; cost: number; currency?: string; unpriced: number; lastEnd: number }>();
  for (const u of tables.usage) {
    if (u.job_run_id !== runId || u.job_id !== jobId || u.usage_start_time.slice(0, 10) < since) continue;
    const start = Date.parse(u.usage_start_time);
    const price = tables.prices.find(
      (p) => p.sku_name === u.sku_name && p.cloud === u.cloud && p.usage_unit === u.usage_unit && start >= Date.parse(p.price_start_time) && (p.price_end_time === null || start < Date.parse(p.price_end_time)),
    );
    const key = `${u.sku_name}\u0000${u.usage_unit}`;
    const g = groups.get(key) ?? { sku: u.sku_name, unit: u.usage_unit, quantity: 0, cost: 0, unpriced: 0, lastEnd: 0 };
    g.quantity += u.usage_quantity;
    g.lastEnd = Math.max(g.lastEnd, Date.parse(u.usage_end_time));
    if (price) {
      g.cost += u.usage_quantity * (price.effective_list ?? price.default);
      g.currency = price.currency_code;
    } else g.unpriced++;
    groups.set(key, g);
  }
  const rows = [...groups.values()]
    .sort((a, b) => a.sku.localeCompare(b.sku))
    .map((g) => [g.sku, g.unit, String(g.quantity), String(g.cost), g.currency ?? null, String(g.unpriced), String(g.lastEnd)]);
  return { columns: BILLING_COLUMNS, rows };
}
