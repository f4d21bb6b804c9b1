import type { KnownBlock, SectionBlock } from '@slack/types';
import { isTerminal } from '../engines/types.ts';
import type { DqSummary, OutputSummary, ParallelRecord } from '../store/parallel-record.ts';
import type { RunRecord } from '../store/run-record.ts';
import { engineLabel, escapeMrkdwn, formatDuration, formatRunTime, link, mention, runElapsed, runStateLabel, slackDate, stateEmoji, stateLabel, taskDuration, type SlackMessage } from './format.ts';
import { LIMITS, capBlocks, context, section, splitSections, truncateText } from './limits.ts';
import { costLine, costNotes, effectiveCost } from './cost-format.ts';

type Verdict = NonNullable<ParallelRecord['verdict']> | OutputSummary['verdict'];
const VERDICT_EMOJI: Record<Verdict, string> = {
  clean: ':white_check_mark:',
  different: ':large_orange_diamond:',
  failed: ':x:',
  error: ':x:',
  missing: ':file_folder:',
};
const PHASE: Record<ParallelRecord['state'], string> = {
  running: ':arrows_counterclockwise: *running*: waiting for both runs to end',
  diffing: ':mag: *diffing*: comparing the outputs and running the DQ checks',
  done: ':checkered_flag: *done*',
};
/** Problems first, so they survive when 200 outputs do not fit in one message. */
const OUTPUT_ORDER: Record<OutputSummary['verdict'], number> = { error: 0, different: 1, missing: 2, clean: 3 };

export const verdictLabel = (v: Verdict): string => `${VERDICT_EMOJI[v]} *${v}*`;
export const formatCount = (n: number): string => n.toLocaleString('en-US');
const plural = (n: number, word: string) => `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;

/** The parallel run's verdict with its reason, or (before it has one) the phase it is in. */
export function verdictOrPhase(p: ParallelRecord): string {
  if (!p.verdict) return PHASE[p.state];
  return `${verdictLabel(p.verdict)}${p.verdictReason ? `: ${escapeMrkdwn(p.verdictReason)}` : ''}`;
}

/** `2.4× faster`, `0.8× (slower)`: legacy duration / Databricks duration, undefined when unknown. */
export function speedUpRatio(legacyMs: number, targetMs: number): string | undefined {
  if (!(legacyMs > 0 && targetMs > 0)) return undefined;
  const ratio = Number((legacyMs / targetMs).toFixed(1));
  if (ratio > 1) return `${ratio.toFixed(1)}× faster`;
  return ratio < 1 ? `${ratio.toFixed(1)}× (slower)` : '1.0× (same speed)';
}

/**
 * Joins lines until `max` characters, then ends with `more(omitted)`; lines stay whole, so a
 * list never ends in half an item. `more` is only called when something is left out.
 */
export function fitLines(lines: string[], max: number, more = (n: number) => `… ${n} more`): string {
  const all = lines.join('\n');
  if (all.length <= max) return all;
  const reserve = more(lines.length).length + 1;
  const kept: string[] = [];
  let used = 0;
  for (const line of lines) {
    const cost = line.length + (kept.length > 0 ? 1 : 0);
    if (used + cost + reserve > max) break;
    kept.push(line);
    used += cost;
  }
  return [...kept, more(lines.length - kept.length)].join('\n');
}

/**
 * The one message of a parallel run (or of `/pipeline diff`, without runs), edited in place:
 * both runs side by side, the speed-up once both ended, then per output the diff summary,
 * the DQ result and the verdict. Pure: the same records and `now` give the same blocks.
 */
export function buildParallelView(p: ParallelRecord, legacy: RunRecord | undefined, target: RunRecord | undefined, now: number): SlackMessage {
  const what = p.kind === 'diff' ? 'diff' : 'parallel run';
  const title = truncateText(`${p.pipeline} · ${p.period} · ${what}`, LIMITS.headerText);
  const head: KnownBlock[] = [{ type: 'header', text: { type: 'plain_text', text: title, emoji: true } }, section(verdictOrPhase(p))];
  if (p.kind === 'parallel') {
    const names = sideNames(legacy, target);
    head.push(runsBlock(legacy, target, names, now));
    const speed = speedUpText(legacy, target, names, now);
    if (speed) head.push(section(speed));
    head.push(...costBlocks(legacy, target));
  }
  const tail: KnownBlock[] = [];
  if (p.dq) tail.push(section(dqText(p.dq)));
  const who = p.kind === 'diff' ? 'Diff' : 'Parallel run';
  tail.push(context(`${who} \`${escapeMrkdwn(p.id)}\` · started by ${mention(p.requestedBy)} · updated ${slackDate(p.updatedAt)}`));
  // Outputs are the only unbounded part; cap them so the runs, DQ and footer always survive.
  const outputs = capBlocks(outputBlocks(p), LIMITS.blocksPerMessage - head.length - tail.length);
  return { text: fallback(p, legacy, target), blocks: [...head, ...outputs, ...tail] };
}

function fallback(p: ParallelRecord, legacy: RunRecord | undefined, target: RunRecord | undefined): string {
  const what = p.kind === 'diff' ? 'diff' : 'parallel run';
  let status: string = p.verdict ?? p.state;
  if (p.state === 'running' && p.kind === 'parallel') status += ` (legacy ${legacy?.state ?? 'not started'}, Databricks ${target?.state ?? 'not started'})`;
  const emoji = p.verdict ? VERDICT_EMOJI[p.verdict] : ':hourglass:';
  return truncateText(`${emoji} ${p.pipeline} ${p.period} ${what}: ${status}`, LIMITS.fallbackText);
}

/** Two columns: Slack lays section fields out left, right, left, right. */
function runsBlock(legacy: RunRecord | undefined, target: RunRecord | undefined, names: SideNames, now: number): SectionBlock {
  const [l, t] = [runColumn(names.legacyTitle, legacy, now), runColumn(names.targetTitle, target, now)];
  const fields = [l.title, t.title, l.state, t.state, l.tasks, t.tasks];
  return { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn' as const, text: truncateText(text, LIMITS.fieldText) })) };
}

interface SideNames {
  legacy: string;
  target: string;
  legacyTitle: string;
  targetTitle: string;
}

/**
 * What the two sides are called: their engines (`EMR`, `Databricks`), or `legacy (sandbox)` and
 * `new (sandbox)` when both run on the same engine, where the engine alone would not say which is which.
 */
function sideNames(legacy: RunRecord | undefined, target: RunRecord | undefined): SideNames {
  if (legacy && target && legacy.engine === target.engine) {
    const engine = legacy.engine === 'sandbox' ? 'sandbox' : engineLabel(legacy.engine);
    const [l, t] = [`legacy (${engine})`, `new (${engine})`];
    return { legacy: l, target: t, legacyTitle: l, targetTitle: t };
  }
  const [l, t] = [legacy ? engineLabel(legacy.engine) : 'legacy', target ? engineLabel(target.engine) : 'new'];
  return { legacy: l, target: t, legacyTitle: legacy ? `Legacy · ${l}` : 'Legacy', targetTitle: target ? `New · ${t}` : 'New' };
}

function runColumn(title: string, run: RunRecord | undefined, now: number): { title: string; state: string; tasks: string } {
  if (!run) return { title: `*${title}*`, state: ':hourglass_flowing_sand: _not started_', tasks: '*Tasks*\n_none yet_' };
  const engine = engineLabel(run.engine);
  const took = `${isTerminal(run.state) ? 'Took' : 'Elapsed'} ${formatRunTime(run, now)}`;
  const state = [runStateLabel(run), took, shortLink(run.url, `Open in ${engine}`)];
  if (run.error) state.push(`:warning: ${escapeMrkdwn(truncateText(`${run.error.code}: ${run.error.message}`, 300))}`);
  const tasks = run.tasks.map((task) => {
    const duration = taskDuration(task, now);
    const took = duration === undefined ? 'not started' : formatDuration(duration);
    return `${stateEmoji(task.state)} ${shortLink(task.url, truncateText(task.key, 100))} *${task.state}* · ${took}`;
  });
  const taskText = tasks.length > 0 ? fitLines(tasks, LIMITS.fieldText - 20, (n) => `… ${plural(n, 'more task')}`) : '_none yet_';
  return { title: `*${title}*`, state: state.join('\n'), tasks: `*Tasks*\n${taskText}` };
}

/** A link whose URL cannot blow a field's 2000 characters; an absurd URL is left out, the label kept. */
const shortLink = (url: string | undefined, label: string) => link(url && url.length <= 500 ? url : undefined, label);

/** Which side was faster and by how much, once both succeeded; why there is no figure otherwise. */
function speedUpText(legacy: RunRecord | undefined, target: RunRecord | undefined, names: SideNames, now: number): string | undefined {
  if (!legacy || !target || !isTerminal(legacy.state) || !isTerminal(target.state)) return undefined;
  const failed = ([[legacy, names.legacy], [target, names.target]] as const).filter(([r]) => r.state !== 'succeeded');
  if (failed.length > 0) {
    return `:stopwatch: No speed-up: ${failed.map(([r, name]) => `${name} ${stateLabel(r.state)}`).join(', ')}`;
  }
  const [l, t] = [runElapsed(legacy, now), runElapsed(target, now)];
  if (!(l > 0 && t > 0)) return undefined;
  const times = `(${formatDuration(t)} vs ${formatDuration(l)})`;
  const ratio = Number((Math.max(l, t) / Math.min(l, t)).toFixed(1));
  if (ratio === 1) return `:stopwatch: *Same speed*: ${names.target} and ${names.legacy} ${times}`;
  if (t < l) return `:stopwatch: *Speed-up*: ${names.target} ${ratio.toFixed(1)}× faster than ${names.legacy} ${times}`;
  return `:stopwatch: *Slower*: ${names.legacy} was ${ratio.toFixed(1)}× faster than ${names.target} ${times}`;
}

/**
 * `cost: legacy $X vs Databricks $Y (−Z %)` beside the speed-up once both runs ended, with what
 * each figure is (method, list price, EC2 in or out) or why it is not known, underneath.
 */
function costBlocks(legacy: RunRecord | undefined, target: RunRecord | undefined): KnownBlock[] {
  if (!legacy || !target || !isTerminal(legacy.state) || !isTerminal(target.state)) return [];
  const [l, t] = [effectiveCost(legacy), effectiveCost(target)];
  if (l === undefined && t === undefined) return [];
  const line = costLine(l, t);
  const blocks: KnownBlock[] = [section(`:moneybag: ${line === 'cost pending' ? 'cost pending: billing data arrives hours after a run' : line}`)];
  const notes = costNotes([['Legacy', l], ['Databricks', t]]);
  if (notes.length > 0) blocks.push(context(notes.join(' · ')));
  return blocks;
}

function outputBlocks(p: ParallelRecord): KnownBlock[] {
  const outputs = Object.values(p.outputs).sort((a, b) => OUTPUT_ORDER[a.verdict] - OUTPUT_ORDER[b.verdict]);
  if (outputs.length === 0) return [];
  const n = (v: OutputSummary['verdict']) => outputs.filter((o) => o.verdict === v).length;
  const tally = [`${formatCount(n('clean'))} clean`, `${formatCount(n('different'))} different`];
  if (n('error') > 0) tally.push(plural(n('error'), 'error'));
  if (n('missing') > 0) tally.push(`${formatCount(n('missing'))} without data`);
  const lines = [`*Outputs* (${tally.join(', ')})`, ...outputs.map(outputLine)];
  return splitSections(lines.join('\n'));
}

/** One output: verdict, row counts, row-level differences, key problems, schema, top columns. */
export function outputLine(o: OutputSummary): string {
  const head = `${VERDICT_EMOJI[o.verdict]} *${escapeMrkdwn(truncateText(o.output, 150))}* ${o.verdict}`;
  if (o.error !== undefined) return `${head}: ${escapeMrkdwn(truncateText(o.error, 300))}`;
  const parts = [head];
  const c = o.counts;
  if (c) {
    parts.push(`rows ${formatCount(c.legacy)} legacy / ${formatCount(c.target)} target`);
    if (o.verdict !== 'clean') {
      parts.push(`only legacy ${formatCount(c.onlyLegacy)}`, `only target ${formatCount(c.onlyTarget)}`, `changed ${formatCount(c.changed)}`);
    }
    const sides = (s: { legacy: number; target: number }) =>
      [s.legacy > 0 ? `${formatCount(s.legacy)} legacy` : '', s.target > 0 ? `${formatCount(s.target)} target` : ''].filter(Boolean).join(', ');
    if (c.duplicateKeys.legacy + c.duplicateKeys.target > 0) parts.push(`duplicate keys ${sides(c.duplicateKeys)}`);
    if (c.nullKeys.legacy + c.nullKeys.target > 0) parts.push(`null keys ${sides(c.nullKeys)}`);
  }
  const s = o.schema;
  const schemaChanges = s ? s.missing.length + s.extra.length + s.typeChanges.filter((t) => !t.tolerated).length : 0;
  if (schemaChanges > 0) parts.push(plural(schemaChanges, 'schema change'));
  const top = o.topColumns.slice(0, 5).map((t) => `\`${escapeMrkdwn(truncateText(t.column, 60))}\` ${formatCount(t.mismatches)}`);
  if (top.length > 0) parts.push(`top columns: ${top.join(', ')}`);
  const versions = (['legacy', 'target'] as const).flatMap((side) => {
    const src = o.sources?.[side];
    return src?.version === undefined ? [] : [`${side} Delta v${src.version}${src.committedAt ? ` (${src.committedAt.slice(0, 16).replace('T', ' ')} UTC)` : ''}`];
  });
  if (versions.length > 0) parts.push(`read ${versions.join(', ')}`);
  const resolved = resolvedSources(o);
  if (resolved.length > 0) parts.push(resolved.map((r) => escapeMrkdwn(truncateText(r, 300))).join(' · '));
  return parts.join(' · ');
}

/**
 * Sides named by a catalog entry rather than a path (a Glue table, a Redshift table): what they
 * resolved to, so people see which files, in which format, the verdict is about.
 */
export function resolvedSources(o: Pick<OutputSummary, 'sources'>): string[] {
  return (['legacy', 'target'] as const).flatMap((side) => {
    const src = o.sources?.[side];
    if (!src?.from) return [];
    const format = src.format === 'result' ? 'query result' : src.format === 'unload' ? 'UNLOAD text' : src.format;
    return [`${side} ${src.from} read as ${format}${src.location ? ` from ${src.location}` : ''}`];
  });
}

function dqText(dq: DqSummary): string {
  // Checks of outputs without data did not run: that is said, never counted as failing (issue 15 item 6).
  const missing = dq.missing ?? [];
  const notRun = missing.length > 0 ? `\n${fitLines(missing.map((m) => `• ${escapeMrkdwn(truncateText(m, 300))}`), 1000, (n) => `… ${plural(n, 'more output')} without data`)}` : '';
  if (dq.total === 0 && missing.length > 0) return `:file_folder: *DQ not run*: no data to check${notRun}`;
  if (dq.passed) return `:white_check_mark: *DQ passed* (${plural(dq.total, 'check')})${missing.length > 0 ? `; not run on outputs without data:${notRun}` : ''}`;
  const head = `:x: *DQ failed*: ${formatCount(dq.failing.length)} of ${plural(dq.total, 'check')} failing`;
  const lines = dq.failing.map(
    (f) => `• \`${escapeMrkdwn(truncateText(f.output, 100))}\` ${escapeMrkdwn(truncateText(f.check, 200))}: ${f.summary ? escapeMrkdwn(f.summary) : plural(f.failingRows, 'failing row')}`,
  );
  return `${head}\n${fitLines(lines, LIMITS.sectionText - head.length - notRun.length - 1, (n) => `… ${plural(n, 'more failing check')}`)}${notRun}`;
}
