// The playground page: a Slack-like channel for the Cutover bot. State arrives as server-sent
// events from the playground's Slack emulator; what people do goes back as JSON to /playground/*,
// where it becomes the signed requests Slack would send the app.
/* global document, fetch, EventSource, requestAnimationFrame, CSS, URL, URLSearchParams, history, location */
import { escapeHtml, mrkdwn, renderBlocks, textObject } from './block-kit.js';

const $ = (sel) => document.querySelector(sel);
const state = { users: [], channels: [], pipelines: [], messages: new Map(), ephemerals: [], views: new Map(), files: [], user: '', channel: '', thread: undefined, tab: 'channel' };
const key = (channel, ts) => `${channel}/${ts}`;
const userById = (id) => state.users.find((u) => u.id === id);
const ctx = { userName: (id) => userById(id)?.realName ?? id, channelName: (id) => state.channels.find((c) => c.id === id)?.name ?? id };

async function send(action, body) {
  const res = await fetch(`/playground/${action}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: state.user, ...body }) });
  return res.json();
}

function apply(event) {
  if (event.type === 'message') state.messages.set(key(event.message.channel, event.message.ts), event.message);
  else if (event.type === 'message-deleted') state.messages.delete(key(event.channel, event.ts));
  else if (event.type === 'ephemeral') state.ephemerals = [...state.ephemerals.filter((e) => e.message_ts !== event.ephemeral.message_ts), event.ephemeral];
  else if (event.type === 'view') state.views.set(event.view.id, event.view);
  else if (event.type === 'view-closed') state.views.delete(event.id);
  else if (event.type === 'file') state.files = [...state.files.filter((f) => f.id !== event.file.id), event.file];
  scheduleRender();
}

function connect() {
  const source = new EventSource('/playground/events');
  source.addEventListener('snapshot', (e) => {
    const snap = JSON.parse(e.data);
    Object.assign(state, { users: snap.users, channels: snap.channels, pipelines: snap.pipelines, ephemerals: snap.ephemerals, files: snap.files, permalinkOrigin: snap.permalinkOrigin });
    state.messages = new Map(snap.messages.map((m) => [key(m.channel, m.ts), m]));
    state.views = new Map(snap.views.map((v) => [v.id, v]));
    state.user ||= snap.users[0]?.id;
    state.channel ||= snap.channels[0]?.id;
    renderChrome();
    // Opened from a permalink (a new tab, a reload): show that message once the state is in.
    if (location.pathname.startsWith('/archives/')) {
      openPermalink(new URL(location.href));
      history.replaceState(null, '', '/');
    }
    scheduleRender();
  });
  source.onmessage = (e) => apply(JSON.parse(e.data));
}

let pending = false;
function scheduleRender() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    render();
  });
}

function renderChrome() {
  $('#user').innerHTML = state.users.map((u) => `<option value="${escapeHtml(u.id)}">${escapeHtml(u.realName)} — ${escapeHtml(u.role)}</option>`).join('');
  $('#user').value = state.user;
  $('#pipelines').innerHTML = state.pipelines.map((p) => `<li><code>${escapeHtml(p)}</code></li>`).join('');
}

function render() {
  $('#channels').innerHTML = state.channels.map((c) => `<li><a href="#" data-goto-channel="${escapeHtml(c.id)}" class="${state.tab === 'channel' && c.id === state.channel ? 'active' : ''}"># ${escapeHtml(c.name)}</a></li>`).join('');
  $('#home-link').classList.toggle('active', state.tab === 'home');
  $('#title').textContent = state.tab === 'home' ? 'Cutover · Home' : `# ${ctx.channelName(state.channel)}`;
  document.body.dataset.tab = state.tab;
  const home = [...state.views.values()].find((v) => v.method === 'views.publish' && v.user_id === state.user);
  $('#home').innerHTML = home ? `<div class="view-body" data-view="${escapeHtml(home.id)}">${renderBlocks(home.view.blocks, '', ctx)}</div>` : '<p class="empty">Nothing published on the Home tab yet.</p>';
  renderList($('#messages'), timeline());
  renderThread();
  renderModal();
  showHighlight();
}

/** Scrolls to and marks the message a permalink pointed at, once it is on the page. */
function showHighlight() {
  if (!state.highlight) return;
  const [channel, ts] = state.highlight.split('/');
  const found = [...document.querySelectorAll('.message[data-ts]')].filter((el) => el.dataset.channel === channel && el.dataset.ts === ts);
  if (found.length === 0) return;
  for (const el of found) {
    el.classList.add('highlight');
    el.scrollIntoView({ block: 'center' });
  }
  state.highlight = undefined;
}

const isReply = (m) => m.thread_ts && m.thread_ts !== m.ts;
const mine = (e) => e.user === state.user;

/** The channel: top-level messages, broadcast replies, and this person's ephemerals, by time. */
function timeline() {
  const messages = [...state.messages.values()].filter((m) => m.channel === state.channel && (!isReply(m) || m.reply_broadcast));
  const ephemerals = state.ephemerals.filter((e) => e.channel === state.channel && mine(e) && !e.thread_ts).map((e) => ({ ...e, ts: e.message_ts, ephemeral: true }));
  const files = state.files.filter((f) => f.channel_id === state.channel && !f.thread_ts).map(fileItem);
  return [...messages, ...ephemerals, ...files].sort((a, b) => String(a.ts).localeCompare(String(b.ts)));
}

function threadItems(ts) {
  const replies = [...state.messages.values()].filter((m) => m.channel === state.channel && m.thread_ts === ts && m.ts !== ts);
  const ephemerals = state.ephemerals.filter((e) => e.channel === state.channel && e.thread_ts === ts && mine(e)).map((e) => ({ ...e, ts: e.message_ts, ephemeral: true }));
  const files = state.files.filter((f) => f.channel_id === state.channel && f.thread_ts === ts).map(fileItem);
  return [...replies, ...ephemerals, ...files].sort((a, b) => String(a.ts).localeCompare(String(b.ts)));
}

/** A shared file sits in the timeline at the moment it was shared, like any message. */
const fileItem = (f) => ({ ts: f.shared_ts ?? '0', file: f });

const clock = (ts) => new Date(Number(ts) * 1000).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });

function renderList(el, items) {
  const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
  // Files of one upload share its comment: show it once, above the first.
  items.forEach((m, i) => {
    if (m.file) m.sameUpload = Boolean(items[i - 1]?.file && items[i - 1].file.initial_comment === m.file.initial_comment);
  });
  el.innerHTML = items.map(renderItem).join('') || '<p class="empty">No messages yet. Try <code>/pipeline help</code>.</p>';
  if (atBottom) el.scrollTop = el.scrollHeight;
}

function renderItem(m) {
  if (m.file) {
    const when = m.file.shared_ts ? ` <span class="time">${clock(m.file.shared_ts)}</span>` : '';
    const head = m.sameUpload ? '' : `<div class="meta"><b>Cutover</b> <span class="app">APP</span>${when}</div>${m.file.initial_comment ? `<div>${mrkdwn(m.file.initial_comment, ctx)}</div>` : ''}`;
    return `<div class="message file">${head}<a class="attachment" href="/files/${encodeURIComponent(m.file.id)}">📄 ${escapeHtml(m.file.title ?? m.file.filename)} <span class="time">${escapeHtml(m.file.filename)}</span></a></div>`;
  }
  const bot = !m.ephemeral && m.bot_id;
  const author = m.ephemeral ? (m.author ? ctx.userName(m.author) : 'Cutover') : bot ? 'Cutover' : ctx.userName(m.user);
  const time = clock(m.ts);
  const replies = m.ephemeral ? 0 : [...state.messages.values()].filter((r) => r.channel === m.channel && r.thread_ts === m.ts && r.ts !== m.ts).length + state.files.filter((f) => f.channel_id === m.channel && f.thread_ts === m.ts).length;
  const thread = replies > 0 ? `<a href="#" class="replies" data-open-thread="${escapeHtml(m.ts)}">${replies} repl${replies === 1 ? 'y' : 'ies'}</a>` : '';
  const broadcast = m.reply_broadcast && isReply(m) ? `<div class="broadcast">replied to a thread: <a href="#" data-open-thread="${escapeHtml(m.thread_ts)}">view thread</a></div>` : '';
  const note = m.ephemeral ? '<div class="only-you">Only visible to you</div>' : '';
  const body = m.author ? `<code>${escapeHtml(m.text)}</code>` : renderBlocks(m.blocks, m.text, ctx);
  return `<div class="message${m.ephemeral ? ' ephemeral' : ''}" data-channel="${escapeHtml(m.channel)}" data-ts="${escapeHtml(m.ts)}"${isReply(m) ? ` data-thread-ts="${escapeHtml(m.thread_ts)}"` : ''}>
    <div class="meta"><b>${escapeHtml(author)}</b>${bot || (m.ephemeral && !m.author) ? ' <span class="app">APP</span>' : ''} <span class="time">${time}</span></div>
    ${note}${broadcast}<div class="blocks">${body}</div>${thread}</div>`;
}

function renderThread() {
  const ts = state.thread;
  const parent = ts && state.messages.get(key(state.channel, ts));
  $('#thread').hidden = !parent || state.tab !== 'channel';
  if (!parent) return;
  $('#thread-parent').innerHTML = renderItem({ ...parent, reply_broadcast: false });
  renderList($('#thread-replies'), threadItems(ts));
  // A thread just opened shows its latest replies, as Slack does.
  if ($('#thread').dataset.ts !== ts) $('#thread-replies').scrollTop = $('#thread-replies').scrollHeight;
  $('#thread').dataset.ts = ts;
}

function renderModal() {
  const top = [...state.views.values()].filter((v) => v.method !== 'views.publish' && v.user_id === state.user).pop();
  $('#modal').hidden = !top;
  if (!top) return;
  const v = top.view;
  $('#modal').dataset.view = top.id;
  $('#modal-title').textContent = v.title?.text ?? '';
  // Re-rendering must not wipe what someone is typing: only redraw a changed view.
  if ($('#modal-body').dataset.hash !== top.hash) {
    $('#modal-body').innerHTML = `<div class="view-body" data-view="${escapeHtml(top.id)}">${renderBlocks(v.blocks, '', ctx)}</div>`;
    $('#modal-body').dataset.hash = top.hash;
  }
  $('#modal-submit').hidden = !v.submit;
  $('#modal-submit').textContent = v.submit?.text ?? 'Submit';
  $('#modal-close').textContent = v.close?.text ?? 'Cancel';
}

function modalValues() {
  const values = {};
  for (const el of document.querySelectorAll('#modal-body [data-action-id]')) {
    const block = (values[el.dataset.blockId] ??= {});
    const type = el.dataset.type;
    if (type === 'static_select') {
      const option = el.selectedOptions[0];
      block[el.dataset.actionId] = { type, selected_option: el.value ? { text: { type: 'plain_text', text: option.textContent }, value: el.value } : null };
    } else block[el.dataset.actionId] = { type, value: el.value === '' ? null : el.value };
  }
  return values;
}

async function submitModal() {
  const viewId = $('#modal').dataset.view;
  for (const el of document.querySelectorAll('#modal-body .bk-error')) el.textContent = '';
  const answer = await send('submit', { viewId, values: modalValues() });
  for (const [blockId, message] of Object.entries(answer.errors ?? {})) {
    const slot = document.querySelector(`#modal-body [data-error-for="${CSS.escape(blockId)}"]`);
    if (slot) slot.textContent = message;
  }
  if (answer.error) $('#modal-body').insertAdjacentHTML('afterbegin', `<div class="bk-error">${escapeHtml(answer.error)}</div>`);
}

/**
 * A Slack permalink of this playground (`/archives/<channel>/p<ts digits>[?thread_ts=…]` on the
 * page's origin or the emulator's, which may name the same server as 127.0.0.1), as a URL; else undefined.
 */
function permalinkOf(anchor) {
  if (!anchor) return undefined;
  const url = new URL(anchor.href, location.href);
  const ours = url.origin === location.origin || url.origin === state.permalinkOrigin;
  return ours && /^\/archives\/[A-Z0-9]+\/p\d{7,}$/.test(url.pathname) ? url : undefined;
}

/** Shows the message a permalink points at: its channel, its thread when it has one, highlighted. */
function openPermalink(url) {
  const [, , channel, p] = url.pathname.split('/');
  const digits = p.slice(1);
  const ts = `${digits.slice(0, -6)}.${digits.slice(-6)}`;
  const threadTs = new URLSearchParams(url.search).get('thread_ts');
  const hasReplies = [...state.messages.values()].some((m) => m.channel === channel && m.thread_ts === ts && m.ts !== ts);
  Object.assign(state, { tab: 'channel', channel, thread: threadTs ?? (hasReplies ? ts : state.thread) });
  state.highlight = key(channel, ts);
}

let pendingConfirm;
/** A Block Kit `confirm` object as Slack shows it: title, formatted text, its own button labels. Resolves true on confirm. */
function confirmed(c) {
  $('#confirm-title').textContent = c.title?.text ?? 'Are you sure?';
  $('#confirm-text').innerHTML = textObject(c.text ?? { type: 'plain_text', text: '' }, ctx);
  $('#confirm-ok').textContent = c.confirm?.text ?? 'Confirm';
  $('#confirm-deny').textContent = c.deny?.text ?? 'Cancel';
  $('#confirm-ok').className = `bk-button ${c.style === 'danger' ? 'danger' : 'primary'}`;
  $('#confirm').hidden = false;
  return new Promise((resolve) => (pendingConfirm = resolve));
}

function closeConfirm(ok) {
  $('#confirm').hidden = true;
  pendingConfirm?.(ok);
  pendingConfirm = undefined;
}

/** Where a clicked element lives: a message (channel + ts) or a view (modal, Home). */
function clickTarget(el) {
  const view = el.closest('[data-view]');
  if (view) return { viewId: view.dataset.view };
  const msg = el.closest('.message');
  return { channel: msg.dataset.channel, ts: msg.dataset.ts };
}

async function composer(input, threadTs) {
  const text = input.value.trim();
  if (!text) return;
  input.value = '';
  const command = /^\/pipeline(\s+|$)/.exec(text);
  if (command) await send('command', { channel: state.channel, text: text.slice(command[0].length) });
  else if (text.startsWith('/')) state.ephemerals.push({ channel: state.channel, user: state.user, message_ts: String(Date.now() / 1000), text: `\`${text.split(/\s/)[0]}\` is not a valid command here; this playground has \`/pipeline\`.` });
  else await send('message', { channel: state.channel, text, thread_ts: threadTs });
  scheduleRender();
}

document.addEventListener('click', async (e) => {
  const el = e.target.closest('button[data-block], a[data-block]');
  const permalink = permalinkOf(e.target.closest('a[href]'));
  // A link to a message stays in the playground: it opens the channel and thread it points at.
  if (permalink) {
    e.preventDefault();
    openPermalink(permalink);
    scheduleRender();
  }
  if (el && !el.closest('#modal-footer') && !el.closest('#confirm-footer')) {
    if (el.tagName === 'BUTTON') e.preventDefault();
    if (el.dataset.confirm && !(await confirmed(JSON.parse(el.dataset.confirm)))) return;
    await send('click', { ...clickTarget(el), blockIndex: Number(el.dataset.block), elementIndex: Number(el.dataset.element) });
    return;
  }
  if (permalink) return;
  const link = e.target.closest('[data-open-thread], [data-goto-channel], #home-link');
  if (!link) return;
  e.preventDefault();
  if (link.dataset.openThread) state.thread = link.dataset.openThread;
  else if (link.id === 'home-link') {
    state.tab = 'home';
    await send('home', {});
  } else Object.assign(state, { tab: 'channel', channel: link.dataset.gotoChannel, thread: undefined });
  scheduleRender();
});

document.addEventListener('change', async (e) => {
  const el = e.target.closest('select[data-block]');
  if (el && el.value) await send('click', { ...clickTarget(el), blockIndex: Number(el.dataset.block), elementIndex: Number(el.dataset.element), selectedValue: el.value });
});

$('#user').addEventListener('change', (e) => {
  state.user = e.target.value;
  if (state.tab === 'home') void send('home', {});
  scheduleRender();
});
$('#composer').addEventListener('submit', (e) => {
  e.preventDefault();
  void composer($('#composer-input'));
});
$('#thread-composer').addEventListener('submit', (e) => {
  e.preventDefault();
  void composer($('#thread-input'), state.thread);
});
$('#thread-close').addEventListener('click', () => {
  state.thread = undefined;
  scheduleRender();
});
$('#modal-submit').addEventListener('click', () => void submitModal());
$('#confirm-ok').addEventListener('click', () => closeConfirm(true));
$('#confirm-deny').addEventListener('click', () => closeConfirm(false));
$('#modal-close').addEventListener('click', () => void send('close', { viewId: $('#modal').dataset.view }));

connect();
