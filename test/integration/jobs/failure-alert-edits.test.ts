import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalog } from '../../../src/config/load-catalog.ts';
import type { JobDeps } from '../../../src/jobs/job-deps.ts';
import { postAlertIfNeeded } from '../../../src/jobs/notify-status.ts';
import type { RunRecord } from '../../../src/store/run-record.ts';
import { FakeSlack } from '../../fakes/slack-server.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';
import { runWithStatusMessage, slackJobDeps } from '../../helpers/slack-job-deps.ts';

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
let deps: JobDeps;

beforeAll(async () => {
  const url = await slack.start();
  deps = slackJobDeps({ catalog, redis, prefix, slackUrl: url });
});

afterAll(async () => {
  await slack.stop();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

const failedRun = (period: string) =>
  runWithStatusMessage(deps, 'nightly', period, (r) => ({ ...r, state: 'failed', externalId: '77', endedAt: Date.now(), failures: [{ task: 'transform', error: 'boom' }] }));
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
