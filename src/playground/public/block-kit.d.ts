/** Types of ./block-kit.js (the page's Block Kit renderer), for the unit tests. */
export interface RenderContext {
  userName?: (id: string) => string;
  channelName?: (id: string) => string;
}
export const EMOJI: Record<string, string>;
export function escapeHtml(value: unknown): string;
export function safeUrl(url: unknown): string | undefined;
export function emojify(escaped: string): string;
export function mrkdwn(text: string | undefined, ctx?: RenderContext): string;
export function textObject(obj: { type: string; text: string } | undefined, ctx?: RenderContext): string;
export function renderBlocks(blocks: unknown[] | undefined, text: string | undefined, ctx?: RenderContext): string;
