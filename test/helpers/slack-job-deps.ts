import { WebClient } from '@slack/web-api';
import type { Redis } from 'ioredis';
import { newRunRecord } from '../../src/commands/new-run-record.ts';
import type { Catalog } from '../../src/config/catalog-schema.ts';
import type { JobDeps } from '../../src/jobs/job-deps.ts';
import { createLogger } from '../../src/logger.ts';
import { AuditLog } from '../../src/store/audit-log.ts';
import { keyspace } from '../../src/store/redis.ts';
import type { RunRecord } from '../../src/store/run-record.ts';
import { RunStore } from '../../src/store/run-store.ts';

/**
 * What a notify job needs to run against real Redis and the fake Slack (at `slackUrl`): the
 * catalog, the run store and audit log under `prefix`, the real WebClient without its own
 * retries, a silent logger; `more` adds what a test's job needs besides (a crash point, queues).
 */
export function slackJobDeps(opts: { catalog: Catalog; redis: Redis; prefix: string; slackUrl: string }, more: Partial<JobDeps> = {}): JobDeps {
  const { catalog, redis, prefix, slackUrl } = opts;
  const keys = keyspace(prefix);
  return {
    catalog,
    redis,
    keys,
    runs: new RunStore(redis, keys),
    audit: new AuditLog(redis, keys),
    slack: new WebClient('xoxb-test', { slackApiUrl: slackUrl, retryConfig: { retries: 0 } }),
    logger: createLogger({ level: 'silent' }),
    now: Date.now,
    ...more,
  } as unknown as JobDeps;
}

/**
 * A run of `pipeline` recorded in Redis with its status message posted in the pipeline's channel,
 * then moved on by `change` (its state, failures…), as the jobs under test find it.
 */
export async function runWithStatusMessage(deps: JobDeps, pipeline: string, period: string, change: (r: RunRecord) => RunRecord): Promise<RunRecord> {
  const config = deps.catalog.pipelines[pipeline]!;
  const run = newRunRecord({ pipelineName: pipeline, pipeline: config, side: 'target', period, params: {}, env: 'dev', requestedBy: 'U0ALICE', now: Date.now() });
  await deps.runs.create(run, { actor: 'U0ALICE', action: 'run.created' });
  const parent = await deps.slack.chat.postMessage({ channel: config.channel, text: `status of ${run.id}` });
  return deps.runs.update(run.id, (r) => change({ ...r, statusMessage: { channel: config.channel, ts: parent.ts! } }), { actor: 'bot', action: 'run.state' });
}
