import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalog } from '../../../src/config/load-catalog.ts';
import type { JobDeps } from '../../../src/jobs/job-deps.ts';
import { postThreadNote } from '../../../src/jobs/post-thread-note.ts';
import type { ThreadNote } from '../../../src/jobs/queues.ts';
import type { RunRecord } from '../../../src/store/run-record.ts';
import { FakeSlack } from '../../fakes/slack-server.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';
import { runWithStatusMessage, slackJobDeps } from '../../helpers/slack-job-deps.ts';

/**
 * A note in a run's thread (repair started, acknowledged, cancel asked) is posted once even when
 * the worker dies mid-post and BullMQ runs the job again: real Redis, the real WebClient, the fake
 * Slack (which keeps message metadata and answers conversations.replies). The kill is the
 * `slack.posted` crash point throwing, so this process goes on as the restarted worker would.
 */
const catalog = parseCatalog(`
pipelines:
  nightly:
    channel: C0NOTES
    target: { engine: databricks, jobId: 42 }
`);
const slack = new FakeSlack();
const redis = testRedis();
const prefix = uniquePrefix('note-once');
let deps: JobDeps;
let killAt: string | undefined;
class Killed extends Error {}

beforeAll(async () => {
  const url = await slack.start();
  deps = slackJobDeps(
    { catalog, redis, prefix, slackUrl: url },
    {
      crashPoint: (name: string) => {
        if (name === killAt) throw new Killed(name);
      },
    },
  );
});

afterAll(async () => {
  await slack.stop();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

const postedRun = (period: string) => runWithStatusMessage(deps, 'nightly', period, (r) => ({ ...r, state: 'failed' }));
const job = (id: string, runId: string, note: ThreadNote) => ({ id, data: { runId, note } }) as unknown as Job<{ runId: string; note: ThreadNote }>;
const notesIn = (run: RunRecord) => slack.messages.filter((m) => m.thread_ts === run.statusMessage!.ts && m.ts !== run.statusMessage!.ts);

describe('a thread note', () => {
  it('killed right after Slack stored it, is adopted by the retry, not posted again', async () => {
    const run = await postedRun('2026-01');
    const j = job(`note-${run.id}-repair-1-started`, run.id, { kind: 'repair-started', by: 'U0BOB', repair: 1 });
    killAt = 'slack.posted';
    await expect(postThreadNote(deps, j)).rejects.toThrow();
    killAt = undefined;
    expect(notesIn(run)).toHaveLength(1);
    await postThreadNote(deps, j);
    expect(notesIn(run)).toHaveLength(1);
    expect(slack.callsTo('conversations.replies').length).toBeGreaterThan(0);
  });

  it('run again after it was posted (the job completed in Slack, not in BullMQ), posts nothing', async () => {
    const run = await postedRun('2026-02');
    const j = job(`note-${run.id}-ack`, run.id, { kind: 'acknowledged', by: 'U0BOB', at: Date.now() });
    await postThreadNote(deps, j);
    await postThreadNote(deps, j);
    expect(notesIn(run).map((m) => m.text)).toEqual([expect.stringContaining('U0BOB')]);
  });

  it('two notes of the same kind with their own job ids are both posted', async () => {
    const run = await postedRun('2026-03');
    await postThreadNote(deps, job(`note-${run.id}-cancel-1`, run.id, { kind: 'cancel-requested', by: 'U0BOB' }));
    await postThreadNote(deps, job(`note-${run.id}-cancel-2`, run.id, { kind: 'cancel-requested', by: 'U0CAROL' }));
    expect(notesIn(run)).toHaveLength(2);
  });
});
