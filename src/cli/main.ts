/**
 * The `cutover` command line (DESIGN.md "Command line"). Exit codes: 0 clean / passing,
 * 1 differences or failed checks, 2 usage or runtime error with a one-line reason on stderr.
 */
import { asCodedError, ConfigError, UsageError } from '../errors.ts';
import { runDiffCommand } from './diff-command.ts';
import { runDoctorCommand } from './doctor-command.ts';
import { runDqCommand } from './dq-command.ts';
import type { CliCommand, CliIo } from './types.ts';
import { runValidateCommand } from './validate-command.ts';
import { runReportCommand } from './report-command.ts';

export type { CliIo, CliCommand } from './types.ts';

/**
 * One entry per subcommand. `dq` (issue 4) plugs in here: `dq: runDqCommand` from
 * `./dq-command.ts`, a `CliCommand` returning 0 when every check passes and 1 otherwise.
 */
export const commands: Record<string, CliCommand> = {
  validate: runValidateCommand,
  diff: runDiffCommand,
  dq: runDqCommand,
  doctor: runDoctorCommand,
  report: runReportCommand,
};

const USAGE = `usage: cutover <command> [options]

commands:
  validate [--catalog pipelines.yaml]          check the catalog, list every bad field
  diff --legacy <source> --target <source> --key col[,col…]   source: path, s3://…, uc:c.s.t
       [--format F] [--legacy-format F] [--target-format F]   F: parquet, csv, delta, unload
       [--csv-header] [--csv-delimiter C] [--csv-null S]       for csv and unload sides
       [--legacy-version N|latest] [--target-version N|latest] Delta versions
       [--ignore col,…] [--abs-tol X] [--rel-tol X]
       [--timestamps s|ms|us] [--pii col,…] [--pii-mode mask|hash] [--show-pii] [--json]
  dq   --catalog <file> --pipeline <name> [--period YYYY-MM] [--param k=v]… [--show-pii] [--json]
  doctor --catalog <file> [--json]             every engine, bucket, topic, warehouse and channel
                                               the catalog uses is configured and reachable
  report --catalog <file> --pipeline <name> [--out report.html]
       the go-live report (HTML) from the bot's Redis (REDIS_URL, CUTOVER_REDIS_PREFIX)

PII: sample values of PII columns (diff: --pii; dq: the catalog's pii lists) are shown as •••
(mask) or as a 12-hex-char HMAC keyed by CUTOVER_PII_KEY (hash: equal values, equal hashes).
NULL stays NULL and counts are exact. --show-pii prints raw values.

exit codes: 0 clean/passing, 1 differences/failed checks, 2 usage or runtime error
`;

export async function main(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const full: CliIo = { stdout: io.stdout ?? process.stdout, stderr: io.stderr ?? process.stderr, env: io.env, s3: io.s3 };
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    (name === undefined ? full.stderr : full.stdout).write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (!command) {
    full.stderr.write(`cutover: unknown command "${name}" (expected ${Object.keys(commands).join(', ')}; see cutover --help)\n`);
    return 2;
  }
  try {
    return await command(rest, full);
  } catch (err) {
    if (err instanceof ConfigError) {
      full.stderr.write(describeConfigError(name, err));
      return 2;
    }
    full.stderr.write(`cutover ${name}: ${oneLine(describe(err))}\n`);
    return 2;
  }
}

/**
 * A bad catalog or environment, as `cutover validate` prints it: one problem per line, each
 * prefixed with the file (or "environment"), then one closing line with the count.
 */
export function describeConfigError(command: string, err: ConfigError): string {
  const count = `${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}`;
  return `${err.problems.map((p) => `${err.source}: ${p}\n`).join('')}cutover ${command}: ${err.source} is invalid (${count})\n`;
}

function describe(err: unknown): string {
  // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes: those are usage errors too.
  if (err instanceof UsageError || (err as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS')) return (err as Error).message;
  return asCodedError(err).message;
}

function oneLine(text: string): string {
  return text.trim().split('\n').map((l) => l.trim()).filter(Boolean).join('; ');
}
