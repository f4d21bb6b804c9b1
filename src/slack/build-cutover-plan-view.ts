import type { KnownBlock } from '@slack/types';
import type { Pipeline, Stage } from '../config/catalog-schema.ts';
import { describeAction } from '../cutover/describe-action.ts';
import type { PlanEvaluation, StepEvaluation } from '../cutover/types.ts';
import { approvalsText, approversText, gateLine, stageLabel, stepStateLabel } from './cutover-format.ts';
import { escapeMrkdwn, mention, slackDate, type SlackMessage } from './format.ts';
import { LIMITS, capBlocks, context, section, truncateText } from './limits.ts';

export interface PlanViewOptions {
  /** The pipeline's catalog entry, so actions name their job, cluster and DAG. */
  config?: Pipeline;
  stage: Stage;
  now: number;
  /** Links to parallel-run messages by id (e.g. permalinks); runs without one show their id. */
  parallelLinks?: Readonly<Record<string, string>>;
}

/**
 * `/pipeline cutover <pipeline>`: every step with its state word, its gates and the evidence
 * that counts, the approvals so far, and in words what its actions and its rollback will do.
 */
export function buildCutoverPlanView(plan: PlanEvaluation, opts: PlanViewOptions): SlackMessage {
  const name = escapeMrkdwn(plan.pipeline);
  const head: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncateText(`Cutover plan · ${plan.pipeline}`, LIMITS.headerText), emoji: true } },
    context(`Stage ${stageLabel(opts.stage)}`, `Approvers: ${approversText(plan.approvers)}`, `Requests expire after ${plan.ttlHours} h`),
  ];
  for (const problem of plan.problems) head.push(section(`:warning: ${escapeMrkdwn(problem)}`));
  const usage = context(
    `\`/pipeline cutover ${name} request <step>\` asks for approval to execute a ready step · \`/pipeline cutover ${name} rollback <step>\` to undo a done one`,
  );
  const steps = plan.steps.map((s) => section(stepText(s, opts)));
  return { text: fallback(plan), blocks: [...head, ...capBlocks(steps, LIMITS.blocksPerMessage - head.length - 1), usage] };
}

function stepText(s: StepEvaluation, opts: PlanViewOptions): string {
  const lines = [`*${s.index + 1}. ${escapeMrkdwn(s.id)}* · ${stepStateLabel(s.state)}${kindNote(s)}`];
  if (s.gates.length > 0) lines.push(...s.gates.map((g) => gateLine(g, opts.parallelLinks)));
  lines.push(actionsLine('Does', s.config.actions.map((a) => describeAction(a, opts.config)), 'nothing but record the step as done'));
  if (s.config.rollback.length > 0) lines.push(actionsLine('Rollback', s.config.rollback.map((a) => describeAction(a, opts.config)), ''));
  const r = s.request;
  if (r && s.state === 'awaiting_approval') {
    lines.push(`Approvals ${approvalsText(r)} · asked by ${mention(r.requestedBy)} · expires ${slackDate(r.expiresAt)}`);
  } else if (r && r.state !== 'pending' && r.state !== 'approved' && s.record?.requestId === r.id) {
    lines.push(`Last request ${r.state}${r.rejection ? ` by ${mention(r.rejection.user)}: ${escapeMrkdwn(truncateText(r.rejection.reason, 300))}` : ''}`);
  }
  if (s.state === 'failed' && s.record?.lastError) lines.push(`:warning: ${escapeMrkdwn(truncateText(s.record.lastError.message, 500))}`);
  const ready = s.refusal.execute === undefined ? ' · can be requested now' : '';
  lines.push(`_plan version \`${s.planVersion}\`${ready}_`);
  return lines.join('\n');
}

/** Says when the state is about a rollback rather than the step's own actions. */
function kindNote(s: StepEvaluation): string {
  const rolling = s.record?.requestKind === 'rollback' && ['awaiting_approval', 'approved', 'executing', 'failed'].includes(s.state);
  return rolling ? ' (rollback)' : '';
}

function actionsLine(label: string, words: string[], none: string): string {
  if (words.length === 0) return `${label}: ${none}`;
  if (words.length === 1) return `${label}: ${escapeMrkdwn(words[0]!)}`;
  return `${label}: ${words.map((w, i) => `(${i + 1}) ${escapeMrkdwn(w)}`).join(', ')}`;
}

function fallback(plan: PlanEvaluation): string {
  const steps = plan.steps.map((s) => `${s.id} ${s.state}`).join(', ');
  return truncateText(`Cutover plan of ${plan.pipeline}: ${steps || 'no steps'}`, LIMITS.fallbackText);
}
