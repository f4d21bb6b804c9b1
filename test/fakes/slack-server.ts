import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMethods, type MethodHandler } from './slack-server-methods.ts';
import { fail, parseBody, readBody, send, type Json } from './slack-server-wire.ts';

/**
 * A fake Slack Web API on 127.0.0.1 speaking the real wire format (apis.md 5.5–5.7): methods
 * POSTed to `/api/<method>` as form or JSON bodies with a Bearer token, answers `{ok, …}`,
 * 429 + Retry-After on injected faults, and `invalid_blocks` on Block Kit limit breaches, so
 * limit bugs fail tests instead of production. It also serves file upload URLs, response_urls,
 * and a control API (`GET /__fake/state`, `POST /__fake/control`) for apps in other processes.
 */
export type { Json } from './slack-server-wire.ts';
export { BOT } from './slack-server-methods.ts';

/** The emulator's stored shapes, shared with the playground (src/playground/slack-api/types.ts). */
import type { SlackUser, StoredEphemeral, StoredFile, StoredMessage, StoredView } from '../../src/playground/slack-api/types.ts';
export type FakeMessage = StoredMessage;
export type FakeEphemeral = StoredEphemeral;
export type FakeFile = StoredFile;
export type FakeView = StoredView;

export interface FakeCall {
  method: string;
  body: Json;
  headers: Record<string, string>;
  at: number;
  /** HTTP status answered (429/5xx only when a fault was injected). */
  status: number;
  /** The `error` of an `ok: false` answer. */
  error?: string;
  /** The rate-limit bucket the call counted against, when `rateLimits` are on. */
  bucket?: string;
}

/** A method's limit in the fake: a token bucket of `burst` refilled at `rate` a minute, per channel if set. */
export interface FakeRateLimit {
  rate: number;
  burst: number;
  perChannel?: boolean;
}

/**
 * Slack's published limits (per method, per workspace, per app): Tier 2 20/min, Tier 3 50/min,
 * Tier 4 100/min; chat.postMessage 1/s per channel with short bursts. Slack tolerates bursts
 * "somewhat": here a quarter minute's worth for the tiers, three messages for a channel.
 */
export const PUBLISHED_RATE_LIMITS: Record<string, FakeRateLimit> = {
  'chat.postMessage': { rate: 60, burst: 3, perChannel: true },
  'chat.update': { rate: 50, burst: 12 },
  'chat.postEphemeral': { rate: 100, burst: 25 },
  'chat.getPermalink': { rate: 100, burst: 25 },
  'conversations.info': { rate: 50, burst: 12 },
  'conversations.open': { rate: 50, burst: 12 },
  'conversations.history': { rate: 50, burst: 12 },
  'conversations.replies': { rate: 50, burst: 12 },
  'users.info': { rate: 100, burst: 25 },
  'usergroups.users.list': { rate: 20, burst: 5 },
  'views.open': { rate: 100, burst: 25 },
  'views.update': { rate: 100, burst: 25 },
  'views.publish': { rate: 100, burst: 25 },
  'files.getUploadURLExternal': { rate: 100, burst: 25 },
  'files.completeUploadExternal': { rate: 100, burst: 25 },
  'auth.test': { rate: 100, burst: 25 },
  '*': { rate: 50, burst: 12 },
};




export interface FakeResponse {
  id: string;
  body: unknown;
  at: number;
}


/** An injected failure: an HTTP status (429 adds `Retry-After`), or a 200 `{ok: false, error}`. */
export interface Fault {
  status?: number;
  retryAfter?: number;
  error?: string;
}

export interface FakeSlackOptions {
  /** When set, any other bearer token gets `invalid_auth`; otherwise any token is accepted. */
  token?: string;
  /** Subteam id -> member user ids, for `usergroups.users.list`. */
  usergroups?: Record<string, string[]>;
  /** User id -> names, for `users.info`; other ids get a name derived from the id. */
  users?: Record<string, SlackUser>;
  /** Channel id -> state, for `conversations.info`; other ids get `channel_not_found`. Unset: every channel exists. */
  channels?: Record<string, { archived?: boolean }>;
  /**
   * Enforce per-method rate limits: 429 + Retry-After (whole seconds until a token is back)
   * once a bucket is empty, like Slack. `published` = PUBLISHED_RATE_LIMITS; a map gives
   * method -> limit (`*` for the rest). Off by default so other tests need not pace themselves.
   */
  rateLimits?: 'published' | Record<string, FakeRateLimit>;
}

/** Body of `POST /__fake/control`; every key is optional. */
export interface FakeControl {
  reset?: boolean;
  failNext?: { method: string; faults: Fault[] } | Array<{ method: string; faults: Fault[] }>;
  usergroups?: Record<string, string[]>;
  users?: Record<string, SlackUser>;
}

export class FakeSlack {
  calls: FakeCall[] = [];
  messages: FakeMessage[] = [];
  ephemerals: FakeEphemeral[] = [];
  files: FakeFile[] = [];
  responses: FakeResponse[] = [];
  views: FakeView[] = [];
  usergroups: Record<string, string[]> = {};
  users: Record<string, SlackUser> = {};
  /** Channels conversations.info knows (from the options); undefined: all of them. */
  channels?: Record<string, { archived?: boolean }>;
  readonly usedTriggers = new Set<string>();
  /** `http://127.0.0.1:<port>` once started. */
  origin = '';
  private readonly faults = new Map<string, Fault[]>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly methods: Record<string, MethodHandler> = createMethods(this);
  /** Methods another fake answers through this Web API (socket-mode-server.ts: `apps.connections.open`); they check the token. */
  private readonly served = new Map<string, (body: Json, token: string) => Json>();
  private seq = 0;
  private lastMicros = 0;
  private server?: Server;

  constructor(private readonly options: FakeSlackOptions = {}) {
    this.reset();
  }

  /** Listens on a random loopback port (or `port`); resolves to the `slackApiUrl`, ending in `/api/`. */
  async start(port = 0): Promise<string> {
    const server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => send(res, 500, fail('fatal_error', { detail: String(err) })));
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return `${this.origin}/api/`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Forgets everything recorded and every pending fault; user groups and users go back to the options. */
  reset(): void {
    this.calls = [];
    this.messages = [];
    this.ephemerals = [];
    this.files = [];
    this.responses = [];
    this.views = [];
    this.faults.clear();
    this.buckets.clear();
    this.usedTriggers.clear();
    this.usergroups = { ...this.options.usergroups };
    this.users = { ...this.options.users };
    this.channels = this.options.channels ? { ...this.options.channels } : undefined;
  }

  /** A response_url to put in payloads; POSTs to it are recorded in `responses` under `id`. */
  responseUrl(id: string): string {
    return `${this.origin}/response/${id}`;
  }

  /** Answers `method` with `handler`, which is given the bearer token to check (other methods take bot tokens only). */
  serve(method: string, handler: (body: Json, token: string) => Json): void {
    this.served.set(method, handler);
  }

  /** The next calls to `method` fail as described, one fault per call, in order. */
  failNext(method: string, faults: Fault[]): void {
    this.faults.set(method, [...(this.faults.get(method) ?? []), ...faults]);
  }

  /** Calls answered 429 because a rate-limit bucket was empty, by bucket. */
  rateLimited(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const c of this.calls) if (c.status === 429 && c.bucket) out[c.bucket] = (out[c.bucket] ?? 0) + 1;
    return out;
  }

  callsTo(method: string): FakeCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  message(channel: string, ts: string): FakeMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  /** Replies in the thread of `channel`/`ts`, oldest first, without the parent. */
  threadReplies(channel: string, ts: string): FakeMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.thread_ts === ts && m.ts !== ts);
  }

  /** Polls every 20 ms until `predicate` returns something truthy, and returns it. */
  async waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = 5000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate();
      if (value) return value;
      if (Date.now() > deadline) {
        const recent = this.calls.slice(-10).map((c) => `${c.method}${c.error ? ` (${c.error})` : ''}`);
        throw new Error(`FakeSlack.waitFor timed out after ${timeoutMs} ms; last calls: ${recent.join(', ') || 'none'}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Everything recorded, JSON-safe (file bytes as base64 `content`); served at `GET /__fake/state`. */
  state(): Json {
    const files = this.files.map(({ bytes, ...file }) => ({ ...file, content: bytes?.toString('base64') }));
    const { calls, messages, ephemerals, responses, views } = this;
    return { calls, messages, ephemerals, responses, views, files };
  }

  /** What `POST /__fake/control` does, callable in-process too. */
  control(body: FakeControl): void {
    if (body.reset) this.reset();
    for (const f of body.failNext ? [body.failNext].flat() : []) this.failNext(f.method, f.faults);
    if (body.usergroups) Object.assign(this.usergroups, body.usergroups);
    if (body.users) Object.assign(this.users, body.users);
  }

  /**
   * Message timestamps as Slack makes them: unique and increasing, from the clock (history reads
   * with `oldest` compare them with real times).
   */
  nextTs(): string {
    const micros = (this.lastMicros = Math.max(Date.now() * 1000, this.lastMicros + 1));
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  nextId(prefix: string): string {
    return `${prefix}${String(++this.seq).padStart(8, '0')}`;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const raw = await readBody(req);
    const [, kind = '', id = ''] = url.pathname.split('/');
    if (req.method === 'GET' && url.pathname === '/__fake/state') return send(res, 200, this.state());
    if (req.method !== 'POST') return send(res, 405, fail('method_not_allowed'));
    if (url.pathname === '/__fake/control') {
      this.control(JSON.parse(raw.toString() || '{}') as FakeControl);
      return send(res, 200, { ok: true });
    }
    if (kind === 'response') {
      this.responses.push({ id, body: raw.length > 0 ? JSON.parse(raw.toString()) : null, at: Date.now() });
      return send(res, 200, { ok: true });
    }
    if (kind === 'upload') return this.upload(id, raw, req, res);
    if (kind === 'api') return this.api(id, await parseBody(raw, req.headers['content-type']), req, res);
    send(res, 404, fail('not_found'));
  }

  private api(method: string, body: Json, req: IncomingMessage, res: ServerResponse): void {
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const call: FakeCall = { method, body, headers, at: Date.now(), status: 200 };
    this.calls.push(call);
    const fault = this.faults.get(method)?.shift();
    // WebClient always sends the token as a Bearer header, so only the header counts here.
    const token = /^Bearer (\S+)$/.exec(headers.authorization ?? '')?.[1];
    let result: Json;
    const limited = !fault && token ? this.overLimit(method, body, call) : undefined;
    if (limited !== undefined) {
      call.status = 429;
      result = fail('ratelimited');
    } else if (fault?.status) {
      call.status = fault.status;
      result = fail(fault.error ?? (fault.status === 429 ? 'ratelimited' : 'internal_error'));
    } else if (fault) result = fail(fault.error ?? 'fatal_error');
    else if (!token) result = fail('not_authed');
    else if (this.served.has(method)) result = this.served.get(method)!(body, token);
    // Slack refuses an app-level token on the bot's methods.
    else if (token.startsWith('xapp-')) result = fail('not_allowed_token_type');
    else if (this.options.token && token !== this.options.token) result = fail('invalid_auth');
    else result = (this.methods[method] ?? (() => fail('unknown_method')))(body);
    if (result.ok === false) call.error = String(result.error);
    const retryAfter: Record<string, string> =
      limited !== undefined ? { 'retry-after': String(limited) } : fault?.status === 429 ? { 'retry-after': String(fault.retryAfter ?? 1) } : {};
    send(res, call.status, result, retryAfter);
  }

  /** Takes a token from the call's bucket; when it is empty, the Retry-After in whole seconds. */
  private overLimit(method: string, body: Json, call: FakeCall): number | undefined {
    const limits = this.options.rateLimits === 'published' ? PUBLISHED_RATE_LIMITS : this.options.rateLimits;
    if (!limits) return undefined;
    const limit = limits[method] ?? limits['*'];
    if (!limit) return undefined;
    const channel = typeof body.channel === 'string' ? body.channel : undefined;
    const key = limit.perChannel && channel ? `${method}:${channel}` : method;
    call.bucket = key;
    const now = Date.now();
    const perMs = limit.rate / 60_000;
    const b = this.buckets.get(key) ?? { tokens: limit.burst, at: now };
    b.tokens = Math.min(limit.burst, b.tokens + (now - b.at) * perMs);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
  }

  private async upload(id: string, raw: Buffer, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const file = this.files.find((f) => f.id === id);
    if (!file) return send(res, 404, fail('file_not_found'));
    // WebClient posts the bytes as a multipart field named `body`; raw bodies work too.
    const form = await parseBody(raw, req.headers['content-type'], true);
    const part = form.body ?? form.file;
    file.bytes = Buffer.isBuffer(part) ? part : typeof part === 'string' ? Buffer.from(part) : raw;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${file.bytes.length}`);
  }
}
