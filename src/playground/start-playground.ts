import type { Config } from '../config/load-config.ts';

/**
 * Without SLACK_BOT_TOKEN, `npm start` runs the local playground (issue 6). Until it
 * exists, say exactly what to set instead of failing obscurely.
 */
export async function startPlayground(_config: Config): Promise<void> {
  process.stderr.write(
    [
      'cutover: SLACK_BOT_TOKEN is not set.',
      'The local playground (Cutover without a Slack workspace) is not built yet.',
      'To run against Slack, set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode);',
      'see README.md, "Configuration".',
      '',
    ].join('\n'),
  );
  process.exitCode = 2;
}
