import { awsDatasetClients } from '../datasets/aws-clients.ts';
import { parseArgs } from 'node:util';
import { runChecks, RedisRowCountHistory, type RowCountHistory } from '../checks/index.ts';
import { firstLine, formatChecksText } from '../checks/format-checks-text.ts';
import { defaultPeriod } from '../commands/parse-command.ts';
import { periodSchema } from '../config/catalog-schema.ts';
import { loadCatalog } from '../config/load-catalog.ts';
import { loadConfig, type Config } from '../config/load-config.ts';
import { createS3Access } from '../datasets/index.ts';
import { SqlStatementClient, type WarehouseQuery } from '../diff/index.ts';
import { databricksTokens, unityCatalogOf } from './databricks-access.ts';
import { UsageError } from '../errors.ts';
import { piiPolicyForPipeline, protectChecksResult } from '../pii/index.ts';
import { createRedis, type Redis } from '../store/redis.ts';
import { piiPolicyOrUsageError } from './pii-options.ts';
import type { CliIo } from './types.ts';

const USAGE = 'cutover dq --catalog <file> --pipeline <name> [--period YYYY-MM] [--param k=v]... [--show-pii] [--json]';

/** Every flag `cutover dq` takes (the README's CLI section is tested to list each one). */
export const OPTIONS = {
  catalog: { type: 'string' },
  pipeline: { type: 'string' },
  period: { type: 'string' },
  param: { type: 'string', multiple: true },
  'show-pii': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export interface DqArgs {
  catalog: string;
  pipeline: string;
  period: string;
  params: Record<string, string>;
  json: boolean;
  /** Raw sample values of the catalog's `pii` columns (otherwise masked or hashed per `pii.default`). */
  showPii: boolean;
}

/** Parses and checks the flags; throws UsageError naming the first thing that is wrong. */
export function parseDqArgs(args: string[], now = Date.now()): DqArgs | 'help' {
  const { values: v } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false });
  if (v.help) return 'help';
  const catalog = v.catalog?.trim();
  const pipeline = v.pipeline?.trim();
  if (!catalog) throw new UsageError('--catalog is required', USAGE);
  if (!pipeline) throw new UsageError('--pipeline is required', USAGE);
  if (v.period !== undefined && !periodSchema.safeParse(v.period).success) throw new UsageError(`--period must be YYYY-MM, not "${v.period}"`, USAGE);
  const params: Record<string, string> = {};
  for (const pair of v.param ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param must be k=v, not "${pair}"`, USAGE);
    params[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { catalog, pipeline, period: v.period ?? defaultPeriod(now), params, json: v.json, showPii: v['show-pii'] };
}

/**
 * `cutover dq`: the bot's `runChecks` on the target outputs of one pipeline and period.
 * Exit 0 when every check passes, 1 when any fails, 2 on usage errors and when a check could
 * not run at all (its data or SQL is broken, so pass/fail is unknown); the report is printed
 * in every case. `row_count_change` uses the Redis history only when REDIS_URL is set.
 * Sample values of every column in the pipeline's `pii` lists are masked or hashed (the
 * catalog's `pii.default`; `show` counts as `mask`) unless `--show-pii`.
 */
export async function runDqCommand(args: string[], io: CliIo): Promise<number> {
  const parsed = parseDqArgs(args);
  if (parsed === 'help') {
    io.stdout.write(`usage: ${USAGE}\n`);
    return 0;
  }
  const catalog = loadCatalog(parsed.catalog);
  const pipeline = catalog.pipelines[parsed.pipeline];
  if (!pipeline) {
    const known = Object.keys(catalog.pipelines).join(', ') || 'none';
    throw new UsageError(`no pipeline "${parsed.pipeline}" in ${parsed.catalog} (known: ${known})`, USAGE);
  }
  const config = loadConfig({ env: io.env });
  // Before any check runs: `pii.default: hash` without CUTOVER_PII_KEY fails at once.
  const policy = piiPolicyOrUsageError(() => piiPolicyForPipeline(catalog, parsed.pipeline, { key: config.piiKey, showPii: parsed.showPii }));
  const redis = redisUrlIsSet(io) ? await connectRedis(config.redisUrl) : undefined;
  const ownS3 = io.s3 ? undefined : createS3Access({ region: config.aws.region, endpoint: config.aws.endpoints.s3 });
  try {
    const history: RowCountHistory | undefined = redis && new RedisRowCountHistory({ redis, prefix: config.redisPrefix });
    const raw = await runChecks({
      pipeline,
      pipelineName: parsed.pipeline,
      period: parsed.period,
      params: parsed.params,
      access: { s3: io.s3 ?? ownS3, unityCatalog: unityCatalogOf(config), ...awsDatasetClients(config) },
      warehouse: warehouseOf(config),
      history,
    });
    const result = protectChecksResult(raw, policy);
    const heading = { pipeline: parsed.pipeline, period: parsed.period, side: 'target' as const };
    const pii = policy.describe();
    const text = () => `${formatChecksText(result, heading)}${pii && !result.passed ? `  pii: ${pii} in samples (--show-pii for raw values)\n` : ''}`;
    io.stdout.write(parsed.json ? `${JSON.stringify({ ...result, ...heading }, null, 2)}\n` : text());
    const broken = result.checks.filter((c) => c.error !== undefined);
    if (broken.length > 0) {
      const first = broken[0] as (typeof broken)[number];
      const more = broken.length > 1 ? ` (and ${broken.length - 1} more)` : '';
      io.stderr.write(`cutover dq: ${broken.length} check${broken.length === 1 ? '' : 's'} could not run: ${first.output} ${first.check}: ${firstLine(first.error ?? '')}${more}\n`);
      return 2;
    }
    return result.passed ? 0 : 1;
  } finally {
    // Idle keep-alive sockets would otherwise hold the process open after the report.
    ownS3?.client.destroy();
    redis?.disconnect();
  }
}

/**
 * Config gives REDIS_URL a default for the app; the CLI must know whether it was set, since
 * a laptop without Redis should still run every other check.
 */
function redisUrlIsSet(io: CliIo): boolean {
  // eslint-disable-next-line no-restricted-properties -- Config cannot say whether REDIS_URL was set or defaulted.
  const env = io.env ?? process.env;
  return Boolean(env.REDIS_URL?.trim());
}

async function connectRedis(url: string): Promise<Redis> {
  // No reconnect loop: a CLI run should fail at once when Redis is not there.
  const redis = createRedis(url, 'producer', { lazyConnect: true, retryStrategy: () => null });
  // ioredis rejects connect() with "Connection is closed."; the 'error' event has the reason.
  let reason: Error | undefined;
  redis.on('error', (err: Error) => (reason ??= err));
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at REDIS_URL for the row-count history: ${(reason ?? (err as Error)).message}`, { cause: err });
  }
  return redis;
}

/** The SQL warehouse for `table:` outputs, when DATABRICKS_HOST, a credential and the warehouse id are set. */
function warehouseOf(config: Config): WarehouseQuery | undefined {
  const { host, warehouseId } = config.databricks;
  const tokens = databricksTokens(config);
  if (!host || !warehouseId || !tokens) return undefined;
  const client = new SqlStatementClient({ host, warehouseId, getToken: () => tokens.token(), timeoutMs: config.sqlStatementTimeoutMs });
  return (sql, opts) => client.query(sql, opts);
}
