import type { HeaderBlock, SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { RUN_STATES } from '../../../src/engines/types.ts';
import { missingSideText, verdictOf } from '../../../src/jobs/diff-parallel.ts';
import { buildParallelView, fitLines, outputLine, speedUpRatio } from '../../../src/slack/index.ts';
import type { OutputSummary } from '../../../src/store/parallel-record.ts';
import type { RunCost } from '../../../src/cost/types.ts';
import {
  LEGACY_MS,
  T0,
  cleanOutput,
  differentOutput,
  errorOutput,
  finishedRuns,
  makeLegacyRun,
  makeParallel,
  makeTargetRun,
} from './parallel-fixture.ts';
import { allText, limitProblems } from './run-fixture.ts';

const NOW = T0 + 125_000;
const DONE = T0 + 2_000_000;
const fieldsOf = (view: { blocks: unknown[] }) =>
  (view.blocks.find((b) => (b as SectionBlock).fields) as SectionBlock | undefined)?.fields?.map((f) => f.text);
const sectionTexts = (view: { blocks: unknown[] }) => view.blocks.map((b) => (b as SectionBlock).text?.text ?? '');

describe('buildParallelView', () => {
  it('shows both runs side by side while they run: legacy left, Databricks right', () => {
    const view = buildParallelView(makeParallel(), makeLegacyRun(), makeTargetRun(), NOW);
    expect(view).toMatchSnapshot();
    expect((view.blocks[0] as HeaderBlock).text.text).toBe('incites-monthly · 2024-05 · parallel run');
    expect(sectionTexts(view)[1]).toBe(':arrows_counterclockwise: *running*: waiting for both runs to end');
    expect(fieldsOf(view)).toEqual([
      '*Legacy · EMR*',
      '*New · Databricks*',
      ':arrows_counterclockwise: *running*\nElapsed 2m 0s\n<https://console.aws.amazon.com/emr/home#/clusterDetails/j-2AXXXXXXGAPLF|Open in EMR>',
      ':arrows_counterclockwise: *running*\nElapsed 2m 0s\n<https://dbc-1.cloud.databricks.com/#job/123/run/987654|Open in Databricks>',
      '*Tasks*\n:arrows_counterclockwise: spark-submit incites *running* · 2m 0s',
      '*Tasks*\n:white_check_mark: extract *succeeded* · 1m 0s\n:arrows_counterclockwise: transform *running* · 1m 0s\n:hourglass_flowing_sand: load *queued* · not started',
    ]);
    expect(allText(view)).not.toContain('Speed-up');
    expect(view.text).toBe(':hourglass: incites-monthly 2024-05 parallel run: running (legacy running, Databricks running)');
  });

  it('shows a run that has not been created yet as not started', () => {
    const view = buildParallelView(makeParallel(), undefined, makeTargetRun(), NOW);
    expect(fieldsOf(view)?.slice(0, 5)).toEqual([
      '*Legacy*',
      '*New · Databricks*',
      ':hourglass_flowing_sand: _not started_',
      expect.stringContaining('*running*'),
      '*Tasks*\n_none yet_',
    ]);
    expect(view.text).toContain('legacy not started');
  });

  it('shows the legacy run done while Databricks still runs, without a speed-up yet', () => {
    const { legacy } = finishedRuns();
    const view = buildParallelView(makeParallel(), legacy, makeTargetRun(), DONE);
    expect(view).toMatchSnapshot();
    const fields = fieldsOf(view) ?? [];
    expect(fields[2]).toMatch(/^:white_check_mark: \*succeeded\*\nTook 29m 10s\n/);
    expect(fields[3]).toMatch(/^:arrows_counterclockwise: \*running\*\nElapsed 33m 15s\n/);
    expect(allText(view)).not.toContain('Speed-up');
  });

  it('gives the speed-up and the clean verdict once both succeeded and every output is clean', () => {
    const { legacy, target } = finishedRuns();
    const p = makeParallel({
      state: 'done',
      verdict: 'clean',
      verdictReason: 'both runs succeeded, 2 outputs within tolerance, DQ green',
      outputs: { citations: cleanOutput('citations', 10_240), authors: cleanOutput('authors') },
      dq: { passed: true, failing: [], total: 14 },
      endedAt: DONE,
      updatedAt: DONE,
    });
    const view = buildParallelView(p, legacy, target, DONE);
    expect(view).toMatchSnapshot();
    const texts = sectionTexts(view);
    expect(texts[1]).toBe(':white_check_mark: *clean*: both runs succeeded, 2 outputs within tolerance, DQ green');
    expect(texts).toContain(':stopwatch: *Speed-up*: Databricks 2.4× faster than EMR (12m 3s vs 29m 10s)');
    expect(texts).toContain(
      '*Outputs* (2 clean, 0 different)\n' +
        ':white_check_mark: *citations* clean · rows 10,240 legacy / 10,240 target\n' +
        ':white_check_mark: *authors* clean · rows 1,204 legacy / 1,204 target',
    );
    expect(texts).toContain(':white_check_mark: *DQ passed* (14 checks)');
    expect(view.text).toBe(':white_check_mark: incites-monthly 2024-05 parallel run: clean');
  });

  it('says when Databricks was slower, naming the faster side', () => {
    const { legacy, target } = finishedRuns();
    const slow = { ...target, endedAt: (target.startedAt ?? 0) + LEGACY_MS * 1.25 };
    expect(allText(buildParallelView(makeParallel(), legacy, slow, DONE * 2))).toContain(
      ':stopwatch: *Slower*: EMR was 1.3× faster than Databricks (36m 28s vs 29m 10s)',
    );
    expect(speedUpRatio(1000, 1000)).toBe('1.0× (same speed)');
    expect(speedUpRatio(1000, 0)).toBeUndefined();
  });

  it('labels both sides legacy (sandbox) and new (sandbox) when both ran on the sandbox, and says which was faster', () => {
    const { legacy, target } = finishedRuns();
    const [l, t] = [{ ...legacy, engine: 'sandbox' as const }, { ...target, engine: 'sandbox' as const }];
    const text = allText(buildParallelView(makeParallel(), l, t, DONE));
    expect(text).toContain('*legacy (sandbox)*');
    expect(text).toContain('*new (sandbox)*');
    expect(text).toContain(':stopwatch: *Speed-up*: new (sandbox) 2.4× faster than legacy (sandbox) (12m 3s vs 29m 10s)');
    expect(text).not.toContain('· the sandbox*');
  });

  it('gives the failed verdict and no speed-up when a run failed', () => {
    const { legacy } = finishedRuns();
    const target = makeTargetRun({ state: 'failed', stateMessage: 'TERMINATED/FAILED', endedAt: T0 + 300_000 });
    const p = makeParallel({ state: 'done', verdict: 'failed', verdictReason: 'the Databricks run failed', endedAt: DONE });
    const view = buildParallelView(p, legacy, target, DONE);
    expect(view).toMatchSnapshot();
    const texts = sectionTexts(view);
    expect(texts[1]).toBe(':x: *failed*: the Databricks run failed');
    expect(texts).toContain(':stopwatch: No speed-up: Databricks :x: *failed*');
    expect(fieldsOf(view)?.[3]).toMatch(/^:x: \*failed\*\nTook 4m 55s/);
    expect(view.text).toBe(':x: incites-monthly 2024-05 parallel run: failed');
  });

  it('summarises each different output: counts, key problems, schema changes, top columns', () => {
    const { legacy, target } = finishedRuns();
    const p = makeParallel({
      state: 'done',
      verdict: 'different',
      verdictReason: '1 output differs beyond tolerance',
      outputs: { authors: cleanOutput('authors'), citations: differentOutput() },
      dq: { passed: true, failing: [], total: 3 },
    });
    const view = buildParallelView(p, legacy, target, DONE);
    expect(view).toMatchSnapshot();
    expect(outputLine(differentOutput())).toBe(
      ':large_orange_diamond: *citations* different · rows 10,240 legacy / 10,236 target · only legacy 5 · only target 1 · changed 12' +
        ' · duplicate keys 2 legacy · null keys 3 target · 2 schema changes · top columns: `amount` 10, `name` 2',
    );
    const outputs = sectionTexts(view).find((t) => t.startsWith('*Outputs*')) ?? '';
    expect(outputs.split('\n').map((l) => l.split(' ')[1])).toEqual(['(1', '*citations*', '*authors*']);
    expect(view.text).toBe(':large_orange_diamond: incites-monthly 2024-05 parallel run: different');
  });

  it('shows an output that could not be compared with its error, first', () => {
    const p = makeParallel({ state: 'diffing', outputs: { citations: cleanOutput('citations'), authors: errorOutput() } });
    const { legacy, target } = finishedRuns();
    const view = buildParallelView(p, legacy, target, DONE);
    expect(view).toMatchSnapshot();
    const texts = sectionTexts(view);
    expect(texts[1]).toBe(':mag: *diffing*: comparing the outputs and running the DQ checks');
    expect(texts).toContain(
      '*Outputs* (1 clean, 0 different, 1 error)\n' +
        ':x: *authors* error: no parquet objects under s3://legacy-bucket/authors/2024-05/\n' +
        ':white_check_mark: *citations* clean · rows 1,204 legacy / 1,204 target',
    );
    expect(view.text).toBe(':hourglass: incites-monthly 2024-05 parallel run: diffing');
  });

  it('lists the failing DQ checks with their failing rows', () => {
    const p = makeParallel({
      state: 'done',
      verdict: 'different',
      verdictReason: 'DQ failed',
      outputs: { citations: cleanOutput('citations') },
      dq: {
        passed: false,
        total: 14,
        failing: [
          { output: 'citations', check: 'not_null(doi)', failingRows: 1_523 },
          { output: 'authors', check: 'unique(author_id)', failingRows: 1 },
        ],
      },
    });
    const { legacy, target } = finishedRuns();
    const view = buildParallelView(p, legacy, target, DONE);
    expect(view).toMatchSnapshot();
    expect(sectionTexts(view)).toContain(
      ':x: *DQ failed*: 2 of 14 checks failing\n• `citations` not_null(doi): 1,523 failing rows\n• `authors` unique(author_id): 1 failing row',
    );
  });

  it('leaves the runs out of a /pipeline diff', () => {
    const p = makeParallel({
      kind: 'diff',
      legacyRunId: undefined,
      targetRunId: undefined,
      state: 'done',
      verdict: 'clean',
      verdictReason: '1 output within tolerance',
      outputs: { citations: cleanOutput('citations') },
    });
    const view = buildParallelView(p, undefined, undefined, DONE);
    expect(view).toMatchSnapshot();
    expect((view.blocks[0] as HeaderBlock).text.text).toBe('incites-monthly · 2024-05 · diff');
    expect(fieldsOf(view)).toBeUndefined();
    expect(allText(view)).not.toContain('Speed-up');
    expect(allText(view)).toContain('Diff `p-m3k9x2-9c1d`');
    expect(view.text).toBe(':white_check_mark: incites-monthly 2024-05 diff: clean');
  });

  it.each(RUN_STATES)('names the run state %s with its exact word beside its emoji', (state) => {
    const fields = fieldsOf(buildParallelView(makeParallel(), makeLegacyRun({ state }), makeTargetRun(), NOW)) ?? [];
    expect(fields[2]).toMatch(new RegExp(`^:[a-z_]+: \\*${state}\\*\\n`));
  });

  it('escapes mrkdwn control characters from output names, errors and the reason', () => {
    const p = makeParallel({
      verdict: 'failed',
      verdictReason: 'legacy <failed> & gone',
      outputs: { x: { ...errorOutput('<a>&b'), error: 'read <lambda> failed' } },
    });
    const text = allText(buildParallelView(p, undefined, undefined, NOW));
    expect(text).toContain('legacy &lt;failed&gt; &amp; gone');
    expect(text).toContain('*&lt;a&gt;&amp;b* error: read &lt;lambda&gt; failed');
  });

  it('stays within every Block Kit limit for 200 outputs, 500 tasks and 10,000-character values', () => {
    const huge = 'x'.repeat(10_000);
    const outputs: Record<string, OutputSummary> = {};
    for (let i = 0; i < 200; i++) {
      const name = `output_${i}_${huge}`;
      const base = i % 3 === 0 ? errorOutput(name) : i % 3 === 1 ? differentOutput(name) : cleanOutput(name);
      outputs[name] = { ...base, error: base.error === undefined ? undefined : huge, topColumns: base.topColumns.map((t) => ({ ...t, column: huge })) };
    }
    const tasks = Array.from({ length: 500 }, (_, i) => ({ key: `task_${i}_${huge}`, state: 'succeeded' as const, startedAt: T0, endedAt: T0 + 1000, url: `https://x/${i}` }));
    const p = makeParallel({
      pipeline: `p${huge}`,
      period: huge,
      state: 'done',
      verdict: 'different',
      verdictReason: huge,
      outputs,
      dq: { passed: false, total: 400, failing: Array.from({ length: 400 }, (_, i) => ({ output: huge, check: `${i}${huge}`, failingRows: i })) },
    });
    const legacy = makeLegacyRun({ tasks, error: { code: 'api_error', message: huge }, url: `https://x/${huge}` });
    const view = buildParallelView(p, legacy, makeTargetRun({ tasks }), NOW);
    expect(limitProblems(view)).toEqual([]);
    expect(view.blocks.length).toBeLessThanOrEqual(50);
    expect(view.blocks[0]?.type).toBe('header');
    expect(allText(view.blocks.at(-1) ? { blocks: [view.blocks.at(-1)] } : view)).toContain('Parallel run `p-m3k9x2-9c1d`');
    expect(allText(view)).toContain('*DQ failed*: 400 of 400 checks failing');
    expect(allText(view)).toMatch(/… \d+ more tasks/);
    expect(allText(view)).toMatch(/… \d+ more failing checks/);
  });
});

describe('fitLines', () => {
  it('keeps whole lines and says how many were left out', () => {
    expect(fitLines(['aaa', 'bbb'], 7)).toBe('aaa\nbbb');
    const lines = ['aaa', 'bbb', 'ccc', 'ddd', 'eee'];
    expect(fitLines(lines, 16)).toBe('aaa\nbbb\n… 3 more');
    expect(fitLines(lines, 14)).toBe('aaa\n… 4 more');
    expect(fitLines(lines, 16, (n) => `+${n}`)).toBe('aaa\nbbb\nccc\n+2');
  });
});

describe('buildParallelView: cost', () => {
  const cost = (over: Partial<RunCost>): RunCost => ({ status: 'known', epoch: 0, at: T0, currency: 'USD', ...over });
  const done = () => {
    const { legacy, target } = finishedRuns();
    return { p: makeParallel({ state: 'done', verdict: 'clean' }), legacy, target };
  };

  it('shows both figures beside the speed-up, the change, and what each figure includes', () => {
    const { p, legacy, target } = done();
    legacy.cost = cost({ method: 'emr-share', amount: 41.2, note: 'share of shared cluster j-ABC: instance-hours × catalog prices plus EMR' });
    target.cost = cost({ method: 'databricks-billing', amount: 18.75, dbus: 93.75, note: 'Databricks list price (discounts are not in the billing tables); classic compute: DBUs only, the EC2 instances are billed by AWS and not included' });
    const view = buildParallelView(p, legacy, target, DONE);
    expect(view).toMatchSnapshot();
    expect(sectionTexts(view)).toContain(':moneybag: cost: legacy $41.20 vs Databricks $18.75 (−54 %)');
    const notes = JSON.stringify(view.blocks);
    expect(notes).toContain('93.75 DBU, billing tables');
    expect(notes).toContain('EC2 instances are billed by AWS and not included');
  });

  it('says "cost pending" for a side whose billing data has not arrived, and why a cost is unknown', () => {
    const { p, legacy, target } = done();
    legacy.cost = cost({ status: 'unknown', method: 'cost-explorer', reason: 'the cost-allocation tag aws:elasticmapreduce:job-flow-id is not activated' });
    target.cost = cost({ status: 'pending', method: 'databricks-billing', reason: 'no billing records yet' });
    const view = buildParallelView(p, legacy, target, DONE);
    expect(sectionTexts(view)).toContain(':moneybag: cost: legacy unknown vs Databricks cost pending');
    expect(JSON.stringify(view.blocks)).toContain('Legacy cost unknown (Cost Explorer): the cost-allocation tag aws:elasticmapreduce:job-flow-id is not activated');
  });

  it('names the source that refused beside its reason (audit16: a refusal was stored without its method)', () => {
    const { p, legacy, target } = done();
    legacy.cost = cost({ status: 'unknown', method: 'emr-share', reason: 'User: arn:aws:iam::123:role/cutover is not authorized to perform: elasticmapreduce:ListInstances' });
    target.cost = cost({ status: 'unknown', method: 'databricks-billing', reason: "[INSUFFICIENT_PERMISSIONS] User does not have USE SCHEMA on Schema 'system.billing'" });
    const blocks = JSON.stringify(buildParallelView(p, legacy, target, DONE).blocks);
    expect(blocks).toContain('Legacy cost unknown (share of the shared cluster): User: arn:aws:iam::123:role/cutover is not authorized');
    expect(blocks).toContain('Databricks cost unknown (billing tables): [INSUFFICIENT_PERMISSIONS]');
  });
});

describe('a period without data (issue 15 item 6)', () => {
  const missingOutput = (name: string): OutputSummary => ({ output: name, verdict: 'missing', topColumns: [], error: 'no legacy data for 2025-01 at s3://legacy/citations/2025-01/' });

  it('shows the missing side and location, "DQ not run", and never "different" or "DQ failed"', () => {
    const p = makeParallel({
      state: 'done',
      endedAt: DONE,
      outputs: { citations: missingOutput('citations') },
      dq: { passed: true, total: 0, failing: [], missing: ['no target data for 2025-01 at s3://target/citations/2025-01/'] },
      ...verdictOf({ ...makeParallel(), outputs: { citations: missingOutput('citations') } }, undefined),
    });
    const { legacy, target } = finishedRuns();
    const view = buildParallelView(p, legacy, target, DONE);
    const text = allText(view);
    expect(text).toContain(':file_folder: *missing*: citations: no legacy data for 2025-01 at s3://legacy/citations/2025-01/');
    expect(text).toContain('1 without data');
    expect(text).toContain(':file_folder: *DQ not run*: no data to check');
    expect(text).toContain('no target data for 2025-01 at s3://target/citations/2025-01/');
    expect(text).not.toMatch(/\*different\*|DQ failed/);
    expect(limitProblems(view)).toEqual([]);
  });

  it('keeps "different" when a real difference was found beside a missing output, and lists both', () => {
    const outputs = { citations: missingOutput('citations'), authors: differentOutput('authors') };
    expect(verdictOf({ ...makeParallel(), outputs }, undefined)).toEqual({
      verdict: 'different',
      verdictReason: 'authors differs; citations: no legacy data for 2025-01 at s3://legacy/citations/2025-01/',
    });
    expect(verdictOf({ ...makeParallel(), outputs: { citations: cleanOutput('citations') } }, { passed: true, total: 2, failing: [] }).verdict).toBe('clean');
  });

  it('names the side from the reader error, and keeps the reader words only when they add something', () => {
    const output = { name: 'o', key: ['id'], legacy: { path: 's3://b/legacy/2025-01/' }, target: { path: 's3://b/target/2025-01/' } } as unknown as Parameters<typeof missingSideText>[0];
    expect(missingSideText(output, '2025-01', 'no parquet files under s3://b/legacy/2025-01')).toBe('no legacy data for 2025-01 at s3://b/legacy/2025-01/');
    expect(missingSideText(output, '2025-01', 'dataset not found: s3://b/target/2025-01/')).toBe('no target data for 2025-01 at s3://b/target/2025-01/');
    expect(missingSideText(output, '2025-01', 'something else entirely')).toBe('no data for 2025-01: something else entirely');
  });
});
