import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import type { Logger } from '../logger.ts';
import { describeError } from '../slack/describe-error.ts';

export type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
export type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;
/** An ephemeral answer to whoever clicked. */
export type Reply = (text: string) => Promise<unknown>;

/**
 * One Bolt listener for every button and one for every modal, dispatching by id. Bolt runs
 * each registered listener's middleware chain for every request, slash commands included, so
 * a listener per button (a dozen of them) adds work to every `/pipeline run` ack, the path
 * the ack benchmark watches. Handlers register here; `attach` adds the two listeners.
 */
export class InteractionRouter {
  readonly #buttons = new Map<string, (args: ButtonArgs) => Promise<void>>();
  readonly #views = new Map<string, (args: ViewArgs) => Promise<void>>();

  constructor(private readonly logger: Logger) {}

  /**
   * A button: acked at once (Slack's 3 s), then `handler` runs with an ephemeral `reply`.
   * Anything it throws is logged and answered in words (src/slack/describe-error.ts).
   */
  button(actionId: string, handler: (args: ButtonArgs, reply: Reply) => Promise<void>): void {
    if (this.#buttons.has(actionId)) throw new Error(`two handlers for button ${actionId}`);
    this.#buttons.set(actionId, async (args) => {
      await args.ack();
      const reply: Reply = (text) => args.respond({ response_type: 'ephemeral', replace_original: false, text });
      try {
        await handler(args, reply);
      } catch (err) {
        this.logger.error({ err, actionId, user: args.body.user.id }, 'button failed');
        await reply(describeError(err));
      }
    });
  }

  view(callbackId: string, handler: (args: ViewArgs) => Promise<void>): void {
    if (this.#views.has(callbackId)) throw new Error(`two handlers for view ${callbackId}`);
    this.#views.set(callbackId, handler);
  }

  attach(app: App): void {
    app.action({ type: 'block_actions' }, async (args) => {
      const handler = this.#buttons.get((args.action as { action_id?: string }).action_id ?? '');
      // A click nobody handles (a link button such as Open, an old message's button) is still
      // acked, so Slack shows no error.
      if (!handler) return void (await args.ack());
      await handler(args as unknown as ButtonArgs);
    });
    app.view({ type: 'view_submission' }, async (args) => {
      const handler = this.#views.get(args.view.callback_id);
      if (!handler) return void (await args.ack());
      await handler(args as unknown as ViewArgs);
    });
  }
}
