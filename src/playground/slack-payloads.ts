import type { StoredMessage, StoredView } from './slack-api/types.ts';
import type { Json } from './slack-api/wire.ts';
import { channelName } from './slack-emulator.ts';

/**
 * The payloads Slack sends the app, built as Slack builds them (field for field like the JSON
 * fixtures the tests use, test/fixtures/slack/), for what a person does on the page.
 */
export const TEAM = { id: 'T0TEAM', domain: 'playground' } as const;
export const APP_ID = 'A0CUTOVER';
const TOKEN = 'playground-verification-token';

const userOf = (id: string, name: string) => ({ id, username: name, name, team_id: TEAM.id });

export function slashCommand(i: { user: string; userName: string; channel: string; text: string; responseUrl: string; triggerId: string }): Record<string, string> {
  return {
    token: TOKEN,
    team_id: TEAM.id,
    team_domain: TEAM.domain,
    channel_id: i.channel,
    channel_name: channelName(i.channel),
    user_id: i.user,
    user_name: i.userName,
    command: '/pipeline',
    text: i.text,
    api_app_id: APP_ID,
    is_enterprise_install: 'false',
    response_url: i.responseUrl,
    trigger_id: i.triggerId,
  };
}

export interface ClickedElement {
  action_id: string;
  block_id?: string;
  type: string;
  value?: string;
  text?: Json;
  selected_option?: Json;
}

/** A click on a message (or ephemeral) button, or on an element inside a modal or the Home tab. */
export function blockActions(i: {
  user: string;
  userName: string;
  action: ClickedElement;
  triggerId: string;
  message?: { channel: string; message: Pick<StoredMessage, 'ts' | 'thread_ts' | 'text' | 'blocks'>; ephemeral: boolean; responseUrl: string };
  view?: StoredView;
}): Json {
  const container = i.message
    ? { type: 'message', message_ts: i.message.message.ts, channel_id: i.message.channel, is_ephemeral: i.message.ephemeral, ...(i.message.message.thread_ts ? { thread_ts: i.message.message.thread_ts } : {}) }
    : { type: 'view', view_id: i.view?.id };
  return {
    type: 'block_actions',
    user: userOf(i.user, i.userName),
    api_app_id: APP_ID,
    token: TOKEN,
    container,
    trigger_id: i.triggerId,
    team: TEAM,
    enterprise: null,
    is_enterprise_install: false,
    ...(i.message
      ? {
          channel: { id: i.message.channel, name: channelName(i.message.channel) },
          message: { type: 'message', user: 'UBOT', bot_id: 'BBOT', team: TEAM.id, ...i.message.message },
          response_url: i.message.responseUrl,
        }
      : { view: i.view ? viewPayload(i.view, {}) : undefined }),
    state: { values: {} },
    actions: [{ ...i.action, action_ts: (Date.now() / 1000).toFixed(6) }],
  };
}

export function viewSubmission(i: { user: string; userName: string; view: StoredView; values: Record<string, Record<string, Json>>; triggerId: string }): Json {
  return {
    type: 'view_submission',
    team: TEAM,
    user: userOf(i.user, i.userName),
    api_app_id: APP_ID,
    token: TOKEN,
    trigger_id: i.triggerId,
    view: viewPayload(i.view, i.values),
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

export function viewClosed(i: { user: string; userName: string; view: StoredView }): Json {
  return { type: 'view_closed', team: TEAM, user: userOf(i.user, i.userName), api_app_id: APP_ID, token: TOKEN, view: viewPayload(i.view, {}), is_cleared: false, is_enterprise_install: false };
}

/** The Events API envelope of `app_home_opened`, sent when someone opens the app's Home tab. */
export function appHomeOpened(user: string, view: StoredView | undefined): Json {
  const eventTs = (Date.now() / 1000).toFixed(6);
  return {
    token: TOKEN,
    team_id: TEAM.id,
    api_app_id: APP_ID,
    event: { type: 'app_home_opened', user, channel: 'D0CUTOVER', tab: 'home', event_ts: eventTs, ...(view ? { view: viewPayload(view, {}) } : {}) },
    type: 'event_callback',
    event_id: `Ev${Date.now().toString(36).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: TEAM.id, user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
  };
}

function viewPayload(v: StoredView, values: Record<string, Record<string, Json>>): Json {
  return {
    type: 'modal',
    private_metadata: '',
    callback_id: '',
    external_id: '',
    ...v.view,
    id: v.id,
    team_id: TEAM.id,
    hash: v.hash,
    state: { values },
    root_view_id: v.id,
    app_id: APP_ID,
    bot_id: 'BBOT',
  };
}
