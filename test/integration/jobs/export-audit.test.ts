import { WebClient } from '@slack/web-api';
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportAudit } from '../../../src/jobs/export-audit.ts';
import type { JobDeps } from '../../../src/jobs/job-deps.ts';
import { AuditLog } from '../../../src/store/audit-log.ts';
import { keyspace } from '../../../src/store/redis.ts';
import { FakeSlack } from '../../fakes/slack-server.ts';
import { deletePrefix, testRedis, uniquePrefix } from '../../helpers/redis.ts';

/** Issue 14 finding 9: the audit file goes to the asker's DM, read from the stream in pages. */
const slack = new FakeSlack();
const redis = testRedis();
const prefix = uniquePrefix('audit-export');
let client: WebClient;

beforeAll(async () => {
  client = new WebClient('xoxb-test', { slackApiUrl: await slack.start() });
});
afterAll(async () => {
  await slack.stop();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

describe('finding 9: /pipeline audit sends its file privately', () => {
  it('finding 9: the whole trail (1,234 events, several pages) goes to the asker’s direct message, not the channel', async () => {
    const audit = new AuditLog(redis, keyspace(prefix));
    for (let i = 0; i < 1234; i++) await audit.append({ at: i, actor: 'U0ALICE', pipeline: 'incites-monthly', action: 'run.state', subject: `r-${i}` });
    const deps = { audit, slack: client, now: () => Date.UTC(2026, 10, 21) } as unknown as JobDeps;
    await exportAudit(deps, { data: { pipeline: 'incites-monthly', to: { user: 'U0ALICE', channel: 'C0PIPELINES' } } } as Job<{ pipeline: string; to: { user: string; channel: string } }>);
    expect(slack.calls.filter((c) => c.method === 'conversations.open').map((c) => c.body.users)).toEqual(['U0ALICE']);
    expect(slack.files).toHaveLength(1);
    const [file] = slack.files;
    expect(file).toMatchObject({ completed: true, channel_id: 'D0ALICE' });
    expect(file!.initial_comment).toContain('1234 events');
    const lines = file!.bytes!.toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { subject: string });
    expect(lines).toHaveLength(1234);
    expect(lines[0]!.subject).toBe('r-0');
    expect(lines[1233]!.subject).toBe('r-1233');
    expect(slack.files.some((f) => f.channel_id === 'C0PIPELINES')).toBe(false);
  });
});
