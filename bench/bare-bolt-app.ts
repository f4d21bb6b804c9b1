/**
 * The baseline of the ack benchmark: a Bolt app that only acks `/pipeline`, with the same
 * receiver, signature verification and HTTP stack as Cutover. Prints its port as JSON.
 */
import { createServer } from 'node:http';
import bolt from '@slack/bolt';

const { App, HTTPReceiver, LogLevel } = bolt;
const receiver = new HTTPReceiver({ signingSecret: process.env.SLACK_SIGNING_SECRET ?? '', endpoints: '/slack/events', logLevel: LogLevel.ERROR });
const app = new App({ token: process.env.SLACK_BOT_TOKEN, receiver, clientOptions: { slackApiUrl: process.env.SLACK_API_URL }, logLevel: LogLevel.ERROR });
app.command('/pipeline', async ({ ack }) => {
  await ack();
});
const server = createServer(receiver.requestListener);
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ msg: 'cutover started', port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
