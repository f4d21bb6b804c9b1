import { parseArgs } from 'node:util';
import { loadCatalog } from '../config/load-catalog.ts';
import { loadConfig } from '../config/load-config.ts';
import { createPreflightClients, findingLine, runPreflight } from '../doctor/index.ts';
import { createLogger } from '../logger.ts';
import type { CliIo } from './types.ts';

/** Every flag `cutover doctor` takes (the README's CLI section is tested to list each one). */
export const OPTIONS = { catalog: { type: 'string', default: 'pipelines.yaml' }, json: { type: 'boolean', default: false } } as const;

/**
 * `cutover doctor --catalog <file> [--json]`: every engine, bucket, topic, warehouse and
 * channel the catalog uses is configured (from the environment, as `npm start` reads it) and
 * reachable with those credentials. 0 when nothing is wrong, 1 with one line per problem.
 */
export async function runDoctorCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({ args, options: OPTIONS, strict: true });
  const config = loadConfig({ env: io.env });
  const catalog = loadCatalog(values.catalog);
  const report = await runPreflight(catalog, config, { clients: createPreflightClients(config, createLogger({ level: 'silent' })) });
  if (values.json) io.stdout.write(`${JSON.stringify(report)}\n`);
  else {
    for (const f of report.findings) io.stdout.write(`${findingLine(f)}\n`);
    io.stdout.write(`${values.catalog}: ${report.ok ? 'ready' : `${report.findings.length} problem${report.findings.length === 1 ? '' : 's'}`} (${report.checked} targets reached)\n`);
  }
  return report.ok ? 0 : 1;
}
