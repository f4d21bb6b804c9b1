/** The Web API methods now live with the playground's Slack emulator, which shares them with this fake. */
export { BOT, createMethods, publicMessage, type MethodHandler } from '../../src/playground/slack-api/methods.ts';
