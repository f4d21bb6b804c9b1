import { readFileSync } from 'node:fs';

/**
 * Builders of the requests Slack really sends (apis.md 5.1–5.3), starting from the JSON
 * fixtures in test/fixtures/slack/, plus request signing. Tests post these to the app's
 * `/slack/events` or hand the payload objects to handlers directly.
 */
type Json = Record<string, unknown>;

function fixture(name: string): Json {
  return JSON.parse(readFileSync(new URL(`../fixtures/slack/${name}.json`, import.meta.url), 'utf8')) as Json;
}

/** The one implementation of Slack's request signing, shared with the playground. */
export { signSlackBody, type SlackSignatureHeaders } from '../../src/playground/slack-api/sign.ts';
import { signSlackBody } from '../../src/playground/slack-api/sign.ts';

export interface SlashCommandInput {
  text: string;
  userId?: string;
  userName?: string;
  channelId?: string;
  channelName?: string;
  responseUrl?: string;
  triggerId?: string;
  teamId?: string;
  command?: string;
}

/** The fields of a `/pipeline` invocation, as Bolt hands them to a command listener. */
export function slashCommandPayload(input: SlashCommandInput): Record<string, string> {
  const base = fixture('slash-command') as Record<string, string>;
  const set = (key: string, value: string | undefined) => {
    if (value !== undefined) base[key] = value;
  };
  set('text', input.text);
  set('command', input.command);
  set('user_id', input.userId);
  set('user_name', input.userName ?? input.userId?.toLowerCase());
  set('channel_id', input.channelId);
  set('channel_name', input.channelName);
  set('response_url', input.responseUrl);
  set('trigger_id', input.triggerId);
  set('team_id', input.teamId);
  return base;
}

/** The form-urlencoded body Slack POSTs for a slash command. */
export function slashCommandBody(input: SlashCommandInput): string {
  return new URLSearchParams(slashCommandPayload(input)).toString();
}

export interface BlockActionInput {
  actionId: string;
  value?: string;
  userId?: string;
  channelId?: string;
  /** ts of the message holding the button. */
  messageTs?: string;
  /** Set when that message is a thread reply (like the failure alert). */
  threadTs?: string;
  /** The message's blocks; the clicked button's block_id, text and value are taken from them. */
  messageBlocks?: unknown[];
  messageText?: string;
  blockId?: string;
  responseUrl?: string;
  triggerId?: string;
  actionTs?: string;
}

/** A `block_actions` payload for one button click on a message. */
export function blockActionPayload(input: BlockActionInput): Json {
  const p = fixture('block-actions') as Json & { user: Json; container: Json; channel: Json; message: Json; actions: Json[] };
  const button = findButton(input.messageBlocks ?? [], input.actionId);
  const action = p.actions[0] as Json;
  const channelId = input.channelId ?? String(p.channel.id);
  const messageTs = input.messageTs ?? String(p.message.ts);
  if (input.userId) Object.assign(p.user, { id: input.userId, username: input.userId.toLowerCase(), name: input.userId.toLowerCase() });
  Object.assign(p.container, { message_ts: messageTs, channel_id: channelId }, input.threadTs ? { thread_ts: input.threadTs } : {});
  p.channel.id = channelId;
  Object.assign(p.message, { ts: messageTs, blocks: input.messageBlocks ?? [] }, input.messageText ? { text: input.messageText } : {});
  if (input.threadTs) p.message.thread_ts = input.threadTs;
  Object.assign(action, {
    action_id: input.actionId,
    block_id: input.blockId ?? button?.blockId ?? action.block_id,
    value: input.value ?? button?.element.value ?? action.value,
    text: button?.element.text ?? action.text,
    action_ts: input.actionTs ?? action.action_ts,
  });
  if (input.responseUrl) p.response_url = input.responseUrl;
  if (input.triggerId) p.trigger_id = input.triggerId;
  return p;
}

/** The form body (`payload=<json>`) Slack POSTs for a button click. */
export function blockActionBody(input: BlockActionInput): string {
  return new URLSearchParams({ payload: JSON.stringify(blockActionPayload(input)) }).toString();
}

export interface ViewSubmissionInput {
  callbackId: string;
  /** `state.values`: block_id -> action_id -> element state, e.g. `{ type: 'plain_text_input', value: 'x' }`. */
  values?: Record<string, Record<string, Json>>;
  privateMetadata?: string;
  userId?: string;
  viewId?: string;
  triggerId?: string;
  blocks?: unknown[];
  responseUrls?: Array<{ block_id: string; action_id: string; channel_id: string; response_url: string }>;
}

/** A `view_submission` payload for a modal being submitted. */
export function viewSubmissionPayload(input: ViewSubmissionInput): Json {
  const p = fixture('view-submission') as Json & { user: Json; view: Json };
  if (input.userId) Object.assign(p.user, { id: input.userId, username: input.userId.toLowerCase(), name: input.userId.toLowerCase() });
  Object.assign(p.view, {
    callback_id: input.callbackId,
    private_metadata: input.privateMetadata ?? '',
    state: { values: input.values ?? {} },
    blocks: input.blocks ?? [],
  });
  if (input.viewId) Object.assign(p.view, { id: input.viewId, root_view_id: input.viewId });
  if (input.triggerId) p.trigger_id = input.triggerId;
  if (input.responseUrls) p.response_urls = input.responseUrls;
  return p;
}

export function viewSubmissionBody(input: ViewSubmissionInput): string {
  return new URLSearchParams({ payload: JSON.stringify(viewSubmissionPayload(input)) }).toString();
}

export interface PostSignedOptions {
  secret: string;
  /** Unix seconds; defaults to now. Pass an old one to test replay rejection. */
  timestamp?: number;
  /** Defaults to form-urlencoded (commands, interactivity); Events API bodies are JSON. */
  contentType?: string;
  headers?: Record<string, string>;
}

/** POSTs `body` signed as Slack would, e.g. to the app's `/slack/events`. */
export async function postSigned(url: string, body: string, options: PostSignedOptions): Promise<Response> {
  const headers = {
    'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
    ...signSlackBody(options.secret, body, options.timestamp),
    ...options.headers,
  };
  return fetch(url, { method: 'POST', headers, body });
}

function findButton(blocks: unknown[], actionId: string): { blockId?: string; element: Json } | undefined {
  for (const block of blocks as Array<{ type?: string; block_id?: string; elements?: Json[] }>) {
    const element = block.type === 'actions' ? block.elements?.find((e) => e.action_id === actionId) : undefined;
    if (element) return { blockId: block.block_id, element };
  }
  return undefined;
}
