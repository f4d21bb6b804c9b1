import { readFile } from 'node:fs/promises';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Interactions } from './interactions.ts';
import { fail, parseBody, readBody, send, type Json } from './slack-api/wire.ts';
import type { PlaygroundEvent, SlackEmulator } from './slack-emulator.ts';

export interface PlaygroundServerOptions {
  emulator: SlackEmulator;
  /** Set once the app is up (it needs the emulator's URL first). */
  interactions: () => Interactions | undefined;
  /** The app's own server, for the routes passed through (`/slack/events`, `/healthz`, …). */
  appPort: () => number | undefined;
  /** Users, channels and pipelines the page offers. */
  info: () => Json;
}

const PUBLIC = new URL('./public/', import.meta.url);
const ASSETS: Record<string, string> = {
  '/': 'index.html',
  '/assets/block-kit.js': 'block-kit.js',
  '/assets/playground.js': 'playground.js',
};
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8' };
/** Nothing the page shows may run script from elsewhere, whatever a message contains. */
const CSP = "default-src 'self'; img-src 'self' https: data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'";
const PASS_THROUGH = new Set(['/slack/events', '/sns', '/healthz', '/readyz', '/metrics']);

/**
 * One HTTP server for the playground: the page and its event stream, the page's actions,
 * the Slack Web API emulator the app calls (`/api/<method>`, uploads, response_urls, file
 * downloads), and the app's own routes passed through, so everything is on `PORT`.
 */
export function createPlaygroundServer(opts: PlaygroundServerOptions): Server {
  const streams = new Set<ServerResponse>();
  opts.emulator.on('change', (event: PlaygroundEvent) => {
    for (const res of streams) res.write(`data: ${JSON.stringify(event)}\n\n`);
  });
  const keepAlive = setInterval(() => streams.forEach((res) => res.write(': keep-alive\n\n')), 15_000);
  keepAlive.unref();

  const server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, fail('internal_error', { detail: String(err) }));
      else res.end();
    });
  });
  server.on('close', () => clearInterval(keepAlive));

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://playground');
    const path = url.pathname;
    if (PASS_THROUGH.has(path)) return passThrough(req, res, opts.appPort());
    if (req.method === 'GET' && ASSETS[path]) return serveAsset(res, ASSETS[path]);
    // A permalink opened in a new tab or reloaded: the page reads the path and shows that message.
    if (req.method === 'GET' && path.startsWith('/archives/')) return serveAsset(res, 'index.html');
    if (req.method === 'GET' && path === '/playground/events') return openStream(res);
    if (req.method === 'GET' && path.startsWith('/files/')) return download(res, path.split('/')[2] ?? '');
    if (req.method !== 'POST') return send(res, 404, fail('not_found'));
    const raw = await readBody(req);
    const [, kind = '', id = ''] = path.split('/');
    if (kind === 'api') return send(res, 200, opts.emulator.call(id, await parseBody(raw, req.headers['content-type']), req.headers.authorization));
    if (kind === 'upload') return upload(res, id, raw, req.headers['content-type']);
    if (kind === 'response') {
      const known = opts.interactions()?.respond(id, raw.length > 0 ? (JSON.parse(raw.toString()) as Json) : {});
      return send(res, known ? 200 : 404, known ? { ok: true } : fail('expired_url'));
    }
    if (kind === 'playground') return pageAction(req, res, id, raw);
    send(res, 404, fail('not_found'));
  }

  function openStream(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`event: snapshot\ndata: ${JSON.stringify({ ...opts.info(), ...opts.emulator.snapshot() })}\n\n`);
    streams.add(res);
    res.on('close', () => streams.delete(res));
  }

  /** The page's own requests: JSON only, so another site cannot post them from a form. */
  async function pageAction(req: IncomingMessage, res: ServerResponse, action: string, raw: Buffer): Promise<void> {
    if (!req.headers['content-type']?.startsWith('application/json')) return send(res, 415, fail('expected_json'));
    const interactions = opts.interactions();
    if (!interactions) return send(res, 503, fail('starting'));
    const b = JSON.parse(raw.toString() || '{}') as Json;
    const user = String(b.user ?? '');
    if (!opts.emulator.users[user]) return send(res, 400, fail('user_not_found'));
    const text = String(b.text ?? '');
    switch (action) {
      case 'command':
        await interactions.command(user, String(b.channel), text);
        return send(res, 200, { ok: true });
      case 'message':
        opts.emulator.postAsUser(user, String(b.channel), text, typeof b.thread_ts === 'string' ? b.thread_ts : undefined);
        return send(res, 200, { ok: true });
      case 'click':
        await interactions.click({ ...(b as object), user } as Parameters<Interactions['click']>[0]);
        return send(res, 200, { ok: true });
      case 'submit':
        return send(res, 200, { ok: true, ...(await interactions.submit(user, String(b.viewId), (b.values ?? {}) as Record<string, Record<string, Json>>)) });
      case 'close':
        await interactions.close(user, String(b.viewId));
        return send(res, 200, { ok: true });
      case 'home':
        await interactions.openHome(user);
        return send(res, 200, { ok: true });
      default:
        return send(res, 404, fail('not_found'));
    }
  }

  async function upload(res: ServerResponse, id: string, raw: Buffer, contentType: string | undefined): Promise<void> {
    const file = opts.emulator.files.find((f) => f.id === id);
    if (!file) return send(res, 404, fail('file_not_found'));
    // WebClient posts the bytes as a multipart field named `body`; raw bodies work too.
    const form = await parseBody(raw, contentType, true);
    const part = form.body ?? form.file;
    file.bytes = Buffer.isBuffer(part) ? part : typeof part === 'string' ? Buffer.from(part) : raw;
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${file.bytes.length}`);
  }

  function download(res: ServerResponse, id: string): void {
    const file = opts.emulator.files.find((f) => f.id === id && f.bytes);
    if (!file?.bytes) return send(res, 404, fail('file_not_found'));
    const name = file.filename.replace(/[^\w.-]/g, '_');
    // Always a download, never rendered: a report file is data, not a page.
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename="${name}"`, 'x-content-type-options': 'nosniff' }).end(file.bytes);
  }

  async function serveAsset(res: ServerResponse, name: string): Promise<void> {
    const body = await readFile(new URL(name, PUBLIC));
    const type = TYPES[name.split('.').pop() ?? ''] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store', 'content-security-policy': CSP, 'x-content-type-options': 'nosniff' }).end(body);
  }

  return server;
}

function passThrough(req: IncomingMessage, res: ServerResponse, port: number | undefined): void {
  if (!port) return send(res, 503, fail('starting'));
  const upstream = request({ host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => send(res, 502, fail('app_unreachable')));
  req.pipe(upstream);
}
