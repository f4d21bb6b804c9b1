import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botAuthorization } from '../../../src/slack/bot-authorization.ts';
import { FakeSlack } from '../../fakes/slack-server.ts';

const slack = new FakeSlack({ token: 'xoxb-test' });
let client: WebClient;
beforeAll(async () => {
  client = new WebClient('xoxb-test', { slackApiUrl: await slack.start(), retryConfig: { retries: 0 } });
});
afterAll(() => slack.stop());

const authTests = () => slack.calls.filter((c) => c.method === 'auth.test').length;
const source = { teamId: 'T0TEAM', enterpriseId: undefined, isEnterpriseInstall: false };

describe('the bot authorization Bolt uses', () => {
  it('creates nothing at start: a Slack that fails auth.test fails one request, and the next one authorizes', async () => {
    const authorize = botAuthorization(client, 'xoxb-test');
    expect(authTests()).toBe(0);
    slack.failNext('auth.test', [{ error: 'service_unavailable' }]);
    await expect(authorize(source, {} as never)).rejects.toThrow(/service_unavailable/);
    const result = await authorize(source, {} as never);
    expect(result).toMatchObject({ botToken: 'xoxb-test', teamId: expect.any(String), botUserId: expect.any(String) });
    // Kept once known: one more auth.test for the failure's retry, none for later requests.
    const after = authTests();
    await authorize(source, {} as never);
    expect(authTests()).toBe(after);
  });
});
