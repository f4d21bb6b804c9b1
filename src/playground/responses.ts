import type { Json } from './slack-api/wire.ts';
import type { SlackEmulator } from './slack-emulator.ts';
import type { ClickedElement } from './slack-payloads.ts';

/** Where an ack body or a response_url answer goes: who acted, in which channel, on which message. */
export interface ResponseContext {
  user: string;
  channel: string;
  ts?: string;
  threadTs?: string;
  ephemeral?: boolean;
}

const truthy = (v: unknown) => v === true || v === 'true';

/**
 * What Slack does with an answer to an interaction: on a message, replace it unless
 * `replace_original: false` (or delete it); otherwise a new message, ephemeral to the person
 * unless `response_type: in_channel`, in the thread the interaction came from.
 */
export function applyResponse(emulator: SlackEmulator, ctx: ResponseContext, body: Json, botToken: string): void {
  const content = { text: typeof body.text === 'string' ? body.text : undefined, blocks: body.blocks as unknown[] | undefined };
  if (ctx.ts && truthy(body.delete_original)) return emulator.delete(ctx.channel, ctx.ts);
  if (ctx.ts && body.replace_original !== false && body.replace_original !== 'false' && !body.response_type) {
    return emulator.replace(ctx.channel, ctx.ts, content);
  }
  if (ctx.ts && truthy(body.replace_original)) return emulator.replace(ctx.channel, ctx.ts, content);
  const threadTs = typeof body.thread_ts === 'string' ? body.thread_ts : ctx.threadTs;
  if (body.response_type === 'in_channel') {
    emulator.call('chat.postMessage', { channel: ctx.channel, ...content, ...(threadTs ? { thread_ts: threadTs } : {}) }, `Bearer ${botToken}`);
    return;
  }
  emulator.addEphemeral({ channel: ctx.channel, user: ctx.user, thread_ts: threadTs, ...content });
}

/** The element at blocks[blockIndex].elements[elementIndex] (or a section's accessory), as a block_actions action. */
export function findElement(blocks: unknown[], blockIndex: number, elementIndex: number): (ClickedElement & { raw: Json }) | undefined {
  const block = blocks[blockIndex] as Json | undefined;
  if (!block) return undefined;
  const raw = (elementIndex < 0 ? block.accessory : (block.elements as Json[] | undefined)?.[elementIndex]) as Json | undefined;
  if (!raw || typeof raw.action_id !== 'string') return undefined;
  // Slack makes up a block_id when the app sets none; a stable one per position will do here.
  const blockId = typeof block.block_id === 'string' ? block.block_id : `b${blockIndex}`;
  return { raw, action_id: raw.action_id, block_id: blockId, type: String(raw.type), value: raw.value as string | undefined, text: raw.text as Json | undefined };
}
