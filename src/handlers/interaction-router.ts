import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';

export type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
export type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/**
 * One Bolt listener for every button and one for every modal, dispatching by id. Bolt runs
 * each registered listener's middleware chain for every request, slash commands included, so
 * a listener per button (a dozen of them) adds work to every `/pipeline run` ack, the path
 * the ack benchmark watches. Handlers register here; `attach` adds the two listeners.
 */
export class InteractionRouter {
  readonly #actions = new Map<string, (args: ButtonArgs) => Promise<void>>();
  readonly #views = new Map<string, (args: ViewArgs) => Promise<void>>();

  action(actionId: string, handler: (args: ButtonArgs) => Promise<void>): void {
    if (this.#actions.has(actionId)) throw new Error(`two handlers for action ${actionId}`);
    this.#actions.set(actionId, handler);
  }

  view(callbackId: string, handler: (args: ViewArgs) => Promise<void>): void {
    if (this.#views.has(callbackId)) throw new Error(`two handlers for view ${callbackId}`);
    this.#views.set(callbackId, handler);
  }

  attach(app: App): void {
    app.action({ type: 'block_actions' }, async (args) => {
      const handler = this.#actions.get((args.action as { action_id?: string }).action_id ?? '');
      // A click nobody handles (a link button, an old message's button) is still acked, so Slack shows no error.
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
