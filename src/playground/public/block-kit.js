// Renders Slack Block Kit and a mrkdwn subset to HTML strings, for the playground page.
// Every piece of text is escaped before any tag is added, and links only keep http(s)/mailto
// URLs, so nothing a message contains can become markup or script. No dependencies.
/* global URL */

/** Shortcodes Cutover's views use, as emoji; others stay `:name:`. */
export const EMOJI = {
  white_check_mark: '✅', heavy_check_mark: '✔️', ballot_box_with_check: '☑️', x: '❌', warning: '⚠️',
  no_entry: '⛔', no_entry_sign: '🚫', mag: '🔍', hourglass: '⌛', hourglass_flowing_sand: '⏳',
  rotating_light: '🚨', rocket: '🚀', octagonal_sign: '🛑', eyes: '👀', arrows_counterclockwise: '🔄',
  wrench: '🔧', twisted_rightwards_arrows: '🔀', stopwatch: '⏱️', gear: '⚙️', old_key: '🗝️', mute: '🔇',
  construction: '🚧', alarm_clock: '⏰', white_small_square: '▫️', wastebasket: '🗑️', scroll: '📜',
  scissors: '✂️', repeat: '🔁', paperclip: '📎', page_facing_up: '📄', outbox_tray: '📤', link: '🔗',
  leftwards_arrow_with_hook: '↩️', large_orange_diamond: '🔶', large_green_circle: '🟢', red_circle: '🔴',
  large_yellow_circle: '🟡', fast_forward: '⏩', checkered_flag: '🏁', calendar: '📆', boom: '💥',
  bell: '🔔', bar_chart: '📊', tada: '🎉', thumbsup: '👍', '+1': '👍', lock: '🔒', clipboard: '📋',
  large_blue_circle: '🔵', white_circle: '⚪', black_circle: '⚫', heavy_minus_sign: '➖', sns: '📣',
  memo: '📝', moneybag: '💰', chart_with_upwards_trend: '📈', chart_with_downwards_trend: '📉', money_with_wings: '💸',
  heavy_dollar_sign: '💲', hammer_and_wrench: '🛠️', information_source: 'ℹ️', question: '❓', grey_question: '❔',
  exclamation: '❗', bangbang: '‼️', sparkles: '✨', file_folder: '📁', open_file_folder: '📂',
  card_index_dividers: '🗂️', inbox_tray: '📥', pushpin: '📌', round_pushpin: '📍', bust_in_silhouette: '👤',
  busts_in_silhouette: '👥', speech_balloon: '💬', zzz: '💤', clock1: '🕐', timer_clock: '⏲️', shield: '🛡️',
  key: '🔑', unlock: '🔓', recycle: '♻️', arrow_right: '➡️', arrow_left: '⬅️', arrow_up: '⬆️', arrow_down: '⬇️',
  heavy_plus_sign: '➕', heavy_multiplication_x: '✖️', stop_sign: '🛑', pencil: '✏️',
  pencil2: '✏️', triangular_flag_on_post: '🚩', traffic_light: '🚥', vertical_traffic_light: '🚦', package: '📦',
  snowflake: '❄️', fire: '🔥', bulb: '💡', dart: '🎯', books: '📚', book: '📖', bookmark_tabs: '📑', mailbox: '📫',
  envelope: '✉️', email: '📧', telephone_receiver: '📞', satellite: '📡', electric_plug: '🔌', battery: '🔋',
  floppy_disk: '💾', cd: '💿', dvd: '💿', computer: '💻', desktop_computer: '🖥️', thinking_face: '🤔',
  raised_hand: '✋', wave: '👋', ok_hand: '👌', pray: '🙏', thumbsdown: '👎', '-1': '👎', muscle: '💪',
};

const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** Only web and mail links survive; anything else (javascript:, data:, …) is dropped. */
export function safeUrl(url) {
  try {
    const parsed = new URL(String(url));
    return ['http:', 'https:', 'mailto:'].includes(parsed.protocol) ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

export function emojify(escaped) {
  return escaped.replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] ?? m);
}

/** Slack escapes these three in message text; undo that before escaping for HTML. */
function unslack(text) {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** mrkdwn -> HTML: ```pre```, `code`, *bold*, _italic_, ~strike~, <url|text>, <@U…>, <#C…>, <!date…>, :emoji:, > quotes. */
export function mrkdwn(text, ctx = {}) {
  const slots = [];
  const hold = (html) => `\uE000${slots.push(html) - 1}\uE000`;
  let s = String(text ?? '').replace(/\uE000/g, '');
  s = s.replace(/```\n?([\s\S]*?)```/g, (_, code) => hold(`<pre>${escapeHtml(unslack(code))}</pre>`));
  s = s.replace(/`([^`\n]+)`/g, (_, code) => hold(`<code>${escapeHtml(unslack(code))}</code>`));
  s = s.replace(/<([^<>\n]+)>/g, (_, inner) => hold(special(inner, ctx)));
  s = inline(escapeHtml(unslack(s)));
  s = s.replace(/(^|\n)&gt; ?([^\n]*)/g, (_, start, line) => `${start}<blockquote>${line}</blockquote>`);
  s = s.replace(/\n/g, '<br>');
  return s.replace(/\uE000(\d+)\uE000/g, (_, i) => slots[Number(i)]);
}

function inline(escaped) {
  return emojify(escaped)
    .replace(/(^|[^\w*])\*(?!\s)([^*\n]+?)\*(?![\w*])/g, '$1<b>$2</b>')
    .replace(/(^|[^\w])_(?!\s)([^_\n]+?)_(?!\w)/g, '$1<i>$2</i>')
    .replace(/(^|[^\w~])~(?!\s)([^~\n]+?)~(?![\w~])/g, '$1<s>$2</s>');
}

/** The inside of `<…>`: a link, a mention, a channel, a special mention or a date. */
function special(inner, ctx) {
  const [target, label] = splitOnce(inner, '|');
  if (target.startsWith('@')) {
    const id = target.slice(1);
    return `<span class="mention">@${escapeHtml(label ?? ctx.userName?.(id) ?? id)}</span>`;
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    return `<span class="mention">#${escapeHtml(label ?? ctx.channelName?.(id) ?? id)}</span>`;
  }
  if (target.startsWith('!date^')) return escapeHtml(formatDate(target, label));
  if (target.startsWith('!')) return `<span class="mention">@${escapeHtml(label ?? target.slice(1).split('^')[0])}</span>`;
  const url = safeUrl(unslack(target));
  const shown = inline(escapeHtml(unslack(label ?? target)));
  return url ? `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${shown}</a>` : shown;
}

function splitOnce(text, sep) {
  const i = text.indexOf(sep);
  return i < 0 ? [text, undefined] : [text.slice(0, i), text.slice(i + 1)];
}

/** `!date^<unix>^<format>` with the tokens Cutover uses; the fallback otherwise. */
function formatDate(target, fallback) {
  const [, seconds, format = ''] = target.split('^');
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime())) return fallback ?? '';
  const day = date.toLocaleDateString('en-GB', { day: 'numeric', month: 'short' });
  const time = date.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  return format.replace(/\{date_short_pretty\}|\{date_pretty\}|\{date_short\}|\{date\}|\{date_long\}|\{date_num\}/g, day).replace(/\{time(_secs)?\}/g, time);
}

/** A text object: mrkdwn is formatted, plain_text escaped (emoji shortcodes still shown). */
export function textObject(obj, ctx) {
  if (!obj) return '';
  if (obj.type === 'mrkdwn') return mrkdwn(obj.text, ctx);
  return emojify(escapeHtml(obj.text)).replace(/\n/g, '<br>');
}

const at = (b, e) => `data-block="${b}" data-element="${e}"`;

function element(el, b, e, ctx) {
  switch (el.type) {
    case 'button': {
      const style = ['primary', 'danger'].includes(el.style) ? ` ${el.style}` : '';
      const url = el.url ? safeUrl(el.url) : undefined;
      const label = textObject(el.text, ctx);
      if (url) return `<a class="bk-button${style}" href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer" ${at(b, e)}>${label}</a>`;
      // The whole confirm object travels with the button; the page renders it as Slack does (title, formatted text, labels).
      const confirm = el.confirm ? ` data-confirm="${escapeHtml(JSON.stringify(el.confirm))}"` : '';
      return `<button type="button" class="bk-button${style}" ${at(b, e)}${confirm}>${label}</button>`;
    }
    case 'static_select': {
      const options = (el.options ?? []).map((o) => `<option value="${escapeHtml(o.value)}">${escapeHtml(o.text?.text)}</option>`).join('');
      return `<select class="bk-select" ${at(b, e)}><option value="">${escapeHtml(el.placeholder?.text ?? 'Select…')}</option>${options}</select>`;
    }
    case 'image':
      return image(el.image_url, el.alt_text, 'bk-inline-image');
    case 'mrkdwn':
    case 'plain_text':
      return `<span>${textObject(el, ctx)}</span>`;
    default:
      return `<span class="bk-unsupported">[${escapeHtml(el.type)}]</span>`;
  }
}

function image(src, alt, cls) {
  const url = safeUrl(src);
  return url ? `<img class="${cls}" src="${escapeHtml(url)}" alt="${escapeHtml(alt)}">` : `<span class="bk-unsupported">[image: ${escapeHtml(alt)}]</span>`;
}

/** An input block's element, named by block_id/action_id so the page can collect its value. */
function input(block, b, ctx) {
  const el = block.element ?? {};
  const ids = `data-block-id="${escapeHtml(block.block_id ?? `b${b}`)}" data-action-id="${escapeHtml(el.action_id ?? '')}" data-type="${escapeHtml(el.type)}"`;
  const placeholder = escapeHtml(el.placeholder?.text ?? '');
  const initial = escapeHtml(el.initial_value ?? '');
  let control;
  if (el.type === 'plain_text_input') {
    control = el.multiline
      ? `<textarea class="bk-input" ${ids} placeholder="${placeholder}">${initial}</textarea>`
      : `<input class="bk-input" ${ids} placeholder="${placeholder}" value="${initial}">`;
  } else if (el.type === 'static_select') {
    const options = (el.options ?? []).map((o) => `<option value="${escapeHtml(o.value)}">${escapeHtml(o.text?.text)}</option>`).join('');
    control = `<select class="bk-input" ${ids}><option value="">${placeholder || 'Select…'}</option>${options}</select>`;
  } else control = `<span class="bk-unsupported">[${escapeHtml(el.type)}]</span>`;
  const hint = block.hint ? `<div class="bk-hint">${textObject(block.hint, ctx)}</div>` : '';
  const optional = block.optional ? ' <span class="bk-hint">(optional)</span>' : '';
  return `<label class="bk-label">${textObject(block.label, ctx)}${optional}</label>${control}${hint}<div class="bk-error" data-error-for="${escapeHtml(block.block_id ?? `b${b}`)}"></div>`;
}

function block(bl, b, ctx) {
  switch (bl.type) {
    case 'header':
      return `<div class="bk-header">${textObject(bl.text, ctx)}</div>`;
    case 'section': {
      const text = bl.text ? `<div class="bk-text">${textObject(bl.text, ctx)}</div>` : '';
      const fields = bl.fields?.length ? `<div class="bk-fields">${bl.fields.map((f) => `<div>${textObject(f, ctx)}</div>`).join('')}</div>` : '';
      const accessory = bl.accessory ? `<div class="bk-accessory">${element(bl.accessory, b, -1, ctx)}</div>` : '';
      return `<div class="bk-section"><div class="bk-body">${text}${fields}</div>${accessory}</div>`;
    }
    case 'context':
      return `<div class="bk-context">${(bl.elements ?? []).map((el, e) => element(el, b, e, ctx)).join('')}</div>`;
    case 'divider':
      return '<hr class="bk-divider">';
    case 'actions':
      return `<div class="bk-actions">${(bl.elements ?? []).map((el, e) => element(el, b, e, ctx)).join('')}</div>`;
    case 'image': {
      const title = bl.title ? `<div class="bk-image-title">${textObject(bl.title, ctx)}</div>` : '';
      return `<div class="bk-image">${title}${image(bl.image_url, bl.alt_text, 'bk-image-img')}</div>`;
    }
    case 'input':
      return `<div class="bk-input-block">${input(bl, b, ctx)}</div>`;
    default:
      return `<div class="bk-unsupported">[unsupported block: ${escapeHtml(bl.type)}]</div>`;
  }
}

/** A message's or a view's blocks; without blocks, the message's `text` as mrkdwn. */
export function renderBlocks(blocks, text, ctx = {}) {
  if (!Array.isArray(blocks) || blocks.length === 0) return `<div class="bk-text">${mrkdwn(text ?? '', ctx)}</div>`;
  return blocks.map((bl, b) => block(bl ?? {}, b, ctx)).join('');
}
