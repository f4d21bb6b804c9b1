import type { MessageMetadata, SlackState, StoredMessage, StoredView } from './types.ts';
import { fail, messageProblems, str, viewProblems, type Json } from './wire.ts';

/**
 * The Web API methods an emulator answers, each as Slack does for the arguments Cutover
 * sends. Shared by the playground's emulator and the tests' FakeSlack.
 */
export type MethodHandler = (body: Json) => Json;

export const BOT = { user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T0TEAM' } as const;

/** A message as the Web API shows it; metadata only when asked for (`include_all_metadata`), as in history reads. */
export function publicMessage(m: StoredMessage, withMetadata = false): Json {
  const shown: Json = { type: 'message', user: m.user, bot_id: m.bot_id, text: m.text ?? '', ts: m.ts, thread_ts: m.thread_ts, blocks: m.blocks, team: BOT.team_id };
  if (m.reply_broadcast) shown.subtype = 'thread_broadcast';
  if (withMetadata && m.metadata) shown.metadata = m.metadata;
  return shown;
}

/**
 * `metadata` of chat.postMessage / chat.update: `{event_type, event_payload}`; `{}` (update only)
 * removes it. Undefined when absent; a string error code when malformed, as Slack answers.
 */
function metadataOf(v: unknown): MessageMetadata | null | undefined | 'invalid_metadata_format' {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'invalid_metadata_format';
  const m = v as Json;
  if (Object.keys(m).length === 0) return null;
  if (typeof m.event_type !== 'string' || !m.event_type || typeof m.event_payload !== 'object' || m.event_payload === null) return 'invalid_metadata_format';
  return { event_type: m.event_type, event_payload: m.event_payload as Json };
}

/** Slack timestamps compared exactly (as numbers they lose the last microseconds). */
function tsMicros(ts: string): bigint {
  const [s = '0', f = ''] = ts.split('.');
  return BigInt(s) * 1_000_000n + BigInt(f.padEnd(6, '0').slice(0, 6) || '0');
}

const truthy = (v: unknown) => v === true || v === 'true' || v === '1' || v === 1;

/**
 * One page of `messages` between `oldest` and `latest` (exclusive unless `inclusive`), as
 * conversations.history and conversations.replies page them: `limit` (default 100) per page, an
 * opaque `cursor` to the next, `has_more`.
 */
function page(messages: StoredMessage[], b: Json, maxLimit: number): Json {
  const inclusive = truthy(b.inclusive);
  const oldest = str(b.oldest);
  const latest = str(b.latest);
  const inRange = messages.filter((m) => {
    const t = tsMicros(m.ts);
    if (oldest && (inclusive ? t < tsMicros(oldest) : t <= tsMicros(oldest))) return false;
    if (latest && (inclusive ? t > tsMicros(latest) : t >= tsMicros(latest))) return false;
    return true;
  });
  const limit = Math.min(Math.max(Number(b.limit ?? 100) || 100, 1), maxLimit);
  const cursor = str(b.cursor);
  const start = cursor ? Number(Buffer.from(cursor, 'base64').toString().replace(/^offset:/, '')) : 0;
  if (!Number.isInteger(start) || start < 0) return fail('invalid_cursor');
  const shown = inRange.slice(start, start + limit).map((m) => publicMessage(m, truthy(b.include_all_metadata)));
  const more = start + limit < inRange.length;
  return { ok: true, messages: shown, has_more: more, response_metadata: { next_cursor: more ? Buffer.from(`offset:${start + limit}`).toString('base64') : '' } };
}

function hasContent(b: Json): boolean {
  return Boolean(b.text || b.blocks || b.attachments);
}

export function createMethods(state: SlackState): Record<string, MethodHandler> {
  const openView = (method: string, b: Json): Json => {
    const trigger = str(b.trigger_id);
    if (!trigger) return fail('invalid_trigger_id');
    // A trigger_id can be exchanged once; a second use is a bug worth failing on.
    if (state.usedTriggers.has(trigger)) return fail('exchanged_trigger_id');
    const invalid = viewProblems(b.view);
    if (invalid) return invalid;
    state.usedTriggers.add(trigger);
    const view = b.view as Json;
    const stored: StoredView = { id: state.nextId('V'), method, view, external_id: str(view.external_id), hash: state.nextId('h'), history: [] };
    state.views.push(stored);
    return { ok: true, view: { ...view, id: stored.id, hash: stored.hash, team_id: BOT.team_id, state: { values: {} } } };
  };

  return {
    'auth.test': () => ({ ok: true, url: 'https://fake-team.slack.com/', team: 'Fake Team', user: 'cutover', ...BOT, is_enterprise_install: false }),

    'chat.postMessage': (b) => {
      const channel = str(b.channel);
      if (!channel) return fail('channel_not_found');
      if (!hasContent(b)) return fail('no_text');
      // Stricter than Slack, on purpose: a reply to a parent we never posted is a bug.
      const thread = str(b.thread_ts);
      if (thread && !state.message(channel, thread)) return fail('thread_not_found');
      const invalid = messageProblems(b);
      if (invalid) return invalid;
      const metadata = metadataOf(b.metadata);
      if (typeof metadata === 'string' || metadata === null) return fail('invalid_metadata_format');
      const msg: StoredMessage = {
        channel,
        ts: state.nextTs(),
        thread_ts: thread,
        reply_broadcast: b.reply_broadcast === true || b.reply_broadcast === 'true',
        text: str(b.text),
        blocks: b.blocks as unknown[] | undefined,
        user: BOT.user_id,
        bot_id: BOT.bot_id,
        ...(metadata ? { metadata } : {}),
        history: [],
      };
      state.messages.push(msg);
      return { ok: true, channel, ts: msg.ts, message: publicMessage(msg) };
    },

    'chat.update': (b) => {
      const msg = state.message(str(b.channel) ?? '', str(b.ts) ?? '');
      if (!msg) return fail('message_not_found');
      if (!hasContent(b)) return fail('no_text');
      const invalid = messageProblems(b);
      if (invalid) return invalid;
      // Without `metadata` the message keeps its own; `{}` removes it.
      const metadata = metadataOf(b.metadata);
      if (typeof metadata === 'string') return fail(metadata);
      msg.history.push({ text: msg.text, blocks: msg.blocks, at: Date.now() });
      if (b.text !== undefined) msg.text = str(b.text);
      if (b.blocks !== undefined) msg.blocks = b.blocks as unknown[];
      if (metadata === null) delete msg.metadata;
      else if (metadata) msg.metadata = metadata;
      return { ok: true, channel: msg.channel, ts: msg.ts, text: msg.text ?? '', message: publicMessage(msg) };
    },

    'chat.postEphemeral': (b) => {
      const channel = str(b.channel);
      const user = str(b.user);
      if (!channel) return fail('channel_not_found');
      if (!user) return fail('user_not_found');
      if (!hasContent(b)) return fail('no_text');
      const invalid = messageProblems(b);
      if (invalid) return invalid;
      const message_ts = state.nextTs();
      state.ephemerals.push({ channel, user, message_ts, thread_ts: str(b.thread_ts), text: str(b.text), blocks: b.blocks as unknown[] | undefined });
      return { ok: true, message_ts };
    },

    'chat.getPermalink': (b) => {
      const msg = state.message(str(b.channel) ?? '', str(b.message_ts) ?? '');
      if (!msg) return fail('message_not_found');
      // Slack's form: a reply's link names its thread, so following it opens the thread.
      const thread = msg.thread_ts && msg.thread_ts !== msg.ts ? `?thread_ts=${msg.thread_ts}&cid=${msg.channel}` : '';
      const origin = state.permalinkOrigin ?? 'https://fake-team.slack.com';
      return { ok: true, channel: msg.channel, permalink: `${origin}/archives/${msg.channel}/p${msg.ts.replace('.', '')}${thread}` };
    },

    'conversations.info': (b) => {
      const id = str(b.channel) ?? '';
      const known = state.channels ? state.channels[id] : /^[CGD][A-Z0-9]+$/.test(id) ? {} : undefined;
      if (!known) return fail('channel_not_found');
      return { ok: true, channel: { id, name: id.toLowerCase(), is_channel: true, is_member: false, is_archived: Boolean(known.archived) } };
    },

    // The channel's own timeline, newest first: top-level messages and replies broadcast to it, not other replies.
    'conversations.history': (b) => {
      const channel = str(b.channel);
      if (!channel || (state.channels && !state.channels[channel])) return fail('channel_not_found');
      const timeline = state.messages.filter((m) => m.channel === channel && (!m.thread_ts || m.thread_ts === m.ts || m.reply_broadcast));
      return page(timeline.sort((x, y) => (tsMicros(y.ts) > tsMicros(x.ts) ? 1 : -1)), b, 999);
    },

    // A thread, oldest first: the parent, then its replies.
    'conversations.replies': (b) => {
      const channel = str(b.channel) ?? '';
      const ts = str(b.ts) ?? '';
      const parent = state.message(channel, ts);
      if (!parent) return fail('thread_not_found');
      const root = parent.thread_ts ?? parent.ts;
      const thread = state.messages.filter((m) => m.channel === channel && (m.ts === root || m.thread_ts === root));
      return page(thread.sort((x, y) => (tsMicros(x.ts) > tsMicros(y.ts) ? 1 : -1)), b, 1000);
    },

    'usergroups.users.list': (b) => {
      const users = state.usergroups[str(b.usergroup) ?? ''];
      return users ? { ok: true, users } : fail('no_such_subteam');
    },

    'users.info': (b) => {
      const id = str(b.user) ?? '';
      if (!/^[UW][A-Z0-9]+$/.test(id)) return fail('user_not_found');
      // Unconfigured users get a name derived from the id, so tests need configure only what they assert.
      const known = state.users[id] ?? { name: id.toLowerCase() };
      const real = known.real_name ?? known.name;
      const profile = { real_name: real, display_name: known.name };
      const guest = { is_restricted: known.is_restricted ?? false, is_ultra_restricted: known.is_ultra_restricted ?? false, deleted: known.deleted ?? false };
      return { ok: true, user: { id, team_id: known.team_id ?? BOT.team_id, name: known.name, real_name: real, is_bot: false, tz: 'UTC', profile, ...guest } };
    },

    // A direct message with one user: its id is stable per user, like Slack's D… ids.
    'conversations.open': (b) => {
      const users = (str(b.users) ?? '').split(',').filter(Boolean);
      if (users.length !== 1 || !/^[UW][A-Z0-9]+$/.test(users[0]!)) return fail(users.length === 0 ? 'users_list_not_supplied' : 'not_supported');
      return { ok: true, channel: { id: `D${users[0]!.slice(1)}` } };
    },

    'views.open': (b) => openView('views.open', b),
    'views.push': (b) => openView('views.push', b),

    'views.update': (b) => {
      const found = state.views.find((v) => (b.view_id && v.id === b.view_id) || (b.external_id && v.external_id === b.external_id));
      if (!found) return fail('not_found');
      if (b.hash && b.hash !== found.hash) return fail('hash_conflict');
      const invalid = viewProblems(b.view);
      if (invalid) return invalid;
      found.history.push(found.view);
      Object.assign(found, { view: b.view as Json, hash: state.nextId('h') });
      return { ok: true, view: { ...found.view, id: found.id, hash: found.hash } };
    },

    'views.publish': (b) => {
      const user_id = str(b.user_id);
      if (!user_id) return fail('user_not_found');
      const invalid = viewProblems(b.view);
      if (invalid) return invalid;
      let home = state.views.find((v) => v.method === 'views.publish' && v.user_id === user_id);
      if (home) home.history.push(home.view);
      else state.views.push((home = { id: state.nextId('V'), method: 'views.publish', user_id, view: {}, hash: '', history: [] }));
      Object.assign(home, { view: b.view as Json, hash: state.nextId('h') });
      return { ok: true, view: { ...home.view, id: home.id, hash: home.hash } };
    },

    'files.getUploadURLExternal': (b) => {
      const filename = str(b.filename);
      const length = Number(b.length);
      if (!filename || !Number.isInteger(length) || length < 1) return fail('invalid_arguments');
      const id = state.nextId('F');
      state.files.push({ id, filename, length, completed: false });
      return { ok: true, upload_url: `${state.origin}/upload/${id}`, file_id: id };
    },

    'files.completeUploadExternal': (b) => {
      const wanted = Array.isArray(b.files) ? (b.files as Array<{ id: string; title?: string }>) : [];
      const found = wanted.map((w) => ({ w, file: state.files.find((f) => f.id === w.id && f.bytes) }));
      if (wanted.length === 0 || found.some((f) => !f.file)) return fail('file_not_found');
      const where = { channel_id: str(b.channel_id), thread_ts: str(b.thread_ts), initial_comment: str(b.initial_comment) };
      const done = found.map(({ w, file }) => Object.assign(file!, where, { title: w.title ?? file!.filename, completed: true, shared_ts: state.nextTs() }));
      return { ok: true, files: done.map((f) => ({ id: f.id, name: f.filename, title: f.title, size: f.bytes?.length })) };
    },
  };
}
