import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const readme = readFileSync('README.md', 'utf8');

/** The text of one `## ` section. */
const section = (text: string, title: string) => {
  const start = text.indexOf(`\n## ${title}\n`);
  expect(start, `section "${title}"`).toBeGreaterThan(-1);
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end === -1 ? undefined : end);
};

describe('issue 15: the README and the docs it links', () => {
  it('gets a new user from clone to playground on its first screen', () => {
    const firstScreen = readme.split('\n').slice(0, 30).join('\n');
    const commands = /```sh\n([\s\S]*?)```/.exec(firstScreen)?.[1] ?? '';
    expect(commands).toMatch(/^git clone .+ && cd cutover$/m);
    expect(commands).toMatch(/^npm ci$/m);
    expect(commands).toMatch(/^npm start\b.*http:\/\/localhost:3000\//m);
    // What it needs before those commands work.
    expect(firstScreen).toMatch(/Node 22 or newer/);
    expect(firstScreen).toMatch(/redis-server/);
  });

  it('links the catalog reference, the deployment guide and cutover doctor from its production section', () => {
    const production = section(readme, 'Production deployment');
    expect(production).toContain('](docs/deploy.md)');
    expect(production).toContain('](docs/catalog.md)');
    expect(production).toMatch(/`cutover doctor --catalog pipelines\.yaml`/);
  });

  it.each(['README.md', 'docs/catalog.md', 'docs/deploy.md', 'docs/architecture.md'])('%s has no relative link to a missing file', (file) => {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/.test(t));
    const missing = targets.filter((t) => !existsSync(join(dirname(file), t)));
    expect(missing).toEqual([]);
  });
});
