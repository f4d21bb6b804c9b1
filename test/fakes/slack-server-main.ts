import { FakeSlack, type FakeSlackOptions } from './slack-server.ts';

/**
 * Runs a FakeSlack on its own, for tests that start the app in another process:
 *   tsx test/fakes/slack-server-main.ts [--port N] [--options '{"usergroups":{…}}']
 * prints one JSON line `{"url": "<slackApiUrl>", "origin": "…"}` on stdout, then serves until
 * SIGTERM/SIGINT. Control it over HTTP: GET /__fake/state, POST /__fake/control.
 */
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const options = JSON.parse(arg('options') ?? '{}') as FakeSlackOptions;
const fake = new FakeSlack(options);
const url = await fake.start(Number(arg('port') ?? 0));
process.stdout.write(`${JSON.stringify({ url, origin: fake.origin })}\n`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void fake.stop().then(() => process.exit(0));
  });
}
