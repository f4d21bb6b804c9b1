import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load-config.ts';
import { createS3Access, isS3Path, type CsvOptions, type DatasetSource, type DeltaVersion, type FileFormat, type S3Access, type UnityCatalogAccess } from '../datasets/index.ts';
import { unityCatalogOf } from './databricks-access.ts';
import { diffDatasets, type CompareOptions, type TimestampPrecision } from '../diff/index.ts';
import { UsageError } from '../errors.ts';
import { piiPolicy, protectDiffReport, protectErrorText, type PiiPolicy } from '../pii/index.ts';
import { formatDiffText } from './format-diff-text.ts';
import { piiPolicyOrUsageError } from './pii-options.ts';
import type { CliIo } from './types.ts';

const USAGE =
  'cutover diff --legacy <path|s3://…|uc:catalog.schema.table> --target <…> --key col[,col…] [--format F] [--legacy-format F] [--target-format F] ' +
  '[--csv-header] [--csv-delimiter C] [--csv-null S] ' +
  '[--legacy-version N|latest] [--target-version N|latest] [--ignore col,…] [--abs-tol X] [--rel-tol X] [--timestamps s|ms|us] [--pii col,…] [--pii-mode mask|hash] [--show-pii] [--json] ' +
  '(F: parquet, csv, delta or unload)';

const FORMATS: readonly FileFormat[] = ['parquet', 'csv', 'delta', 'unload'];

/** Every flag `cutover diff` takes (the README's CLI section is tested to list each one). */
export const OPTIONS = {
  legacy: { type: 'string' },
  target: { type: 'string' },
  key: { type: 'string' },
  format: { type: 'string' },
  'legacy-format': { type: 'string' },
  'target-format': { type: 'string' },
  'csv-header': { type: 'boolean' },
  'csv-delimiter': { type: 'string' },
  'csv-null': { type: 'string' },
  'legacy-version': { type: 'string' },
  'target-version': { type: 'string' },
  ignore: { type: 'string' },
  'abs-tol': { type: 'string' },
  'rel-tol': { type: 'string' },
  timestamps: { type: 'string', default: 'us' },
  pii: { type: 'string' },
  'pii-mode': { type: 'string', default: 'mask' },
  'show-pii': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export interface DiffArgs {
  legacy: string;
  target: string;
  key: string[];
  /** Per side (`--legacy-format`/`--target-format` over `--format`); undefined: detected. */
  formats: { legacy?: FileFormat; target?: FileFormat };
  /** The `--csv-*` flags, for every `csv` or `unload` side. */
  csv?: CsvOptions;
  options: CompareOptions;
  json: boolean;
  /** Columns whose sample values are PII (`--pii`), how they are shown, and `--show-pii`. */
  pii: { columns: string[]; mode: 'mask' | 'hash'; show: boolean };
  /** `--legacy-version` / `--target-version`: the Delta version of each side (default latest). */
  versions: { legacy?: DeltaVersion; target?: DeltaVersion };
}

/** Parses and checks the flags; throws UsageError naming the first thing that is wrong. */
export function parseDiffArgs(args: string[]): DiffArgs | 'help' {
  const { values: v } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false });
  if (v.help) return 'help';
  const required = (name: 'legacy' | 'target' | 'key') => {
    const value = v[name]?.trim();
    if (!value) throw new UsageError(`--${name} is required`, USAGE);
    return value;
  };
  const [legacy, target] = [required('legacy'), required('target')];
  const key = list(required('key'));
  if (key.length === 0) throw new UsageError('--key needs at least one column', USAGE);
  const format = (flag: 'format' | 'legacy-format' | 'target-format'): FileFormat | undefined => {
    const value = v[flag];
    if (value === undefined) return undefined;
    if (!FORMATS.includes(value as FileFormat)) throw new UsageError(`--${flag} must be ${FORMATS.join(', ')}, not "${value}"`, USAGE);
    return value as FileFormat;
  };
  const both = format('format');
  if (!['s', 'ms', 'us'].includes(v.timestamps)) throw new UsageError(`--timestamps must be s, ms or us, not "${v.timestamps}"`, USAGE);
  const piiMode = v['pii-mode'];
  if (piiMode !== 'mask' && piiMode !== 'hash') throw new UsageError(`--pii-mode must be mask or hash, not "${piiMode}" (raw values: --show-pii)`, USAGE);
  return {
    legacy,
    target,
    key,
    formats: { legacy: format('legacy-format') ?? both, target: format('target-format') ?? both },
    csv: csvOptionsOf(v['csv-header'], v['csv-delimiter'], v['csv-null']),
    json: v.json,
    pii: { columns: v.pii ? list(v.pii) : [], mode: piiMode, show: v['show-pii'] },
    versions: { legacy: deltaVersion('legacy-version', v['legacy-version']), target: deltaVersion('target-version', v['target-version']) },
    options: {
      ignore: v.ignore ? list(v.ignore) : [],
      absTolerance: tolerance('abs-tol', v['abs-tol']),
      relTolerance: tolerance('rel-tol', v['rel-tol']),
      timestamps: v.timestamps as TimestampPrecision,
    },
  };
}

/**
 * `cutover diff`: 0 clean, 1 different (report on stdout), 2 usage or runtime error. Sample
 * values of `--pii` columns (keys included) are masked or hashed in the text and the JSON
 * unless `--show-pii`; counts are never affected.
 */
export async function runDiffCommand(args: string[], io: CliIo): Promise<number> {
  const parsed = parseDiffArgs(args);
  if (parsed === 'help') {
    io.stdout.write(`usage: ${USAGE}\n`);
    return 0;
  }
  // Built before the diff runs, so a missing CUTOVER_PII_KEY fails at once.
  const policy = piiPolicyOf(parsed, io);
  const needsS3 = isS3Path(parsed.legacy) || isS3Path(parsed.target);
  const report = await diffDatasets({
    legacy: datasetOf(parsed.legacy, parsed.formats.legacy, parsed.versions.legacy, parsed.csv),
    target: datasetOf(parsed.target, parsed.formats.target, parsed.versions.target, parsed.csv),
    key: parsed.key,
    options: parsed.options,
    access: { ...(needsS3 ? { s3: io.s3 ?? s3FromEnvironment(io) } : {}), ...unityCatalogFor(parsed, io) },
  }).catch((err: unknown) => {
    // An engine error can quote a value (`Could not convert string '…'`): it goes to stderr.
    if (err instanceof Error) err.message = protectErrorText(policy, err.message);
    throw err;
  });
  const shown = protectDiffReport(report, policy);
  io.stdout.write(parsed.json ? `${JSON.stringify(shown, null, 2)}\n` : formatDiffText(shown, { pii: policy.describe() }));
  return report.verdict === 'clean' ? 0 : 1;
}

function piiPolicyOf({ pii }: DiffArgs, io: CliIo): PiiPolicy {
  // The environment is read only when a key is needed: a laptop's stray settings should not break a mask-only diff.
  const needsKey = pii.mode === 'hash' && !pii.show;
  return piiPolicyOrUsageError(() => piiPolicy(pii.columns, pii.mode, { showPii: pii.show, key: needsKey ? loadConfig({ env: io.env }).piiKey : undefined }));
}

/** Region and endpoint (`AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`) as the app reads them. */
function s3FromEnvironment(io: CliIo): S3Access {
  const { aws } = loadConfig({ env: io.env });
  return createS3Access({ region: aws.region, endpoint: aws.endpoints.s3 });
}

/**
 * A `<source>` of DESIGN.md "Command line": `uc:catalog.schema.table` is a Unity Catalog table
 * (read with the Delta reader through its temporary credentials), anything else a path whose
 * format is the flag's, or detected (`_delta_log/` → delta, all `.csv` files → csv, else parquet).
 */
function datasetOf(source: string, format: FileFormat | undefined, version: DeltaVersion | undefined, csv: CsvOptions | undefined): DatasetSource {
  const table = /^uc:(.+)$/.exec(source)?.[1];
  if (table !== undefined) {
    if (!/^[\w`-]+\.[\w`-]+\.[\w`-]+$/.test(table)) throw new UsageError(`${source}: expected uc:catalog.schema.table`, USAGE);
    return { table, version };
  }
  return { path: source, ...(format ? { format } : {}), ...(version !== undefined ? { version } : {}), ...(csv ? { csv } : {}) };
}

/**
 * The `--csv-*` flags, for every `csv` or `unload` side (DESIGN.md "Command line"); unset flags
 * keep the format's defaults. `--csv-delimiter '\t'` is a tab.
 */
function csvOptionsOf(header: boolean | undefined, delimiter: string | undefined, nullText: string | undefined): CsvOptions | undefined {
  const csv: CsvOptions = {};
  if (header !== undefined) csv.header = header;
  if (delimiter !== undefined) {
    const d = delimiter === '\\t' ? '\t' : delimiter;
    if (d.length !== 1) throw new UsageError(`--csv-delimiter must be one character, not "${delimiter}"`, USAGE);
    csv.delimiter = d;
  }
  if (nullText !== undefined) csv.null = nullText;
  return Object.keys(csv).length > 0 ? csv : undefined;
}

function unityCatalogFor(parsed: DiffArgs, io: CliIo): { unityCatalog?: UnityCatalogAccess } {
  if (![parsed.legacy, parsed.target].some((s) => s.startsWith('uc:'))) return {};
  const unityCatalog = unityCatalogOf(loadConfig({ env: io.env }));
  if (!unityCatalog) throw new UsageError('uc: sources need DATABRICKS_HOST and DATABRICKS_TOKEN (or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET)', USAGE);
  return { unityCatalog };
}

/** `N` (a version number) or `latest`. */
function deltaVersion(flag: string, text: string | undefined): DeltaVersion | undefined {
  if (text === undefined) return undefined;
  if (text === 'latest') return 'latest';
  if (!/^\d+$/.test(text)) throw new UsageError(`--${flag} must be a version number or latest, not "${text}"`, USAGE);
  return Number(text);
}

function list(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

function tolerance(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new UsageError(`--${flag} must be a number >= 0, not "${text}"`, USAGE);
  }
  return value;
}
