import type { Json } from './wire.ts';

/**
 * What a Slack Web API emulator keeps: the playground's emulator and the tests' FakeSlack
 * (test/fakes/slack-server.ts) both hold this state, and share the method implementations
 * in ./methods.ts.
 */
export interface StoredMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  reply_broadcast: boolean;
  text?: string;
  blocks?: unknown[];
  user: string;
  bot_id: string;
  /** Message metadata (`chat.postMessage`/`chat.update` `metadata`), returned by history reads that ask for it. */
  metadata?: MessageMetadata;
  /** Earlier versions, oldest first; the fields above are the current one. */
  history: Array<{ text?: string; blocks?: unknown[]; at: number }>;
}

export interface MessageMetadata {
  event_type: string;
  event_payload: Json;
}

export interface StoredEphemeral {
  channel: string;
  user: string;
  message_ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown[];
}

export interface StoredFile {
  id: string;
  filename: string;
  length: number;
  title?: string;
  bytes?: Buffer;
  completed: boolean;
  channel_id?: string;
  thread_ts?: string;
  initial_comment?: string;
  /** When it was shared (a message ts, so files and messages order together). */
  shared_ts?: string;
}

export interface StoredView {
  id: string;
  method: string;
  view: Json;
  user_id?: string;
  external_id?: string;
  hash: string;
  history: Json[];
}

/** The state the Web API methods read and change. */
/** What `users.info` answers for a configured user (others get a name from their id, in the bot's team). */
export interface SlackUser {
  name: string;
  real_name?: string;
  /** Another team's id: a Slack Connect user. Default: the bot's team. */
  team_id?: string;
  /** Guests: multi-channel (`is_restricted`) and single-channel (`is_ultra_restricted`). */
  is_restricted?: boolean;
  is_ultra_restricted?: boolean;
  deleted?: boolean;
}

export interface SlackState {
  messages: StoredMessage[];
  ephemerals: StoredEphemeral[];
  files: StoredFile[];
  views: StoredView[];
  usergroups: Record<string, string[]>;
  users: Record<string, SlackUser>;
  readonly usedTriggers: Set<string>;
  /** `http://host:port` the emulator is reached at; upload URLs are built on it. */
  origin: string;
  /** Channels that exist; undefined: every well-formed channel id does (conversations.info). */
  channels?: Record<string, { archived?: boolean }>;
  /** Where permalinks point; default `https://fake-team.slack.com`. The playground points them at its own page. */
  permalinkOrigin?: string;
  message(channel: string, ts: string): StoredMessage | undefined;
  nextTs(): string;
  nextId(prefix: string): string;
}
