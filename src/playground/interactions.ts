import { randomUUID } from 'node:crypto';
import { signSlackBody } from './slack-api/sign.ts';
import type { StoredView } from './slack-api/types.ts';
import type { Json } from './slack-api/wire.ts';
import type { SlackEmulator } from './slack-emulator.ts';
import { appHomeOpened, blockActions, slashCommand, viewClosed, viewSubmission, type ClickedElement } from './slack-payloads.ts';
import { applyResponse, findElement, type ResponseContext } from './responses.ts';

export interface InteractionsOptions {
  emulator: SlackEmulator;
  /** The app's `POST /slack/events`. */
  eventsUrl: string;
  /** The session's random signing secret, also given to the app. */
  signingSecret: string;
  /** Where response_urls point: the playground's own `/response/<id>`. */
  origin: string;
  botToken: string;
  userName: (id: string) => string;
  /** Slack gives an app 3 s to acknowledge. */
  ackTimeoutMs?: number;
}

/** Where a click happened: a message or ephemeral (channel + ts), or a modal / the Home tab (viewId). */
export interface ClickInput {
  user: string;
  channel?: string;
  ts?: string;
  viewId?: string;
  blockIndex: number;
  elementIndex: number;
  selectedValue?: string;
}

/**
 * What a person does on the page, turned into the signed requests Slack sends the app's
 * `/slack/events` (slash commands, block_actions, view_submission, view_closed,
 * app_home_opened), and what Slack does with the app's answers (acks and response_urls).
 */
export class Interactions {
  private readonly responses = new Map<string, ResponseContext>();

  constructor(private readonly opts: InteractionsOptions) {}

  async command(user: string, channel: string, text: string): Promise<void> {
    const { emulator } = this.opts;
    emulator.addEphemeral({ channel, user, author: user, text: `/pipeline ${text}` });
    const ctx: ResponseContext = { user, channel };
    const payload = slashCommand({ user, userName: this.opts.userName(user), channel, text, responseUrl: this.responseUrl(ctx), triggerId: emulator.trigger(user) });
    const res = await this.post(new URLSearchParams(payload).toString());
    if (!res.ok) return emulator.addEphemeral({ channel, user, text: `:warning: /pipeline failed with the error "${res.error}"` });
    if (res.body) this.apply(ctx, res.body);
  }

  async click(input: ClickInput): Promise<void> {
    const { emulator } = this.opts;
    const view = input.viewId ? emulator.views.find((v) => v.id === input.viewId) : undefined;
    const message = input.channel && input.ts ? this.messageAt(input.channel, input.ts) : undefined;
    const blocks = (view ? view.view.blocks : message?.message.blocks) as unknown[] | undefined;
    const element = findElement(blocks ?? [], input.blockIndex, input.elementIndex);
    if (!element || (!view && !message)) return;
    const action: ClickedElement = { ...element, ...(input.selectedValue !== undefined ? { selected_option: selected(element.raw, input.selectedValue) } : {}) };
    delete (action as { raw?: unknown }).raw;
    const ctx: ResponseContext = { user: input.user, channel: input.channel ?? '', ts: input.ts, threadTs: message?.message.thread_ts, ephemeral: message?.ephemeral };
    const payload = blockActions({
      user: input.user,
      userName: this.opts.userName(input.user),
      action,
      triggerId: emulator.trigger(input.user),
      message: message && input.channel ? { ...message, channel: input.channel, responseUrl: this.responseUrl(ctx) } : undefined,
      view,
    });
    const res = await this.post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    if (!res.ok && input.channel) emulator.addEphemeral({ channel: input.channel, user: input.user, thread_ts: ctx.threadTs, text: `:warning: That button did not work: "${res.error}"` });
  }

  /** Submits a modal; resolves to the errors to show in it, if the app answered `response_action: errors`. */
  async submit(user: string, viewId: string, values: Record<string, Record<string, Json>>): Promise<{ errors?: Record<string, string>; error?: string }> {
    const { emulator } = this.opts;
    const view = emulator.views.find((v) => v.id === viewId);
    if (!view) return { error: 'this view is closed' };
    const payload = viewSubmission({ user, userName: this.opts.userName(user), view, values, triggerId: emulator.trigger(user) });
    const res = await this.post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString());
    if (!res.ok) return { error: `We had some trouble connecting (${res.error}).` };
    const answer = (res.body ?? {}) as Json;
    switch (answer.response_action) {
      case 'errors':
        return { errors: answer.errors as Record<string, string> };
      case 'update':
        this.replaceView(view, answer.view as Json);
        return {};
      case 'push':
        emulator.call('views.push', { trigger_id: emulator.trigger(user), view: answer.view }, `Bearer ${this.opts.botToken}`);
        return {};
      case 'clear':
        for (const v of emulator.views.filter((x) => x.user_id === user && x.method !== 'views.publish')) emulator.closeView(v.id);
        return {};
      default:
        emulator.closeView(view.id);
        return {};
    }
  }

  async close(user: string, viewId: string): Promise<void> {
    const { emulator } = this.opts;
    const view = emulator.views.find((v) => v.id === viewId);
    if (!view) return;
    emulator.closeView(viewId);
    if (view.view.notify_on_close) await this.post(new URLSearchParams({ payload: JSON.stringify(viewClosed({ user, userName: this.opts.userName(user), view })) }).toString());
  }

  async openHome(user: string): Promise<void> {
    const home = this.opts.emulator.views.find((v) => v.method === 'views.publish' && v.user_id === user);
    await this.post(JSON.stringify(appHomeOpened(user, home)), 'application/json');
  }

  /** A POST to a response_url this playground handed out. */
  respond(id: string, body: Json): boolean {
    const ctx = this.responses.get(id);
    if (!ctx) return false;
    this.apply(ctx, body);
    return true;
  }

  private apply(ctx: ResponseContext, body: Json): void {
    applyResponse(this.opts.emulator, ctx, body, this.opts.botToken);
  }

  private responseUrl(ctx: ResponseContext): string {
    const id = randomUUID();
    this.responses.set(id, ctx);
    return `${this.opts.origin}/response/${id}`;
  }

  private messageAt(channel: string, ts: string) {
    const { emulator } = this.opts;
    const msg = emulator.message(channel, ts);
    if (msg) return { message: msg, ephemeral: false };
    const eph = emulator.ephemerals.find((e) => e.channel === channel && e.message_ts === ts);
    return eph ? { message: { ts: eph.message_ts, thread_ts: eph.thread_ts, text: eph.text, blocks: eph.blocks }, ephemeral: true } : undefined;
  }

  private replaceView(view: StoredView, next: Json): void {
    this.opts.emulator.call('views.update', { view_id: view.id, view: next }, `Bearer ${this.opts.botToken}`);
  }

  /** Signs and POSTs one request as Slack does; `body` is the parsed answer when there is one. */
  private async post(body: string, contentType = 'application/x-www-form-urlencoded'): Promise<{ ok: boolean; error?: string; body?: Json }> {
    const headers = { 'content-type': contentType, ...signSlackBody(this.opts.signingSecret, body) };
    try {
      const res = await fetch(this.opts.eventsUrl, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.opts.ackTimeoutMs ?? 3000) });
      const text = await res.text();
      if (res.status !== 200) return { ok: false, error: res.status === 401 ? 'invalid_signature' : 'dispatch_failed' };
      if (!text) return { ok: true };
      try {
        return { ok: true, body: JSON.parse(text) as Json };
      } catch {
        return { ok: true, body: { text } };
      }
    } catch (err) {
      return { ok: false, error: (err as Error).name === 'TimeoutError' ? 'operation_timeout' : 'dispatch_failed' };
    }
  }
}

function selected(element: Json, value: string): Json | undefined {
  const options = (element.options ?? []) as Json[];
  return options.find((o) => o.value === value);
}
