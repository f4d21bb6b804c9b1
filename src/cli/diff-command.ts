import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load-config.ts';
import { createS3Access, isS3Path, type CsvOptions, type FileDataset, type FileFormat, type S3Access } from '../datasets/index.ts';
import { diffDatasets, type CompareOptions, type TimestampPrecision } from '../diff/index.ts';
import { UsageError } from '../errors.ts';
import { piiPolicy, protectDiffReport, protectErrorText, type PiiPolicy } from '../pii/index.ts';
import { formatDiffText } from './format-diff-text.ts';
import { piiPolicyOrUsageError } from './pii-options.ts';
import type { CliIo } from './types.ts';

const USAGE =
  'cutover diff --legacy <path|s3://…> --target <path|s3://…> --key col[,col…] [--format F] [--legacy-format F] [--target-format F] ' +
  '[--csv-header] [--csv-delimiter C] [--csv-null S] ' +
  '[--ignore col,…] [--abs-tol X] [--rel-tol X] [--timestamps s|ms|us] [--pii col,…] [--pii-mode mask|hash] [--show-pii] [--json] ' +
  '(F: parquet, csv, delta or unload)';

const FORMATS: readonly FileFormat[] = ['parquet', 'csv', 'delta', 'unload'];

const OPTIONS = {
  legacy: { type: 'string' },
  target: { type: 'string' },
  key: { type: 'string' },
  format: { type: 'string' },
  'legacy-format': { type: 'string' },
  'target-format': { type: 'string' },
  'csv-header': { type: 'boolean' },
  'csv-delimiter': { type: 'string' },
  'csv-null': { type: 'string' },
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
  legacy: FileDataset;
  target: FileDataset;
  key: string[];
  options: CompareOptions;
  json: boolean;
  /** Columns whose sample values are PII (`--pii`), how they are shown, and `--show-pii`. */
  pii: { columns: string[]; mode: 'mask' | 'hash'; show: boolean };
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
  const [legacyPath, targetPath] = [required('legacy'), required('target')];
  const key = list(required('key'));
  if (key.length === 0) throw new UsageError('--key needs at least one column', USAGE);
  const format = (flag: 'format' | 'legacy-format' | 'target-format'): FileFormat | undefined => {
    const value = v[flag];
    if (value === undefined) return undefined;
    if (!FORMATS.includes(value as FileFormat)) throw new UsageError(`--${flag} must be ${FORMATS.join(', ')}, not "${value}"`, USAGE);
    return value as FileFormat;
  };
  const both = format('format');
  const csv = csvOptionsOf(v['csv-header'], v['csv-delimiter'], v['csv-null']);
  const side = (path: string, flag: 'legacy-format' | 'target-format'): FileDataset => {
    const f = format(flag) ?? both;
    return { path, ...(f ? { format: f } : {}), ...(csv ? { csv } : {}) };
  };
  if (!['s', 'ms', 'us'].includes(v.timestamps)) throw new UsageError(`--timestamps must be s, ms or us, not "${v.timestamps}"`, USAGE);
  const piiMode = v['pii-mode'];
  if (piiMode !== 'mask' && piiMode !== 'hash') throw new UsageError(`--pii-mode must be mask or hash, not "${piiMode}" (raw values: --show-pii)`, USAGE);
  return {
    legacy: side(legacyPath, 'legacy-format'),
    target: side(targetPath, 'target-format'),
    key,
    json: v.json,
    pii: { columns: v.pii ? list(v.pii) : [], mode: piiMode, show: v['show-pii'] },
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
  const needsS3 = isS3Path(parsed.legacy.path) || isS3Path(parsed.target.path);
  const report = await diffDatasets({
    legacy: parsed.legacy,
    target: parsed.target,
    key: parsed.key,
    options: parsed.options,
    access: needsS3 ? { s3: io.s3 ?? s3FromEnvironment(io) } : {},
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
