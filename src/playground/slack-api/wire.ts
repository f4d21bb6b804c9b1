import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Wire-format helpers of a Slack Web API emulator (the playground's, and the tests' FakeSlack):
 * body decoding, JSON replies, Block Kit validation.
 */
export type Json = Record<string, unknown>;

/** Form fields that @slack/web-api JSON-encodes because they are nested objects. */
const JSON_FIELDS = ['blocks', 'attachments', 'view', 'files', 'metadata'];

export function fail(error: string, extra: Json = {}): Json {
  return { ok: false, error, ...extra };
}

/** A non-empty string argument (numbers count: form bodies turn everything into strings anyway). */
export function str(v: unknown): string | undefined {
  if (typeof v === 'number') return String(v);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Decodes JSON, form-urlencoded or multipart bodies (WebClient sends forms, or multipart when an
 * argument is a Buffer). `keepBinary` keeps file parts as Buffers instead of a size note.
 */
export async function parseBody(raw: Buffer, contentType = '', keepBinary = false): Promise<Json> {
  let body: Json = {};
  if (contentType.startsWith('application/json')) {
    body = raw.length > 0 ? (JSON.parse(raw.toString()) as Json) : {};
  } else if (contentType.startsWith('application/x-www-form-urlencoded')) {
    body = Object.fromEntries(new URLSearchParams(raw.toString()));
  } else if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData();
    for (const [key, value] of form) {
      if (typeof value === 'string') body[key] = value;
      else body[key] = keepBinary ? Buffer.from(await value.arrayBuffer()) : `<file ${value.size} bytes>`;
    }
  }
  for (const key of JSON_FIELDS) {
    const value = body[key];
    if (typeof value !== 'string' || !/^\s*[[{]/.test(value)) continue;
    try {
      body[key] = JSON.parse(value);
    } catch {
      // Left as a string; the block checks then report it the way Slack would.
    }
  }
  return body;
}

/** `invalid_blocks` with Slack-style messages when a message's blocks break a limit. */
export function messageProblems(body: Json): Json | undefined {
  if (typeof body.text === 'string' && body.text.length > 40_000) return fail('msg_too_long');
  if (body.blocks === undefined) return undefined;
  const problems = blockProblems(body.blocks, 50);
  if (problems.length === 0) return undefined;
  return fail('invalid_blocks', { errors: problems, response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } });
}

/** The same for a modal or Home view: 100 blocks, title up to 24 characters. */
export function viewProblems(view: unknown): Json | undefined {
  if (!view || typeof view !== 'object') return fail('invalid_arguments');
  const v = view as Json;
  const title = (v.title as { text?: string } | undefined)?.text ?? '';
  const problems = blockProblems(v.blocks ?? [], 100);
  if (title.length > 24) problems.push('must be less than 25 characters [json-pointer:/view/title/text]');
  return problems.length > 0 ? fail('invalid_blocks', { errors: problems }) : undefined;
}

/** The Block Kit limits of apis.md 5.7, reported with Slack's json-pointer style messages. */
export function blockProblems(blocks: unknown, max: number): string[] {
  if (!Array.isArray(blocks)) return ['must be an array [json-pointer:/blocks]'];
  const problems: string[] = [];
  const tooLong = (text: unknown, limit: number, at: string) => {
    if (typeof text === 'string' && text.length > limit) problems.push(`must be less than ${limit + 1} characters [json-pointer:${at}]`);
  };
  const tooMany = (items: unknown[], limit: number, at: string) => {
    if (items.length > limit) problems.push(`no more than ${limit} items allowed [json-pointer:${at}]`);
  };
  tooMany(blocks, max, '/blocks');
  const ids = new Set<string>();
  blocks.forEach((block: Json, i) => {
    const at = `/blocks/${i}`;
    if (typeof block.block_id === 'string') {
      if (ids.has(block.block_id)) problems.push(`duplicate block_id ${block.block_id} [json-pointer:${at}/block_id]`);
      ids.add(block.block_id);
      tooLong(block.block_id, 255, `${at}/block_id`);
    }
    const text = (block.text as Json | undefined)?.text;
    const elements = (block.elements ?? []) as Json[];
    switch (block.type) {
      case 'section': {
        const fields = (block.fields ?? []) as Json[];
        if (text === undefined && fields.length === 0) problems.push(`must provide text or fields [json-pointer:${at}]`);
        if (text === '') problems.push(`must be more than 0 characters [json-pointer:${at}/text/text]`);
        tooLong(text, 3000, `${at}/text/text`);
        tooMany(fields, 10, `${at}/fields`);
        fields.forEach((f, j) => tooLong(f.text, 2000, `${at}/fields/${j}/text`));
        break;
      }
      case 'header':
        tooLong(text, 150, `${at}/text/text`);
        break;
      case 'context':
        tooMany(elements, 10, `${at}/elements`);
        break;
      case 'actions':
        tooMany(elements, 25, `${at}/elements`);
        elements.forEach((e, j) => buttonProblems(e, `${at}/elements/${j}`, tooLong));
        break;
      default:
        if (typeof block.type !== 'string') problems.push(`missing required field: type [json-pointer:${at}]`);
    }
  });
  return problems;
}

function buttonProblems(e: Json, at: string, tooLong: (text: unknown, limit: number, at: string) => void): void {
  tooLong((e.text as Json | undefined)?.text, 75, `${at}/text/text`);
  tooLong(e.value, 2000, `${at}/value`);
  tooLong(e.action_id, 255, `${at}/action_id`);
  tooLong(e.url, 3000, `${at}/url`);
  const confirm = e.confirm as Record<string, Json | undefined> | undefined;
  tooLong(confirm?.title?.text, 100, `${at}/confirm/title/text`);
  tooLong(confirm?.text?.text, 300, `${at}/confirm/text/text`);
}
