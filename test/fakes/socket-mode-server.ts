import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { FakeSlack, Json } from './slack-server.ts';

/**
 * A fake of Slack's Socket Mode on 127.0.0.1, speaking its wire protocol:
 * - `apps.connections.open` on the fake Web API (FakeSlack), called with the app-level token
 *   (`xapp-…`), answers `{ok: true, url: "ws://127.0.0.1:<port>/link/?ticket=…&app_id=…"}`;
 *   a ticket opens one connection, once;
 * - on connect the server sends `{type: "hello", num_connections, debug_info, connection_info}`
 *   and pings every `pingIntervalMs`;
 * - envelopes `{envelope_id, type: slash_commands|interactive|events_api, payload,
 *   accepts_response_payload}` (events add `retry_attempt`, `retry_reason`) go to one open
 *   connection, and the app acks each with `{envelope_id, payload?}`;
 * - `{type: "disconnect", reason: "warning"|"refresh_requested", debug_info}` asks the app to
 *   reconnect: no new envelope goes to that connection, and the server closes it after
 *   `disconnectGraceMs` if the app has not.
 * Anything the app does that Slack would not accept is recorded in `violations` (an ack for an
 * unknown or already acked envelope, a response payload where none is accepted, a non-JSON frame).
 */

export const APP_ID = 'A0CUTOVER';
export const APP_TOKEN = `xapp-1-${APP_ID}-1234567890123-0123456789abcdef0123456789abcdef`;

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';
export type DisconnectReason = 'warning' | 'refresh_requested';

export interface Envelope {
  envelope_id: string;
  type: EnvelopeType;
  payload: Json;
  accepts_response_payload: boolean;
  retry_attempt?: number;
  retry_reason?: string;
}

export interface Ack {
  envelope_id: string;
  /** The response payload, when the ack carried one (the SDK sends `{}` for none). */
  payload?: Json;
  /** Which connection it came on (1-based, `connections[n - 1]`). */
  connection: number;
  /** Milliseconds from sending the envelope to receiving its ack. */
  ms: number;
}

export interface SocketConnection {
  id: number;
  openedAt: number;
  closedAt?: number;
  /** Close code as the server saw it (1000: the app closed normally). */
  closeCode?: number;
  /** Set once the server asked this connection to go away; it gets no new envelopes. */
  disconnectReason?: DisconnectReason;
  socket: WebSocket;
}

export interface FakeSocketModeOptions {
  appToken?: string;
  pingIntervalMs?: number;
  /** How long a connection told to disconnect stays open if the app does not close it (Slack: about 10 s). */
  disconnectGraceMs?: number;
  /** How long `deliver` waits for an ack before failing. */
  ackTimeoutMs?: number;
}

export class FakeSocketMode {
  readonly connections: SocketConnection[] = [];
  readonly envelopes: Array<Envelope & { connection: number; sentAt: number }> = [];
  readonly acks: Ack[] = [];
  readonly violations: string[] = [];
  /** `apps.connections.open` answers, in order (`ok: false` ones included). */
  readonly opens: Json[] = [];
  /** Scopes of the app token; without `connections:write`, apps.connections.open answers `missing_scope`. */
  appTokenScopes = ['connections:write'];
  private readonly tickets = new Set<string>();
  private readonly pending = new Map<string, { resolve: (ack: Ack) => void; sentAt: number; acceptsPayload: boolean }>();
  private readonly appToken: string;
  private server?: Server;
  private wss?: WebSocketServer;
  private origin = '';

  constructor(
    private readonly slack: FakeSlack,
    private readonly options: FakeSocketModeOptions = {},
  ) {
    this.appToken = options.appToken ?? APP_TOKEN;
  }

  /** Listens on a random loopback port and makes the fake Web API answer `apps.connections.open`. */
  async start(): Promise<void> {
    const wss = new WebSocketServer({ noServer: true });
    const server = createServer((_req, res) => res.writeHead(426, { 'content-type': 'text/plain' }).end('upgrade required'));
    server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', this.origin);
      const ticket = url.searchParams.get('ticket') ?? '';
      // A ticket from apps.connections.open opens one connection; anything else is refused.
      if (url.pathname !== '/link/' || !this.tickets.delete(ticket)) {
        socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
    this.server = server;
    this.wss = wss;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.slack.serve('apps.connections.open', (_body, token) => {
      const answer = this.open(token);
      this.opens.push(answer);
      return answer;
    });
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.socket.terminate();
    this.wss?.close();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Connections that are open and not told to go away: where the next envelope would go. */
  get usable(): SocketConnection[] {
    return this.connections.filter((c) => c.closedAt === undefined && !c.disconnectReason);
  }

  /** A `/pipeline` invocation, as the slash command's JSON payload (test/helpers/slack-requests.ts). */
  command(payload: Json): Promise<Ack> {
    return this.deliver({ type: 'slash_commands', payload, accepts_response_payload: true });
  }

  /** An interaction (`block_actions`, `view_submission`, …); only a modal submission's ack may carry a response. */
  interactive(payload: Json): Promise<Ack> {
    return this.deliver({ type: 'interactive', payload, accepts_response_payload: payload.type === 'view_submission' });
  }

  /** An Events API `event_callback` body. */
  event(payload: Json): Promise<Ack> {
    return this.deliver({ type: 'events_api', payload, accepts_response_payload: false, retry_attempt: 0, retry_reason: '' });
  }

  /**
   * Sends an envelope on the newest usable connection and resolves with the app's ack. With no
   * usable connection it throws, as Slack fails the user's action (`dispatch_failed`).
   */
  deliver(envelope: Omit<Envelope, 'envelope_id'>): Promise<Ack> {
    const target = this.usable.at(-1);
    if (!target) return Promise.reject(new Error('no open Socket Mode connection to deliver to (Slack would answer dispatch_failed)'));
    const full: Envelope = { envelope_id: randomUUID(), ...envelope };
    const sentAt = performance.now();
    const acked = new Promise<Ack>((resolve, reject) => {
      // Slack gives up after 3 s; a loaded test machine gets longer before the test fails on it.
      const timer = setTimeout(() => reject(new Error(`no ack for ${full.type} envelope ${full.envelope_id}`)), this.options.ackTimeoutMs ?? 15_000);
      timer.unref();
      const done = (ack: Ack) => {
        clearTimeout(timer);
        resolve(ack);
      };
      this.pending.set(full.envelope_id, { resolve: done, sentAt, acceptsPayload: full.accepts_response_payload });
    });
    this.envelopes.push({ ...full, connection: target.id, sentAt });
    target.socket.send(JSON.stringify(full));
    return acked;
  }

  /** Tells the newest usable connection to reconnect, as Slack does before recycling a server. */
  requestReconnect(reason: DisconnectReason): SocketConnection {
    const target = this.usable.at(-1);
    if (!target) throw new Error('no open Socket Mode connection to disconnect');
    target.disconnectReason = reason;
    target.socket.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: `applink-fake-${target.id}` } }));
    const grace = setTimeout(() => target.socket.terminate(), this.options.disconnectGraceMs ?? 10_000);
    grace.unref();
    target.socket.once('close', () => clearTimeout(grace));
    return target;
  }

  private open(token: string): Json {
    if (!token.startsWith('xapp-')) return { ok: false, error: 'not_allowed_token_type' };
    if (token !== this.appToken) return { ok: false, error: 'invalid_auth' };
    if (!this.appTokenScopes.includes('connections:write')) return { ok: false, error: 'missing_scope', needed: 'connections:write', provided: this.appTokenScopes.join(',') };
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return { ok: true, url: `${this.origin.replace(/^http/, 'ws')}/link/?ticket=${ticket}&app_id=${APP_ID}` };
  }

  private accept(socket: WebSocket): void {
    const connection: SocketConnection = { id: this.connections.length + 1, openedAt: Date.now(), socket };
    this.connections.push(connection);
    const ping = setInterval(() => socket.ping(), this.options.pingIntervalMs ?? 10_000);
    ping.unref();
    socket.on('close', (code) => {
      clearInterval(ping);
      connection.closedAt = Date.now();
      connection.closeCode = code;
    });
    socket.on('message', (data, isBinary) => this.receive(connection, data, isBinary));
    const numConnections = this.connections.filter((c) => c.closedAt === undefined).length;
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: numConnections,
        debug_info: { host: `applink-fake-${connection.id}`, build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: APP_ID },
      }),
    );
  }

  private receive(connection: SocketConnection, data: RawData, isBinary: boolean): void {
    let message: { envelope_id?: unknown; payload?: unknown };
    try {
      if (isBinary) throw new Error('binary frame');
      message = JSON.parse(String(data)) as typeof message;
    } catch {
      this.violations.push(`connection ${connection.id}: a frame that is not JSON text`);
      return;
    }
    const id = typeof message.envelope_id === 'string' ? message.envelope_id : '';
    const waiting = this.pending.get(id);
    if (!waiting) {
      const known = this.envelopes.some((e) => e.envelope_id === id);
      this.violations.push(`connection ${connection.id}: ${known ? 'a second ack' : 'an ack for an unknown envelope'} (${id || 'no envelope_id'})`);
      return;
    }
    this.pending.delete(id);
    const payload = message.payload;
    if (payload !== undefined && (typeof payload !== 'object' || payload === null || Array.isArray(payload))) {
      this.violations.push(`connection ${connection.id}: ack ${id} has a payload that is not an object`);
    }
    const response = payload && typeof payload === 'object' && Object.keys(payload).length > 0 ? (payload as Json) : undefined;
    // Slack drops a response payload on envelopes that do not accept one: the person would see nothing.
    if (response && !waiting.acceptsPayload) this.violations.push(`connection ${connection.id}: ack ${id} carries a response its envelope does not accept`);
    const ack: Ack = { envelope_id: id, payload: response, connection: connection.id, ms: performance.now() - waiting.sentAt };
    this.acks.push(ack);
    waiting.resolve(ack);
  }
}
