import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPTIONS as diffOptions } from '../../../src/cli/diff-command.ts';
import { OPTIONS as doctorOptions } from '../../../src/cli/doctor-command.ts';
import { OPTIONS as dqOptions } from '../../../src/cli/dq-command.ts';
import { commands } from '../../../src/cli/main.ts';
import { OPTIONS as reportOptions } from '../../../src/cli/report-command.ts';
import { OPTIONS as validateOptions } from '../../../src/cli/validate-command.ts';

const readme = readFileSync('README.md', 'utf8');

/** The text of one `## ` section. */
const section = (text: string, title: string) => {
  const start = text.indexOf(`\n## ${title}\n`);
  expect(start, `section "${title}"`).toBeGreaterThan(-1);
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end === -1 ? undefined : end);
};

/** The flags each `cutover` command parses. */
const CLI_OPTIONS: Record<string, Record<string, unknown>> = { validate: validateOptions, diff: diffOptions, dq: dqOptions, doctor: doctorOptions, report: reportOptions };

/** What the README says about one `cutover` command: from its `npx cutover <name>` to the next command's ('' if none). */
const commandText = (text: string, name: string) => {
  const start = text.search(new RegExp(`\`npx cutover\\s+${name}\\b`));
  if (start === -1) return '';
  const next = text.slice(start + 1).search(/`npx cutover\s+[a-z]/);
  return text.slice(start, next === -1 ? undefined : start + 1 + next);
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

  it('lists every flag of every cutover command in its CLI section (item 9)', () => {
    // A new command needs its flags here, and in the README.
    expect(Object.keys(CLI_OPTIONS).sort()).toEqual(Object.keys(commands).sort());
    const cli = section(readme, 'The two commands');
    const missing = Object.entries(CLI_OPTIONS).flatMap(([name, options]) => {
      const text = commandText(cli, name);
      if (!text) return [`cutover ${name} (no \`npx cutover ${name}\`)`];
      return Object.keys(options)
        .filter((flag) => flag !== 'help' && !new RegExp(`--${flag}(?![\\w-])`).test(text))
        .map((flag) => `cutover ${name} --${flag}`);
    });
    expect(missing).toEqual([]);
  });

  it.each(['README.md', 'docs/catalog.md', 'docs/deploy.md', 'docs/architecture.md'])('%s has no relative link to a missing file', (file) => {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/.test(t));
    const missing = targets.filter((t) => !existsSync(join(dirname(file), t)));
    expect(missing).toEqual([]);
  });
});
