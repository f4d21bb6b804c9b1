import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogSchema } from '../../../src/config/catalog-schema.ts';
import { Permissions } from '../../../src/handlers/permissions.ts';
import { describeError } from '../../../src/slack/describe-error.ts';
import { FakeSlack } from '../../fakes/slack-server.ts';

const catalog = catalogSchema.parse({
  pipelines: { p: { channel: 'C0P', target: { engine: 'databricks', jobId: 1 } } },
  permissions: { run: { prod: ['S0APPROVERS'] } },
});
const slack = new FakeSlack({ usergroups: { S0APPROVERS: ['U0BOB'] } });
let client: WebClient;

beforeAll(async () => {
  client = new WebClient('xoxb-test', { slackApiUrl: await slack.start(), retryConfig: { retries: 0 } });
});
afterAll(() => slack.stop());

describe('user-group permissions while Slack fails', () => {
  it('finding 23: a member list older than the bound is not used when Slack errors; the refusal says why', async () => {
    let now = Date.UTC(2026, 0, 1);
    const permissions = new Permissions({ catalog, slack: client, now: () => now, ttlMs: 5 * 60_000, maxAgeMs: 30 * 60_000 });
    expect(await permissions.canRun('U0BOB', 'prod')).toBe(true);

    // Bob leaves the group; Slack's usergroups API then fails for a while.
    slack.usergroups.S0APPROVERS = [];
    slack.failNext('usergroups.users.list', [{ status: 500 }, { status: 500 }]);
    now += 10 * 60_000; // past the 5 min TTL, within the 30 min bound: the recent list still answers
    expect(await permissions.canRun('U0BOB', 'prod')).toBe(true);
    now += 25 * 60_000; // 35 min old: too old to keep deciding who may run in prod
    const refused = await permissions.canRun('U0BOB', 'prod').catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'permission_denied' });
    expect(describeError(refused)).toMatch(/cannot check user group S0APPROVERS.*35 min old.*limit is 30 min/);

    // Slack answers again: the fresh list decides.
    expect(await permissions.canRun('U0BOB', 'prod')).toBe(false);
  });
});
