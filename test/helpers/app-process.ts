import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REDIS_URL } from './redis.ts';

export const SIGNING_SECRET = 'test-signing-secret-0123456789';
export const BOT_TOKEN = 'xoxb-test-bot-token';

export interface AppProcess {
  url: string;
  port: number;
  proc: ChildProcess;
  /** Every log line the process printed (pino JSON, parsed when possible). */
  logs: Array<Record<string, unknown>>;
  /** Stops it with SIGTERM (graceful) and waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: no cleanup at all, like a crashed pod. */
  kill(): Promise<void>;
}

export interface StartAppOptions {
  catalogYaml: string;
  prefix: string;
  env?: Record<string, string>;
  role?: 'all' | 'web' | 'worker';
  /** A command to run node under, e.g. `['taskset', '-c', '1']` (the benchmark pins CPUs). */
  wrapper?: string[];
}

/**
 * How long an app may take to log `cutover started`: about 3 s on a quiet machine (mostly
 * loading TypeScript through tsx), far more when the two cores are shared with other test
 * runs. A slow start is not what any test asserts, so the bound is generous.
 */
const START_TIMEOUT_MS = 60_000;

/**
 * Starts the real app exactly as `npm start` does (src/main.ts through tsx) in a child
 * process, and resolves once it logs `cutover started` with its port.
 */
export async function startAppProcess(opts: StartAppOptions): Promise<AppProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-e2e-'));
  const catalogFile = join(dir, 'pipelines.yaml');
  writeFileSync(catalogFile, opts.catalogYaml);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    REDIS_URL,
    CUTOVER_REDIS_PREFIX: opts.prefix,
    PIPELINES_FILE: catalogFile,
    PORT: '0',
    CUTOVER_ROLE: opts.role ?? 'all',
    CUTOVER_POLL_INTERVAL_MS: '150',
    LOG_LEVEL: 'info',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDFAKE',
    AWS_SECRET_ACCESS_KEY: 'fake-secret',
    // The preflight reaches every fake at start-up; tests that count calls at a fake must not see
    // those. The preflight's own tests turn it on.
    CUTOVER_PREFLIGHT_INTERVAL_MS: '0',
    ...opts.env,
  };
  const [command, ...args] = [...(opts.wrapper ?? []), process.execPath, '--import', 'tsx', 'src/main.ts'];
  const proc = spawn(command!, args, { cwd: process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: AppProcess['logs'] = [];
  // Never leave an app behind if the test (or bench) process dies first.
  const reap = () => proc.kill('SIGKILL');
  process.once('exit', reap);
  proc.once('exit', () => process.off('exit', reap));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Never leave a half-started app running behind a failed test.
      proc.kill('SIGKILL');
      reject(new Error(`app did not start in ${START_TIMEOUT_MS / 1000} s:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`));
    }, START_TIMEOUT_MS);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`app exited with ${code} before starting:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`));
    });
    for (const stream of [proc.stdout!, proc.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          entry = { raw: line };
        }
        logs.push(entry);
        if (entry.msg === 'cutover started') {
          clearTimeout(timer);
          resolve(Number(entry.port));
        }
      });
    }
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    proc,
    logs,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** Polls `check` until it returns a truthy value. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 15_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
