import type { ContextBlock, SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { DiffReport } from '../../../src/diff/types.ts';
import { buildDiffDetails, formatKey } from '../../../src/slack/index.ts';
import { makeReport } from './parallel-fixture.ts';
import { allText, limitProblems } from './run-fixture.ts';

const texts = (view: { blocks: unknown[] }) => view.blocks.map((b) => (b as SectionBlock).text?.text ?? '');

describe('buildDiffDetails', () => {
  it('details every kind of difference: schema, counts, sample keys, per-column samples', () => {
    const view = buildDiffDetails('citations', makeReport());
    expect(view).toMatchSnapshot();
    const [headline, schema, counts, onlyLegacy, onlyTarget, dupLegacy, amount, name, price, ...rest] = texts(view);
    expect(headline).toBe(
      ':large_orange_diamond: *different* · *citations* · key `id` · duckdb (checksum, 17 of 1,024 buckets differ) · 3.5s',
    );
    expect(schema).toBe(
      '*Schema*\n• Missing in target: `legacy_flag`\n• Extra in target: `note`\n' +
        '• `price` DECIMAL(18,2) → DECIMAL(18,4) (not tolerated)\n• `ts` TIMESTAMP → TIMESTAMP WITH TIME ZONE (tolerated)',
    );
    expect(counts).toBe(
      '*Counts*\n```\n' +
        '                      legacy      target\n' +
        'rows                  10,240      10,236\n' +
        'only this side             5           1\n' +
        'duplicate keys             2           0\n' +
        'null keys                  0           3\n' +
        'changed keys (on both sides, values differ): 12\n```',
    );
    expect(onlyLegacy).toBe('*Only in legacy*: 5 keys\n```\nid=1\nid=2\nid=4\nid=5\nid=6\n```');
    expect(onlyTarget).toBe('*Only in target*: 1 key\n```\nid=99\n```');
    expect(dupLegacy).toBe('*Duplicated keys in legacy*: 2 keys\n```\nid=11\nid=12\n```');
    // Columns most mismatches first; a column without mismatches is left out.
    expect(amount).toMatch(/^`amount`: 10 mismatches\n```\nid=100 → 0\.5 vs 0\.75\n/);
    expect(amount?.split('\n')).toHaveLength(13);
    expect(name).toBe('`name`: 2 mismatches\n```\nid=7 → Ada vs ada\nid=9 → NULL vs ""\n```');
    expect(price).toBe('`price`: 1 mismatch\n```\nid=3 → 1.2300 vs 1.2301\n```');
    expect(rest).toEqual([]);
    expect(allText(view)).not.toContain('attached files');
    expect(view.text).toBe('Diff of citations: different (only legacy 5, only target 1, changed 12)');
  });

  it('says how many samples of a larger count it shows', () => {
    const report = makeReport({ counts: { ...makeReport().counts, onlyLegacy: 5_000 } });
    report.columns.amount = { mismatches: 9_999, samples: makeReport().columns.amount?.samples ?? [] };
    const t = texts(buildDiffDetails('citations', report));
    expect(t).toContain('*Only in legacy*: 5,000 keys, first 5\n```\nid=1\nid=2\nid=4\nid=5\nid=6\n```');
    expect(t.some((x) => x.startsWith('`amount`: 9,999 mismatches, first 10\n'))).toBe(true);
  });

  it('keeps a clean report short', () => {
    const clean: DiffReport = makeReport({
      verdict: 'clean',
      schema: { missing: [], extra: [], typeChanges: [] },
      counts: { legacy: 9, target: 9, onlyLegacy: 0, onlyTarget: 0, changed: 0, duplicateKeys: { legacy: 0, target: 0 }, nullKeys: { legacy: 0, target: 0 } },
      columns: { name: { mismatches: 0, samples: [] } },
      keySamples: { onlyLegacy: [], onlyTarget: [], duplicateLegacy: [], duplicateTarget: [] },
      buckets: undefined,
      strategy: 'join',
    });
    const view = buildDiffDetails('authors', clean);
    expect(texts(view).slice(0, 2)).toEqual([
      ':white_check_mark: *clean* · *authors* · key `id` · duckdb (join) · 3.5s',
      '*Schema*: same columns and types',
    ]);
    expect(view.blocks).toHaveLength(3);
  });

  it('formats composite keys and escapes values so they cannot break the code block', () => {
    expect(formatKey({ region: 'EU', n: null })).toBe('region=EU, n=NULL');
    const report = makeReport({
      columns: { note: { mismatches: 1, samples: [{ key: { id: '1' }, legacy: 'a ``` b <c> & d', target: 'line1\nline2' }] } },
    });
    const note = texts(buildDiffDetails('x', report)).find((t) => t.startsWith('`note`')) ?? '';
    expect(note).toBe('`note`: 1 mismatch\n```\nid=1 → a `\u200b`\u200b` b &lt;c&gt; &amp; d vs line1⏎line2\n```');
  });

  it('stays within Slack limits for 200 differing columns with 10,000-character values, pointing at the files', () => {
    const huge = 'v'.repeat(10_000);
    const columns: DiffReport['columns'] = {};
    for (let i = 0; i < 200; i++) {
      columns[`col_${i}_${huge}`] = {
        mismatches: 1000 - i,
        samples: Array.from({ length: 10 }, (_, j) => ({ key: { id: `${j}${huge}` }, legacy: huge, target: `${huge}!` })),
      };
    }
    const keys = Array.from({ length: 10 }, (_, i) => ({ id: `${i}${huge}` }));
    const report = makeReport({
      columns,
      schema: {
        missing: Array.from({ length: 500 }, (_, i) => `gone_${i}`),
        extra: [huge],
        typeChanges: Array.from({ length: 300 }, (_, i) => ({ column: `c${i}${huge}`, legacy: huge, target: huge, tolerated: false })),
      },
      keySamples: { onlyLegacy: keys, onlyTarget: keys, duplicateLegacy: keys, duplicateTarget: keys },
      counts: { ...makeReport().counts, duplicateKeys: { legacy: 10, target: 10 } },
    });
    const view = buildDiffDetails(`out${huge}`, report);
    expect(limitProblems(view)).toEqual([]);
    expect(view.blocks).toHaveLength(50);
    const note = view.blocks.at(-1) as ContextBlock;
    expect(JSON.stringify(note)).toContain('more sections not shown; the full report is in the attached files.');
    // Code blocks stay closed even when cut.
    for (const t of texts(view).filter((x) => x.includes('```'))) expect(t.endsWith('```')).toBe(true);
  });

  it('notes the attached files when only a list was cut', () => {
    const report = makeReport({ schema: { missing: Array.from({ length: 2000 }, (_, i) => `c${i}`), extra: [], typeChanges: [] } });
    const view = buildDiffDetails('x', report);
    expect(limitProblems(view)).toEqual([]);
    expect(JSON.stringify(view.blocks.at(-1))).toContain('Some lists were cut to fit Slack; the full report is in the attached files.');
  });
});
