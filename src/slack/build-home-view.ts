import type { HomeView, KnownBlock, SectionBlock } from '@slack/types';
import type { EngineName, Stage } from '../config/catalog-schema.ts';
import type { DqResult, StepState } from '../cutover/types.ts';
import type { RunState } from '../engines/types.ts';
import type { CutoverRequest } from '../store/cutover-record.ts';
import type { ParallelRecord } from '../store/parallel-record.ts';
import { ACTION_IDS } from './action-ids.ts';
import { speedUpRatio, verdictLabel } from './build-parallel-view.ts';
import { stageLabel, stepStateLabel } from './cutover-format.ts';
import { engineLabel, escapeMrkdwn, formatAgo, formatDuration, link, mention, slackDate, stateLabel } from './format.ts';
import { LIMITS, capBlocks, context, section, truncateText } from './limits.ts';
import { costLine } from './cost-format.ts';
import type { RunCost } from '../cost/types.ts';

/** The last run of one side, as the board shows it. */
export interface HomeRun {
  engine: EngineName;
  state: RunState;
  /** Start to end; absent while it runs. */
  durationMs?: number;
  at: number;
  url?: string;
}

/** One pipeline on the board. */
export interface HomePipeline {
  name: string;
  stage: Stage;
  channel: string;
  lastLegacy?: HomeRun;
  lastTarget?: HomeRun;
  /** Run times of the newest period both sides ran successfully: a speed-up compares the same month's work. */
  speedUp?: { period: string; legacyMs: number; targetMs: number };
  lastParallel?: Pick<ParallelRecord, 'id' | 'period' | 'state' | 'verdict'> & { at: number; url?: string };
  dq?: DqResult;
  /** What the last parallel run's two runs cost (issue 16); `pending` until the billing data is in. */
  cost?: { period: string; legacy?: RunCost | 'pending'; target?: RunCost | 'pending' };
  /** Cutover progress: steps done, and the first step not done with its state. */
  cutover?: { done: number; total: number; next?: { id: string; state: StepState } };
}

/** A request the viewer could approve; `url` (e.g. the message permalink) makes the button a link too. */
export interface HomeApproval {
  request: CutoverRequest;
  url?: string;
}

/**
 * The App Home board: the approvals waiting for the viewer first (each with an Open button,
 * `value` = request id), then every pipeline with its stage, last legacy vs Databricks
 * duration and speed-up, last parallel-run verdict, DQ status and cutover progress.
 */
export function buildHomeView(pipelines: readonly HomePipeline[], waiting: readonly HomeApproval[], now: number): HomeView {
  const head: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Waiting for your approval', emoji: true } },
    ...(waiting.length === 0 ? [section('_Nothing is waiting for you._')] : waiting.slice(0, 20).map((w) => approvalBlock(w, now))),
    { type: 'divider' },
    { type: 'header', text: { type: 'plain_text', text: 'Pipelines', emoji: true } },
  ];
  const rows = pipelines.length === 0 ? [section('_No pipelines in the catalog yet._')] : pipelines.map((p) => section(pipelineText(p, now)));
  const foot = context(`Updated ${slackDate(now)} · \`/pipeline cutover <pipeline>\` shows a pipeline's cutover plan`);
  return { type: 'home', blocks: [...head, ...capBlocks(rows, LIMITS.blocksPerView - head.length - 1), foot] };
}

function approvalBlock({ request: r, url }: HomeApproval, now: number): SectionBlock {
  const what = r.kind === 'execute' ? 'execute' : 'roll back';
  const text = [
    `*${escapeMrkdwn(r.pipeline)} · ${escapeMrkdwn(r.step)}*: ${mention(r.requestedBy)} asks to ${what} it`,
    `${r.approvals.length} of ${r.min} approvals · asked ${formatAgo(r.createdAt, now)} · expires ${slackDate(r.expiresAt)}`,
  ].join('\n');
  return {
    type: 'section',
    text: { type: 'mrkdwn', text: truncateText(text, LIMITS.sectionText) },
    accessory: {
      type: 'button', action_id: ACTION_IDS.cutoverOpenRequest, value: r.id, text: { type: 'plain_text', text: 'Open' },
      ...(url && url.length <= LIMITS.buttonUrl ? { url } : {}),
    },
  };
}

function pipelineText(p: HomePipeline, now: number): string {
  const lines = [`*${escapeMrkdwn(p.name)}* · ${stageLabel(p.stage)} · <#${p.channel}>`];
  lines.push(`Last runs: ${runsText(p, now)}`);
  const par = p.lastParallel;
  const parText = par
    ? `${par.verdict ? verdictLabel(par.verdict) : `:hourglass: *${par.state}*`} ${escapeMrkdwn(par.period)} (${link(par.url, par.id)}, ${formatAgo(par.at, now)})`
    : '_none yet_';
  lines.push(`Last parallel run: ${parText} · DQ: ${dqText(p.dq, now)}`);
  if (p.cost && (p.cost.legacy !== undefined || p.cost.target !== undefined)) lines.push(`:moneybag: ${costLine(p.cost.legacy, p.cost.target)} (${escapeMrkdwn(p.cost.period)})`);
  if (p.cutover) {
    const next = p.cutover.next ? ` · next: ${escapeMrkdwn(p.cutover.next.id)} ${stepStateLabel(p.cutover.next.state)}` : '';
    lines.push(`Cutover: ${p.cutover.done} of ${p.cutover.total} steps done${next}`);
  }
  return lines.join('\n');
}

function runsText(p: HomePipeline, now: number): string {
  const side = (run: HomeRun | undefined, none: string) => {
    if (!run) return `${none} _none yet_`;
    const took = run.durationMs !== undefined ? ` ${formatDuration(run.durationMs)}` : '';
    return `${link(run.url, engineLabel(run.engine))}${took} ${stateLabel(run.state)} ${formatAgo(run.at, now)}`;
  };
  const { lastLegacy: l, lastTarget: t, speedUp } = p;
  const ratio = speedUp ? speedUpRatio(speedUp.legacyMs, speedUp.targetMs) : undefined;
  const speed = ratio ? ` · :stopwatch: ${ratio} (${escapeMrkdwn(speedUp!.period)})` : l && t ? ' · :stopwatch: no speed-up yet: no period succeeded on both sides' : '';
  return `${side(l, 'legacy')} vs ${side(t, 'Databricks')}${speed}`;
}

function dqText(dq: DqResult | undefined, now: number): string {
  if (!dq) return '_no result yet_';
  const period = dq.period ? ` ${escapeMrkdwn(dq.period)}` : '';
  return `${dq.passed ? ':white_check_mark: *passed*' : ':x: *failed*'}${period} (${formatAgo(dq.at, now)})`;
}
