import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { REDIS_URL, uniquePrefix } from '../helpers/redis.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

export interface PlaygroundProcess {
  url: string;
  /** Where the sandbox wrote its Parquet files (the process's working folder). */
  dir: string;
  proc: ChildProcess;
  output: string[];
  stop(): Promise<void>;
  /**
   * Ctrl-C as a terminal sends it: SIGINT to the whole process group (the playground and any
   * redis-server it started). Needs `{ ownGroup: true }`. Resolves with the exit code.
   */
  interrupt(): Promise<number | null>;
}

export interface PlaygroundProcessOptions {
  env?: Record<string, string>;
  /** Start it as the leader of its own process group, like a command typed at a terminal. */
  ownGroup?: boolean;
}

/**
 * Starts the playground exactly as `npm start` does without SLACK_BOT_TOKEN (src/main.ts
 * through tsx), in a temporary working folder so its `.playground/` data is its own, and
 * resolves once it logs `playground started` with its URL.
 */
export async function startPlaygroundProcess({ env = {}, ownGroup = false }: PlaygroundProcessOptions = {}): Promise<PlaygroundProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-playground-'));
  const proc = spawn(process.execPath, ['--import', TSX, MAIN], {
    cwd: dir,
    detached: ownGroup,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dir,
      REDIS_URL,
      CUTOVER_REDIS_PREFIX: uniquePrefix('playground'),
      PORT: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const reap = () => proc.kill('SIGKILL');
  process.once('exit', reap);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`playground did not start in 30 s:\n${output.join('\n')}`)), 30_000);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`playground exited with ${code} before starting:\n${output.join('\n')}`));
    });
    for (const stream of [proc.stdout!, proc.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        output.push(line);
        if (!line.includes('"playground started"')) return;
        clearTimeout(timer);
        resolve(String((JSON.parse(line) as { url: string }).url));
      });
    }
  });
  return {
    url,
    dir,
    proc,
    output,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
      process.off('exit', reap);
      rmSync(dir, { recursive: true, force: true });
    },
    async interrupt() {
      process.kill(-proc.pid!, 'SIGINT');
      return exited;
    },
  };
}
