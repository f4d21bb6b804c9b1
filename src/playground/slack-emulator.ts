import { EventEmitter } from 'node:events';
import { createMethods, type MethodHandler } from './slack-api/methods.ts';
import type { SlackState, SlackUser, StoredEphemeral, StoredFile, StoredMessage, StoredView } from './slack-api/types.ts';
import { fail, str, type Json } from './slack-api/wire.ts';
import type { PlaygroundUser } from './users.ts';

/** An ephemeral as the page shows it; `author` is set for a person's own command echo. */
export interface PlaygroundEphemeral extends StoredEphemeral {
  author?: string;
}

/** What the page is told, one event per change (server-sent events). */
export type PlaygroundEvent =
  | { type: 'message'; message: StoredMessage }
  | { type: 'message-deleted'; channel: string; ts: string }
  | { type: 'ephemeral'; ephemeral: PlaygroundEphemeral }
  | { type: 'view'; view: StoredView }
  | { type: 'view-closed'; id: string }
  | { type: 'file'; file: Omit<StoredFile, 'bytes'> };

export interface SlackEmulatorOptions {
  /** The bot token the app was given; any other bearer token gets `invalid_auth`. */
  token: string;
  users: PlaygroundUser[];
  usergroups?: Record<string, string[]>;
}

/**
 * The playground's Slack: the Web API methods the app calls (shared with the tests' FakeSlack,
 * ./slack-api/methods.ts), plus what only the playground needs — people's own messages,
 * conversations.info, modal owners — and a change event for every update the page must show.
 */
export class SlackEmulator extends EventEmitter<{ change: [PlaygroundEvent] }> implements SlackState {
  messages: StoredMessage[] = [];
  ephemerals: PlaygroundEphemeral[] = [];
  files: StoredFile[] = [];
  views: StoredView[] = [];
  usergroups: Record<string, string[]>;
  users: Record<string, SlackUser>;
  readonly usedTriggers = new Set<string>();
  origin = '';
  /** Permalinks lead to the playground's own page (set with `origin`), never to a Slack host that does not exist. */
  get permalinkOrigin(): string {
    return this.origin;
  }
  /** trigger_id -> the person whose click or command made it, so a modal opens for them. */
  private readonly triggers = new Map<string, string>();
  private readonly methods: Record<string, MethodHandler>;
  private seq = 0;
  private lastMicros = 0;

  constructor(private readonly options: SlackEmulatorOptions) {
    super();
    this.users = Object.fromEntries(options.users.map((u) => [u.id, { name: u.name, real_name: u.realName }]));
    this.usergroups = { ...options.usergroups };
    this.methods = { ...createMethods(this), 'conversations.info': (b) => this.conversationInfo(b) };
  }

  /** One Web API call, authenticated by the bot token; emits what changed. */
  call(method: string, body: Json, authorization: string | undefined): Json {
    const token = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (!token) return fail('not_authed');
    if (token !== this.options.token) return fail('invalid_auth');
    const handler = this.methods[method];
    if (!handler) return fail('unknown_method');
    const result = handler(body);
    if (result.ok === true) this.announce(method, body, result);
    return result;
  }

  /** A trigger_id for one interaction of `user`. */
  trigger(user: string): string {
    const id = `${Date.now()}.${++this.seq}.${Math.random().toString(16).slice(2, 18)}`;
    this.triggers.set(id, user);
    return id;
  }

  /** A message someone typed (not a command): shown in the channel as theirs. */
  postAsUser(user: string, channel: string, text: string, threadTs?: string): StoredMessage {
    const msg: StoredMessage = { channel, ts: this.nextTs(), thread_ts: threadTs, reply_broadcast: false, text, user, bot_id: '', history: [] };
    this.messages.push(msg);
    this.emit('change', { type: 'message', message: msg });
    return msg;
  }

  addEphemeral(e: Omit<PlaygroundEphemeral, 'message_ts'>): void {
    const ephemeral = { ...e, message_ts: this.nextTs() };
    this.ephemerals.push(ephemeral);
    this.emit('change', { type: 'ephemeral', ephemeral });
  }

  /** A response_url or ack that replaces a message; ephemerals are replaced by their ts. */
  replace(channel: string, ts: string, content: { text?: string; blocks?: unknown[] }): void {
    const msg = this.message(channel, ts);
    if (msg) {
      msg.history.push({ text: msg.text, blocks: msg.blocks, at: Date.now() });
      Object.assign(msg, { text: content.text ?? msg.text, blocks: content.blocks });
      this.emit('change', { type: 'message', message: msg });
      return;
    }
    const eph = this.ephemerals.find((e) => e.channel === channel && e.message_ts === ts);
    if (eph) {
      Object.assign(eph, { text: content.text ?? eph.text, blocks: content.blocks });
      this.emit('change', { type: 'ephemeral', ephemeral: eph });
    }
  }

  delete(channel: string, ts: string): void {
    this.messages = this.messages.filter((m) => !(m.channel === channel && m.ts === ts));
    this.ephemerals = this.ephemerals.filter((e) => !(e.channel === channel && e.message_ts === ts));
    this.emit('change', { type: 'message-deleted', channel, ts });
  }

  closeView(id: string): void {
    this.views = this.views.filter((v) => v.id !== id);
    this.emit('change', { type: 'view-closed', id });
  }

  /** Everything the page needs on (re)connect; file bytes stay here (downloads are separate). */
  snapshot(): Json {
    const files = this.files.filter((f) => f.completed).map(({ bytes: _bytes, ...f }) => f);
    return { messages: this.messages, ephemerals: this.ephemerals, views: this.views, files };
  }

  message(channel: string, ts: string): StoredMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  /** Message timestamps as Slack makes them: unique and increasing, from the clock. */
  nextTs(): string {
    const micros = (this.lastMicros = Math.max(Date.now() * 1000, this.lastMicros + 1));
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  nextId(prefix: string): string {
    return `${prefix}${String(++this.seq).padStart(8, '0')}`;
  }

  private announce(method: string, body: Json, result: Json): void {
    const change = (event: PlaygroundEvent) => this.emit('change', event);
    if (method === 'chat.postMessage' || method === 'chat.update') {
      const msg = this.message(String(result.channel), String(result.ts));
      if (msg) change({ type: 'message', message: msg });
    } else if (method === 'chat.postEphemeral') {
      const eph = this.ephemerals.find((e) => e.message_ts === result.message_ts);
      if (eph) change({ type: 'ephemeral', ephemeral: eph });
    } else if (method.startsWith('views.')) {
      const view = this.views.find((v) => v.id === (result.view as Json).id);
      if (!view) return;
      // A modal belongs to whoever's interaction made its trigger_id.
      if (!view.user_id) view.user_id = this.triggers.get(str(body.trigger_id) ?? '');
      change({ type: 'view', view });
    } else if (method === 'files.completeUploadExternal') {
      for (const f of result.files as Json[]) {
        const file = this.files.find((x) => x.id === f.id);
        if (!file) continue;
        const { bytes: _bytes, ...meta } = file;
        change({ type: 'file', file: meta });
      }
    }
  }

  private conversationInfo(b: Json): Json {
    const id = str(b.channel);
    if (!id || !/^[CGD][A-Z0-9]+$/.test(id)) return fail('channel_not_found');
    return { ok: true, channel: { id, name: channelName(id), is_channel: true, is_member: true, is_archived: false } };
  }
}

/** `C0PIPELINES` -> `pipelines`: the playground's channels are named after their ids. */
export function channelName(id: string): string {
  return id.replace(/^C0?/, '').toLowerCase().replace(/_/g, '-');
}
