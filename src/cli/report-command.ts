import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadCatalog } from '../config/load-catalog.ts';
import { loadConfig } from '../config/load-config.ts';
import { UsageError } from '../errors.ts';
import { buildGoLiveReport } from '../report/index.ts';
import { AuditLog } from '../store/audit-log.ts';
import { CutoverStore } from '../store/cutover-store.ts';
import { DqAlertStore } from '../store/dq-alert-store.ts';
import { ParallelStore } from '../store/parallel-store.ts';
import { createRedis, keyspace } from '../store/redis.ts';
import { RunStore } from '../store/run-store.ts';
import { StageStore } from '../store/stage-store.ts';
import type { CliIo } from './types.ts';

/** Every flag `cutover report` takes (the README's CLI section is tested to list each one). */
export const OPTIONS = { catalog: { type: 'string' }, pipeline: { type: 'string' }, out: { type: 'string' } } as const;

const USAGE = 'cutover report --catalog <file> --pipeline <name> [--out report.html]';

/**
 * `cutover report`: the go-live report the bot sends with `/pipeline report`, read from the same
 * Redis (`REDIS_URL`, `CUTOVER_REDIS_PREFIX`), written to `--out` or stdout. Exit 0, or 2.
 */
export async function runReportCommand(args: string[], io: CliIo): Promise<number> {
  const { values: v } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false });
  if (!v.catalog) throw new UsageError('--catalog is required', USAGE);
  if (!v.pipeline) throw new UsageError('--pipeline is required', USAGE);
  const catalog = await loadCatalog(v.catalog);
  if (!catalog.pipelines[v.pipeline]) throw new UsageError(`no pipeline "${v.pipeline}" in ${v.catalog}`, USAGE);
  const config = loadConfig({ env: io.env });
  // Commands wait for the connection; a Redis that is down fails them after one retry.
  const redis = createRedis(config.redisUrl, 'producer', { enableOfflineQueue: true });
  try {
    const keys = keyspace(config.redisPrefix, config.retention);
    const now = Date.now;
    const html = await buildGoLiveReport(
      {
        catalog,
        runs: new RunStore(redis, keys, now),
        parallels: new ParallelStore(redis, keys, now),
        cutover: new CutoverStore(redis, keys, now),
        dqAlerts: new DqAlertStore(redis, keys, now),
        stages: new StageStore(redis, keys, catalog),
        audit: new AuditLog(redis, keys),
        now,
      },
      v.pipeline,
    );
    if (v.out) {
      await writeFile(v.out, html);
      io.stderr.write(`wrote the go-live report of ${v.pipeline} to ${v.out}\n`);
    } else io.stdout.write(html);
    return 0;
  } finally {
    redis.disconnect();
  }
}
