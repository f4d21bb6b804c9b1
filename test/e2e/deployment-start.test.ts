import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REDIS_URL, uniquePrefix } from '../helpers/redis.ts';

const exec = promisify(execFile);

/**
 * `npm start` as the image runs it, without a Slack token: it must say so and exit non-zero,
 * never start the playground (bound to 127.0.0.1, which `docker run -p` cannot reach, so the
 * container would look healthy and answer nothing).
 */
async function startWithout(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-deploy-'));
  const catalog = join(dir, 'pipelines.yaml');
  writeFileSync(catalog, 'pipelines:\n  p:\n    channel: C0PIPELINES\n    target: { engine: databricks, jobId: 1 }\n');
  try {
    const { stdout, stderr } = await exec(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: process.cwd(),
      // The playground would start (and keep running) with this env minus the deployment marker.
      env: { PATH: process.env.PATH ?? '', HOME: dir, REDIS_URL, CUTOVER_REDIS_PREFIX: uniquePrefix('deploy'), PIPELINES_FILE: catalog, PORT: '0', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string; killed?: boolean };
    if (e.killed) throw new Error(`the app kept running instead of exiting:\n${e.stdout}\n${e.stderr}`, { cause: err });
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('issue 15: a deployment without a Slack token exits instead of starting the playground', () => {
  it.each([
    [{ NODE_ENV: 'production' }, 'NODE_ENV=production'],
    [{ CUTOVER_ROLE: 'all' }, 'CUTOVER_ROLE=all'],
    [{ CUTOVER_ROLE: 'worker', SLACK_BOT_TOKEN: '' }, 'CUTOVER_ROLE=worker'],
  ])('with %o it names SLACK_BOT_TOKEN and exits 1', async (env, marker) => {
    const r = await startWithout(env);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `cutover: cannot start: environment is invalid:\n  - SLACK_BOT_TOKEN: not set, and ${marker} says this is a deployment, so the local playground is not started: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode); see docs/deploy.md\n`,
    );
    expect(r.stdout).not.toMatch(/playground/i);
  });

  it("with docker-compose.yml's environment and nothing set in the shell, as the image runs it, it names SLACK_BOT_TOKEN and exits 1", async () => {
    const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as { services: { cutover: { environment: Record<string, string> } } };
    // What `docker compose up` passes when neither the shell nor .env sets anything: each ${NAME:-default} at its default.
    const env = Object.fromEntries(Object.entries(compose.services.cutover.environment).map(([name, value]) => [name, String(value).replace(/\$\{\w+:-([^}]*)\}/g, '$1')]));
    // The test's own Redis, catalog and port instead of the compose network's.
    for (const name of ['REDIS_URL', 'PIPELINES_FILE', 'PORT']) delete env[name];
    const nodeEnv = /^ENV NODE_ENV=(\S+)$/m.exec(readFileSync('Dockerfile', 'utf8'))?.[1];
    expect(nodeEnv).toBe('production');
    const r = await startWithout({ ...env, NODE_ENV: nodeEnv! });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SLACK_BOT_TOKEN: not set, and NODE_ENV=production says this is a deployment, so the local playground is not started');
    expect(r.stdout).not.toMatch(/playground/i);
  });
});
