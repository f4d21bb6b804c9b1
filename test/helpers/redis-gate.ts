import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { REDIS_URL } from './redis.ts';

/** Commands that run a Lua script (every write of the stores is one). */
const SCRIPT_COMMANDS = new Set(['EVAL', 'EVALSHA', 'EVAL_RO', 'EVALSHA_RO']);

export interface ScriptStop {
  /** Resolves when the client sent the script call the stop waits for (it has not reached Redis). */
  reached: Promise<void>;
  /** Lets it (and everything after it) through. */
  release(): void;
  /** The process died: it and everything after never reach Redis, and the connection is cut. */
  drop(): void;
}

export interface RedisGate {
  url: string;
  /** Holds the `n`-th script call (1-based, counted from now) of the clients connected through the gate. */
  stopAtScript(n: number): ScriptStop;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of the test Redis that understands just enough RESP to count the
 * commands clients send, so a test can stop a process between two of its writes exactly:
 * let it through later (a race lost on purpose), or never (the process was killed there).
 * Only what clients send is inspected; replies pass through untouched.
 */
export async function startRedisGate(): Promise<RedisGate> {
  const target = new URL(REDIS_URL);
  const sockets = new Set<Socket>();
  let scripts = 0;
  let stop: { at: number; held: Buffer[]; client?: Socket; upstream?: Socket; reached: () => void; dropped: boolean } | undefined;

  const server: Server = createServer((client) => {
    if (stop?.dropped) return void client.destroy();
    const upstream = connect(Number(target.port || 6379), target.hostname);
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    const forward = (bytes: Buffer) => {
      if (stop && stop.client === client) stop.held.push(bytes);
      else upstream.write(bytes);
    };
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const parsed = nextCommand(pending);
        if (!parsed) break;
        const bytes = pending.subarray(0, parsed.length);
        pending = pending.subarray(parsed.length);
        if (SCRIPT_COMMANDS.has(parsed.name) && !(stop && stop.client === client)) {
          scripts++;
          if (stop && !stop.client && scripts >= stop.at) {
            Object.assign(stop, { client, upstream });
            stop.reached();
          }
        }
        forward(Buffer.from(bytes));
      }
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `redis://127.0.0.1:${port}`,
    stopAtScript(n) {
      let reached!: () => void;
      const promise = new Promise<void>((resolve) => (reached = resolve));
      const s = { at: scripts + n, held: [] as Buffer[], reached, dropped: false } as NonNullable<typeof stop>;
      stop = s;
      return {
        reached: promise,
        release() {
          if (stop !== s) return;
          stop = undefined;
          for (const bytes of s.held) s.upstream?.write(bytes);
        },
        drop() {
          s.dropped = true;
          s.held.length = 0;
          for (const socket of sockets) socket.destroy();
        },
      };
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The first complete RESP command in `buf` (an array of bulk strings): its name and byte length. */
function nextCommand(buf: Buffer): { name: string; length: number } | undefined {
  const line = (from: number) => {
    const end = buf.indexOf('\r\n', from);
    return end < 0 ? undefined : { text: buf.toString('latin1', from, end), next: end + 2 };
  };
  const head = line(0);
  if (!head) return undefined;
  if (!head.text.startsWith('*')) return { name: head.text.split(' ')[0]!.toUpperCase(), length: head.next }; // inline command
  let at = head.next;
  let name = '';
  for (let i = 0; i < Number(head.text.slice(1)); i++) {
    const size = line(at);
    if (!size) return undefined;
    const len = Number(size.text.slice(1));
    if (buf.length < size.next + len + 2) return undefined;
    if (i === 0) name = buf.toString('latin1', size.next, size.next + len).toUpperCase();
    at = size.next + len + 2;
  }
  return { name, length: at };
}
