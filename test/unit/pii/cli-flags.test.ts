import { describe, expect, it } from 'vitest';
import { parseDiffArgs } from '../../../src/cli/diff-command.ts';
import { parseDqArgs } from '../../../src/cli/dq-command.ts';
import { main } from '../../../src/cli/main.ts';

const base = ['--legacy', 'l', '--target', 't', '--key', 'id'];

describe('PII flags of the CLI', () => {
  it('cutover diff: --pii list, --pii-mode (default mask) and --show-pii', () => {
    expect(parseDiffArgs(base)).toMatchObject({ pii: { columns: [], mode: 'mask', show: false } });
    expect(parseDiffArgs([...base, '--pii', ' email, name ,', '--pii-mode', 'hash', '--show-pii'])).toMatchObject({
      pii: { columns: ['email', 'name'], mode: 'hash', show: true },
    });
    expect(() => parseDiffArgs([...base, '--pii-mode', 'plain'])).toThrow('--pii-mode must be mask or hash, not "plain" (raw values: --show-pii)');
  });

  it('cutover dq: --show-pii', () => {
    expect(parseDqArgs(['--catalog', 'c', '--pipeline', 'p'])).toMatchObject({ showPii: false });
    expect(parseDqArgs(['--catalog', 'c', '--pipeline', 'p', '--show-pii'])).toMatchObject({ showPii: true });
  });

  it('names the flags in the usage texts', async () => {
    let out = '';
    const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (out += s) } };
    expect(await main(['--help'], io)).toBe(0);
    expect(await main(['diff', '--help'], io)).toBe(0);
    expect(await main(['dq', '--help'], io)).toBe(0);
    expect(out).toContain('[--pii col,…] [--pii-mode mask|hash] [--show-pii]');
    expect(out).toMatch(/usage: cutover dq .*\[--show-pii\]/);
    expect(out).toContain('CUTOVER_PII_KEY');
  });
});
