import { parseArgs } from 'node:util';
import { loadCatalog } from '../config/load-catalog.ts';
import { ConfigError } from '../errors.ts';
import type { CliIo } from './types.ts';

/** Every flag `cutover validate` takes (the README's CLI section is tested to list each one). */
export const OPTIONS = { catalog: { type: 'string', default: 'pipelines.yaml' } } as const;

/** `cutover validate [--catalog pipelines.yaml]`: 0 when valid; every problem listed and 2 otherwise. */
export async function runValidateCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true });
  const file = values.catalog;
  try {
    const catalog = loadCatalog(file);
    const pipelines = Object.values(catalog.pipelines);
    const outputs = pipelines.reduce((n, p) => n + p.outputs.length, 0);
    io.stdout.write(`${file}: valid (${pipelines.length} pipelines, ${outputs} outputs)\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) io.stdout.write(`${file}: ${problem}\n`);
    io.stderr.write(`cutover validate: ${file} is invalid (${err.problems.length} problem${err.problems.length === 1 ? '' : 's'})\n`);
    return 2;
  }
}
