/** The wire-format helpers now live with the playground's Slack emulator, which shares them. */
export * from '../../src/playground/slack-api/wire.ts';
