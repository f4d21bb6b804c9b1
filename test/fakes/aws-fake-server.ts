import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the AWS fakes on 127.0.0.1 share: the two wire protocols of the SDK v3 clients they serve
 * (botocore `protocol`), request recording, injected faults, and holding a response back.
 *
 * - `json` (AWS JSON 1.0/1.1): `POST /` with `X-Amz-Target: <prefix>.<Operation>`; errors as
 *   `{"__type", "message"}`. Step Functions (1.0), Redshift Data API and EventBridge (1.1).
 * - `rest-json`: the operation is the method and path; errors name their type in the
 *   `x-amzn-ErrorType` header with `{"message"}` as the body. EMR Serverless, EventBridge Scheduler.
 *
 * Timestamps go out as epoch seconds, as both protocols do by default. SigV4 signatures are not
 * verified, but an `Authorization` header must be present, as with the real endpoints.
 */

/** An error in the service's own words: its error code, message and HTTP status. */
export class AwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface RecordedCall {
  operation: string;
  input: Record<string, unknown>;
  at: number;
}

export interface Fault {
  /** The AWS error code, e.g. ThrottlingException, InternalServerException. */
  type: string;
  status?: number;
  message?: string;
  /** How many matching requests fail. Default 1. */
  times?: number;
  /** Only this operation fails; default any. */
  operation?: string;
}

export interface Route {
  operation: string;
  input: Record<string, unknown>;
}

export interface AwsProtocol {
  kind: 'json' | 'rest-json';
  /** For `json`: the `X-Amz-Target` prefix (botocore `targetPrefix`) and the JSON version. */
  targetPrefix?: string;
  jsonVersion?: '1.0' | '1.1';
  /** For `rest-json`: the operation and its input (path and query members merged into the body). */
  route?: (method: string, url: URL, body: Record<string, unknown>) => Route | undefined;
}

/** A held response: `reached` resolves when a call arrived (and was carried out), `release` sends it. */
export interface Hold {
  reached: Promise<void>;
  release(): void;
}

export abstract class AwsFakeServer {
  readonly calls: RecordedCall[] = [];
  url = '';
  private server?: Server;
  private faults: Fault[] = [];
  private holds = new Map<string, { reached: () => void; released: Promise<void> }>();

  protected constructor(private readonly protocol: AwsProtocol) {}

  /** Carries out one operation; throws AwsError for anything the real service refuses. */
  protected abstract dispatch(operation: string, input: Record<string, unknown>): unknown;

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  callsTo(operation: string): RecordedCall[] {
    return this.calls.filter((c) => c.operation === operation);
  }

  failNext(fault: Fault): void {
    this.faults.push({ times: 1, ...fault });
  }

  /**
   * Holds the response to the next call of `operation` after the service carried it out, as a
   * network that drops the answer would: the crash tests kill the caller while it waits.
   */
  hold(operation: string): Hold {
    let reached!: () => void;
    let release!: () => void;
    const reachedP = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.holds.set(operation, { reached, released });
    return { reached: reachedP, release };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const json = this.protocol.kind === 'json' ? `application/x-amz-json-${this.protocol.jsonVersion ?? '1.1'}` : 'application/json';
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': json, 'x-amzn-requestid': randomUUID(), ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body, epochSeconds));
    };
    try {
      if (!req.headers.authorization) throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
      const body = parseBody(raw);
      const { operation, input } = this.routeOf(req, body);
      this.calls.push({ operation, input, at: Date.now() });
      this.injectFault(operation);
      const out = await this.dispatch(operation, input);
      const held = this.holds.get(operation);
      if (held) {
        this.holds.delete(operation);
        held.reached();
        await held.released;
      }
      send(200, out ?? {});
    } catch (err) {
      const e = err instanceof AwsError ? err : new AwsError('InternalServerException', String(err), 500);
      if (this.protocol.kind === 'json') send(e.status, { __type: e.type, message: e.message });
      else send(e.status, { message: e.message }, { 'x-amzn-errortype': e.type });
    }
  }

  private routeOf(req: IncomingMessage, body: Record<string, unknown>): Route {
    if (this.protocol.kind === 'json') {
      const target = header(req.headers, 'x-amz-target');
      const prefix = `${this.protocol.targetPrefix}.`;
      if (req.method !== 'POST' || !target.startsWith(prefix)) throw new AwsError('UnknownOperationException', `bad X-Amz-Target: ${target}`);
      if (!header(req.headers, 'content-type').startsWith(`application/x-amz-json-${this.protocol.jsonVersion}`)) {
        throw new AwsError('SerializationException', `expected application/x-amz-json-${this.protocol.jsonVersion}`);
      }
      return { operation: target.slice(prefix.length), input: body };
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = this.protocol.route?.(req.method ?? 'GET', url, body);
    if (!route) throw new AwsError('UnknownOperationException', `no operation at ${req.method} ${url.pathname}`, 404);
    return route;
  }

  private injectFault(operation: string): void {
    const fault = this.faults.find((f) => !f.operation || f.operation === operation);
    if (!fault) return;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    throw new AwsError(fault.type, fault.message ?? `injected ${fault.type}`, fault.status ?? 400);
  }
}

/** A required member is missing or empty: the SDK sends what it is given, the service refuses it. */
export function required<T>(input: Record<string, unknown>, name: string, exception = 'ValidationException'): T {
  const value = input[name];
  if (value === undefined || value === null || value === '') throw new AwsError(exception, `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`);
  return value as T;
}

/** A string member's length and pattern, as the service model constrains it. */
export function checkString(name: string, value: unknown, { min = 0, max = Infinity, pattern }: { min?: number; max?: number; pattern?: RegExp }, exception = 'ValidationException'): void {
  if (value === undefined) return;
  const ok = typeof value === 'string' && value.length >= min && value.length <= max && (!pattern || pattern.test(value));
  if (!ok) throw new AwsError(exception, `1 validation error detected: Value '${String(value)}' at '${name}' failed to satisfy constraint`);
}

/** A request as JSON with sorted keys and no undefined members, so two requests compare by content. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** JSON.stringify replacer: Dates as epoch seconds (`this[key]` is the value before its toJSON ran). */
function epochSeconds(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Date ? raw.getTime() / 1000 : value;
}

function header(headers: IncomingHttpHeaders, name: string): string {
  return String(headers[name] ?? '');
}

function parseBody(raw: string): Record<string, unknown> {
  if (!raw) return {};
  try {
    return JSON.parse(raw) as Record<string, unknown>;
  } catch {
    throw new AwsError('SerializationException', 'the body is not JSON');
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
