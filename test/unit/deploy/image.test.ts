import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES } from '../../../src/config/load-config.ts';

/**
 * The image and docker-compose.yml as docs/deploy.md describes them. No Docker daemon runs in
 * the tests, so this checks what the build relies on: the files it copies, that `npm ci
 * --omit=dev` installs every package the runtime imports, and that compose passes settings
 * Cutover (or the AWS SDK) actually reads.
 */
const dockerfile = readFileSync('Dockerfile', 'utf8');
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string }; dependencies: Record<string, string> };
const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as {
  services: { cutover: { environment: Record<string, string>; volumes: string[] }; redis: { command: string[] } };
};

function* filesUnder(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else if (/\.(ts|js|mjs)$/.test(entry.name)) yield path;
  }
}

/** Bare package names a file loads at run time (type-only imports are erased, so they need nothing). */
function runtimePackages(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)|^\s*import\s+'([^']+)'/gm)].map((m) => m[1] ?? m[2] ?? m[3]!);
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

describe('issue 15: the image and docker-compose.yml', () => {
  it('runs on Node 24 LTS and declares Node 22 as the oldest supported', () => {
    expect(dockerfile).toMatch(/^FROM node:24-bookworm-slim$/m);
    expect(pkg.engines.node).toBe('>=22');
  });

  it('copies every file its command needs, and sets NODE_ENV=production so a missing Slack token stops it', () => {
    for (const [, source] of dockerfile.matchAll(/^COPY (\S+)/gm)) expect(existsSync(source!), source).toBe(true);
    expect(dockerfile).toMatch(/^ENV NODE_ENV=production$/m);
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev /m);
    const cmd = JSON.parse(/^CMD (.+)$/m.exec(dockerfile)![1]!) as string[];
    expect(cmd).toEqual(['node', '--import', 'tsx', 'src/main.ts']);
    expect(Object.keys(pkg.dependencies)).toContain('tsx');
  });

  it('installs every package the app and the cutover bin import (npm ci --omit=dev leaves devDependencies out)', () => {
    const files = [...filesUnder('src'), ...filesUnder('bin')].filter((f) => !f.includes(join('playground', 'public')));
    const missing = files.flatMap((f) => runtimePackages(f).filter((p) => !(p in pkg.dependencies)).map((p) => `${f}: ${p}`));
    expect(missing).toEqual([]);
    // The scan finds real imports, so an empty list means something.
    expect(runtimePackages('src/main.ts').length + runtimePackages('src/app.ts').length).toBeGreaterThan(0);
  });

  it('passes AWS credentials the SDK way: keys, a profile with ~/.aws mounted, or else the role', () => {
    const env = compose.services.cutover.environment;
    for (const name of ['AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) expect(env[name], name).toMatch(new RegExp(`^\\$\\{${name}:-`));
    // The image runs as `node`, whose home is /home/node: the SDK looks for ~/.aws there.
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(compose.services.cutover.volumes).toContain('${HOME}/.aws:/home/node/.aws:ro');
  });

  it('sets only variables Cutover or the AWS SDK reads, and Redis with AOF and noeviction', () => {
    const sdk = ['AWS_ACCESS_KEY_ID', 'AWS_PROFILE'];
    const unknown = Object.keys(compose.services.cutover.environment).filter((k) => !ENV_VARIABLES.includes(k) && !sdk.includes(k));
    expect(unknown).toEqual([]);
    expect(compose.services.redis.command.join(' ')).toMatch(/--appendonly yes .*--maxmemory-policy noeviction/);
  });
});
