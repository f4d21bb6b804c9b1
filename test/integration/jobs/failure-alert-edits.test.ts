import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRunRecord } from '../../../src/commands/new-run-record.ts';
import { parseCatalog } from '../../../src/config/load-catalog.ts';
import type { JobDeps } from '../../../src/jobs/job-deps.ts';
import { postAlertIfNeeded } from '../../../src/jobs/notify-status.ts';
import { createLogger } from '../../../src/logger.ts';
import { AuditLog } from '../../../src/store/audit-log.ts';
import { keyspace } from '../../../src/store/redis.ts';
import type { RunRecord } from '../../../src/store/run-record.ts';
import { RunStore } from '../../../src/store/run-store.ts';
import { FakeSlack } from '../../fakes/slack-server.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';

/**
 * Issue 15 item 4, the alert side of the status job with real Redis and the real WebClient
 * against the fake Slack: the alert is posted once, edited only when what it shows changes, and
 * a deleted alert does not fail the status job over and over.
 */
const catalog = parseCatalog(`
pipelines:
  nightly:
    channel: C0NIGHT
    target: { engine: databricks, jobId: 42 }
`);
const slack = new FakeSlack();
const redis = testRedis();
const prefix = uniquePrefix('alert-edits');
const keys = keyspace(prefix);
let deps: JobDeps;

beforeAll(async () => {
  const url = await slack.start();
  deps = {
    catalog,
    redis,
    keys,
    runs: new RunStore(redis, keys),
    audit: new AuditLog(redis, keys),
    slack: new WebClient('xoxb-test', { slackApiUrl: url, retryConfig: { retries: 0 } }),
    logger: createLogger({ level: 'silent' }),
    now: Date.now,
  } as unknown as JobDeps;
});

afterAll(async () => {
  await slack.stop();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

async function failedRun(period: string): Promise<RunRecord> {
  const run = newRunRecord({ pipelineName: 'nightly', pipeline: catalog.pipelines.nightly!, side: 'target', period, params: {}, env: 'dev', requestedBy: 'U0ALICE', now: Date.now() });
  await deps.runs.create(run, { actor: 'U0ALICE', action: 'run.created' });
  const parent = await deps.slack.chat.postMessage({ channel: 'C0NIGHT', text: `status of ${run.id}` });
  return deps.runs.update(
    run.id,
    (r) => ({ ...r, state: 'failed', externalId: '77', endedAt: Date.now(), statusMessage: { channel: 'C0NIGHT', ts: parent.ts! }, failures: [{ task: 'transform', error: 'boom' }] }),
    { actor: 'bot', action: 'run.state' },
  );
}
const change = (id: string, fn: (r: RunRecord) => RunRecord) => deps.runs.update(id, fn, { actor: 'bot', action: 'run.state' });
const updatesOf = (ts: string) => slack.callsTo('chat.update').filter((c) => c.body.ts === ts);

describe('the failure alert follows its run', () => {
  it('is posted once, skips edits that change nothing, and ends without buttons', async () => {
    let run = await postAlertIfNeeded(deps, await failedRun('2026-01'));
    const ref = run.alertThread!;
    expect(JSON.stringify(slack.message(ref.channel, ref.ts)!.blocks)).toContain('run_repair');

    run = await postAlertIfNeeded(deps, run); // nothing changed: no Slack call
    expect(updatesOf(ref.ts)).toHaveLength(0);

    run = await postAlertIfNeeded(deps, await change(run.id, (r) => ({ ...r, state: 'running', repairs: 1, failures: [], repairedTasks: ['transform'] })));
    expect(slack.message(ref.channel, ref.ts)!.text).toMatch(/repairing \(repair #1\)/);
    await postAlertIfNeeded(deps, await change(run.id, (r) => ({ ...r, tasks: [{ key: 'transform', state: 'running' }] }))); // progress the alert does not show
    expect(updatesOf(ref.ts)).toHaveLength(1);

    await postAlertIfNeeded(deps, await change(run.id, (r) => ({ ...r, state: 'succeeded', endedAt: Date.now() })));
    const closed = slack.message(ref.channel, ref.ts)!;
    expect(closed.text).toMatch(/alert closed: repaired and succeeded/);
    expect(JSON.stringify(closed.blocks)).not.toMatch(/run_(repair|cancel|ack)/);
    expect(slack.messages.filter((m) => m.thread_ts === run.statusMessage!.ts)).toHaveLength(1);
  });

  it('a deleted alert is logged and left alone, not a job failure on every status edit', async () => {
    const run = await postAlertIfNeeded(deps, await failedRun('2026-02'));
    slack.messages.splice(slack.messages.findIndex((m) => m.ts === run.alertThread!.ts), 1);
    await expect(postAlertIfNeeded(deps, await change(run.id, (r) => ({ ...r, acknowledgedBy: { user: 'U0BOB', at: Date.now() } })))).resolves.toBeDefined();
    // Slack did refuse the edit: the job survived a real message_not_found.
    expect(updatesOf(run.alertThread!.ts).map((c) => c.error)).toEqual(['message_not_found']);
  });
});
