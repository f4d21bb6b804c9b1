import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMOJI, escapeHtml, mrkdwn, renderBlocks, safeUrl } from '../../../src/playground/public/block-kit.js';

/** Every tag in the output is the renderer's own: known names, known attributes, safe URLs. */
function unsafeMarkup(html: string): string[] {
  const tags = new Set(['a', 'b', 'i', 's', 'code', 'pre', 'br', 'span', 'div', 'blockquote', 'button', 'img', 'hr', 'select', 'option', 'label', 'input', 'textarea']);
  const attrs = new Set(['href', 'target', 'rel', 'class', 'src', 'alt', 'type', 'value', 'placeholder', 'data-block', 'data-element', 'data-confirm', 'data-block-id', 'data-action-id', 'data-type', 'data-error-for']);
  const problems: string[] = [];
  for (const [, name = '', rest = ''] of html.matchAll(/<\/?([a-z]+)([^>]*)>/gi)) {
    if (!tags.has(name.toLowerCase())) problems.push(`tag ${name}`);
    for (const [, attr = '', value = ''] of rest.matchAll(/\s([^\s=]+)="([^"]*)"/g)) {
      if (!attrs.has(attr)) problems.push(`attribute ${attr}`);
      if ((attr === 'href' || attr === 'src') && !/^(https?|mailto):/.test(value)) problems.push(`url ${value}`);
    }
    if (/["']\s*on\w+\s*=|\son\w+\s*=/.test(rest.replace(/"[^"]*"/g, '""'))) problems.push(`handler in ${rest}`);
  }
  return problems;
}

const ctx = { userName: (id: string) => ({ U0ALICE: 'Alice' })[id] ?? id, channelName: (id: string) => id.slice(2).toLowerCase() };

/** Every `:shortcode:` in the TypeScript under `dir` (a word or `}` right before or after it means a key like `a:b:c`, not an emoji). */
function shortcodesUnder(dir: string): Set<string> {
  const found = new Set<string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const text = readFileSync(join(entry.parentPath, entry.name), 'utf8');
    for (const [, name = ''] of text.matchAll(/(?<![\w}]):([a-z][a-z0-9_+-]*):(?![\w{])/g)) found.add(name);
  }
  return found;
}

describe('the page renders mrkdwn', () => {
  it('shows every emoji shortcode the bot writes as an emoji, not as :name:', () => {
    const used = new Set([...shortcodesUnder('src/slack'), ...shortcodesUnder('src/jobs'), ...shortcodesUnder('src/commands'), ...shortcodesUnder('src/handlers')]);
    expect(used.has('memo')).toBe(true); // the scan sees what the views write
    expect([...used].filter((name) => !(name in EMOJI))).toEqual([]);
  });

  it('formats the subset Cutover uses', () => {
    expect(mrkdwn('*bold* _italic_ ~gone~ `code`')).toBe('<b>bold</b> <i>italic</i> <s>gone</s> <code>code</code>');
    expect(mrkdwn('```a\n*not bold*```')).toBe('<pre>a\n*not bold*</pre>');
    expect(mrkdwn('<https://example.com/run?a=1&amp;b=2|open *run*>')).toBe('<a href="https://example.com/run?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">open <b>run</b></a>');
    expect(mrkdwn('by <@U0ALICE> in <#C0PIPELINES>', ctx)).toBe('by <span class="mention">@Alice</span> in <span class="mention">#pipelines</span>');
    expect(mrkdwn(':white_check_mark: done :unknown_emoji:')).toBe('✅ done :unknown_emoji:');
    expect(mrkdwn('one\ntwo')).toBe('one<br>two');
  });

  it('leaves snake_case and arithmetic alone', () => {
    expect(mrkdwn('file_name_x and 2*3*4')).toBe('file_name_x and 2*3*4');
  });

  it('shows dates from <!date^…> in the requested shape', () => {
    const at = Date.UTC(2024, 4, 1, 9, 30) / 1000;
    expect(mrkdwn(`<!date^${at}^{date_short_pretty}|fallback>`)).toMatch(/May/);
    expect(mrkdwn('<!date^nope^{date}|the fallback>')).toBe('the fallback');
  });
});

describe('the page cannot be made to run script', () => {
  const attacks = [
    '<script>alert(1)</script>',
    '&lt;img src=x onerror=alert(1)&gt;',
    '<javascript:alert(1)|click me>',
    '<https://ok.example/"onmouseover="alert(1)|x>',
    '*<img src=x onerror=alert(1)>*',
    '`</code><script>alert(1)</script>`',
    '```</pre><img src=x onerror=alert(1)>```',
    '<@U0"><img src=x onerror=alert(1)>>',
    '\uE0000\uE000 placeholder smuggling',
  ];

  it.each(attacks)('escapes %s', (text) => {
    const html = mrkdwn(text, ctx) + renderBlocks([{ type: 'section', text: { type: 'plain_text', text } }, { type: 'context', elements: [{ type: 'mrkdwn', text }] }], undefined, ctx);
    expect(unsafeMarkup(html)).toEqual([]);
    expect(html).not.toMatch(/<(script|img)\b/i);
  });

  it('keeps only web and mail links', () => {
    expect(safeUrl('https://a.example/x')).toBe('https://a.example/x');
    expect(safeUrl('mailto:a@b.example')).toBe('mailto:a@b.example');
    for (const bad of ['javascript:alert(1)', 'data:text/html,x', 'vbscript:x', 'not a url']) expect(safeUrl(bad)).toBeUndefined();
  });

  it('escapes every attribute of buttons, images and inputs', () => {
    const html = renderBlocks([
      { type: 'actions', elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: '"><b>x' }, url: 'javascript:alert(1)', confirm: { text: { text: '" onclick="x' } } }] },
      { type: 'image', image_url: 'https://img.example/a.png" onerror="x', alt_text: '"><script>' },
      { type: 'input', block_id: '"x', label: { type: 'plain_text', text: 'Reason' }, element: { type: 'plain_text_input', action_id: 'r"', initial_value: '"><script>' } },
    ], undefined);
    expect(unsafeMarkup(html)).toEqual([]);
    expect(html).not.toMatch(/<(script|b)\b/i);
    expect(html).toContain('&quot;&gt;&lt;b&gt;x');
    expect(escapeHtml(`<&>"'`)).toBe('&lt;&amp;&gt;&quot;&#39;');
  });
});

describe('the page renders Block Kit', () => {
  it('renders every block type Cutover sends, with clickable elements located by index', () => {
    const html = renderBlocks([
      { type: 'header', text: { type: 'plain_text', text: 'orders · 2024-05' } },
      { type: 'section', text: { type: 'mrkdwn', text: '*succeeded*' }, fields: [{ type: 'mrkdwn', text: '*Engine*\nsandbox' }], accessory: { type: 'button', action_id: 'x', text: { type: 'plain_text', text: 'Open' } } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Run `r-1`' }] },
      { type: 'divider' },
      { type: 'actions', elements: [{ type: 'button', action_id: 'run_repair', style: 'primary', text: { type: 'plain_text', text: 'Repair failed tasks' }, value: 'r-1' }] },
      { type: 'image', image_url: 'https://img.example/chart.png', alt_text: 'chart' },
      { type: 'rich_text', elements: [] },
    ], 'fallback', ctx);
    expect(html).toContain('<div class="bk-header">orders · 2024-05</div>');
    expect(html).toContain('<b>Engine</b><br>sandbox');
    expect(html).toContain('data-block="1" data-element="-1"');
    expect(html).toContain('<button type="button" class="bk-button primary" data-block="4" data-element="0">Repair failed tasks</button>');
    expect(html).toContain('<hr class="bk-divider">');
    expect(html).toContain('<img class="bk-image-img" src="https://img.example/chart.png" alt="chart">');
    expect(html).toContain('[unsupported block: rich_text]');
  });

  it('falls back to the text when a message has no blocks', () => {
    expect(renderBlocks(undefined, 'plain *text*')).toBe('<div class="bk-text">plain <b>text</b></div>');
  });
});
