import type { ActionsBlock, KnownBlock } from '@slack/types';
import type { Pipeline } from '../config/catalog-schema.ts';
import { describeAction } from '../cutover/describe-action.ts';
import type { StepEvaluation } from '../cutover/types.ts';
import type { CutoverRequest } from '../store/cutover-record.ts';
import { ACTION_IDS } from './action-ids.ts';
import { approvalsText, gateLine, requestStateLabel } from './cutover-format.ts';
import { escapeMrkdwn, mention, slackDate, type SlackMessage } from './format.ts';
import { LIMITS, context, section, truncateText } from './limits.ts';

export interface ApprovalViewOptions {
  /** The step as `evaluatePlan` sees it now: its actions (or rollback) and gates are shown. */
  step?: StepEvaluation;
  /** The pipeline's catalog entry, so actions name their job, cluster and DAG. */
  config?: Pipeline;
  parallelLinks?: Readonly<Record<string, string>>;
  /**
   * What became of an approved request: its execution as the thread's progress message shows it,
   * or `superseded` when a newer request took the step before this one ran. Without it an approved
   * request is about to execute.
   */
  outcome?: RequestOutcome;
}

/** The end (or the progress) of an approved request's execution, for its message. */
export type RequestOutcome =
  | { kind: 'execution'; state: 'executing' | 'done' | 'failed' | 'rolled_back'; done: number; total: number; error?: { message: string } }
  | { kind: 'superseded'; by?: string };

const verb = (r: CutoverRequest) => (r.kind === 'execute' ? 'execute' : 'roll back');

/**
 * The approval request in the pipeline channel. While pending it has Approve and Reject
 * buttons (their `value` is the request id); once approved, rejected, expired or void it is
 * edited to say so and why, without buttons.
 */
export function buildApprovalRequest(r: CutoverRequest, now: number, opts: ApprovalViewOptions = {}): SlackMessage {
  const title = `${r.state === 'pending' ? 'Approval needed' : 'Cutover request'} · ${r.pipeline} · ${r.step}${r.kind === 'rollback' ? ' (rollback)' : ''}`;
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncateText(title, LIMITS.headerText), emoji: true } },
    section(`${mention(r.requestedBy)} asks to *${verb(r)}* step *${escapeMrkdwn(r.step)}* of *${escapeMrkdwn(r.pipeline)}*.`),
  ];
  if (opts.step) blocks.push(section(willDo(r, opts.step, opts.config, finished(r, opts.outcome))));
  if (opts.step && r.kind === 'execute' && opts.step.gates.length > 0) {
    blocks.push(section(`*Gates*\n${opts.step.gates.map((g) => gateLine(g, opts.parallelLinks)).join('\n')}`));
  }
  blocks.push(section(`*Approvals* ${approvalsText(r)}`), section(statusText(r, now, opts.outcome)));
  if (r.state === 'pending') blocks.push(buttons(r));
  blocks.push(context(`Request \`${r.id}\` · plan version \`${r.planVersion}\` · asked ${slackDate(r.createdAt)} · the requester cannot approve`));
  return { text: fallback(r, opts.outcome), blocks };
}

function willDo(r: CutoverRequest, step: StepEvaluation, config: Pipeline | undefined, over: boolean): string {
  const actions = r.kind === 'execute' ? step.config.actions : step.config.rollback;
  // Once the request is over, the list is what was asked for, not a promise.
  const heading = over ? '*Asked for*' : '*Will do*';
  if (actions.length === 0) return `${heading}: no actions; approving marks the step ${r.kind === 'execute' ? 'done' : 'rolled back'}.`;
  return `${heading}, in order:\n${actions.map((a, i) => `${i + 1}. ${escapeMrkdwn(describeAction(a, config))}`).join('\n')}`;
}

/** Whether nothing more will happen to the request. */
function finished(r: CutoverRequest, outcome: RequestOutcome | undefined): boolean {
  if (r.state === 'pending') return false;
  if (r.state !== 'approved') return true;
  return outcome !== undefined && !(outcome.kind === 'execution' && outcome.state === 'executing');
}

function statusText(r: CutoverRequest, now: number, outcome: RequestOutcome | undefined): string {
  const again = `\`/pipeline cutover ${escapeMrkdwn(r.pipeline)} ${r.kind === 'execute' ? 'request' : 'rollback'} ${escapeMrkdwn(r.step)}\``;
  switch (r.state) {
    case 'pending':
      return r.expiresAt > now
        ? `${requestStateLabel('pending')}: needs ${r.min - r.approvals.length} more · expires ${slackDate(r.expiresAt)}`
        : `${requestStateLabel('pending')}: ran out ${slackDate(r.expiresAt)}; the next click marks it expired`;
    case 'approved':
      return approvedText(r, now, outcome);
    case 'rejected': {
      const by = r.rejection ? ` by ${mention(r.rejection.user)}` : '';
      const reason = r.rejection ? `: ${escapeMrkdwn(truncateText(r.rejection.reason, 1000))}` : '';
      return `${requestStateLabel('rejected')}${by}${reason}`;
    }
    case 'expired':
      return `${requestStateLabel('expired')} ${slackDate(r.decidedAt ?? r.expiresAt)} with ${r.approvals.length} of ${r.min} approvals; ask again with ${again}`;
    case 'void':
      return `${requestStateLabel('void')}: the plan changed after it was asked for (version \`${r.planVersion}\` → \`${r.voidedFor ?? '?'}\`: the catalog or the gates' evidence); ask again with ${again}`;
  }
}

/**
 * An approved request says what became of it, so the message never promises an execution that
 * is over: executing (action k of n), executed / rolled back, failed with the error, or
 * superseded by a newer request for the step.
 */
function approvedText(r: CutoverRequest, now: number, outcome: RequestOutcome | undefined): string {
  const approved = `${requestStateLabel('approved')} ${slackDate(r.decidedAt ?? now)}`;
  if (!outcome) return `${approved}: the step ${r.kind === 'execute' ? 'executes' : 'is rolled back'} now; progress in the thread`;
  if (outcome.kind === 'superseded') {
    return `${approved}, then :fast_forward: *superseded*${outcome.by ? ` by request \`${escapeMrkdwn(outcome.by)}\`` : ' by a newer request'} before it ran; nothing was executed`;
  }
  switch (outcome.state) {
    case 'executing':
      return `${approved} · :arrows_counterclockwise: *executing*: ${outcome.done} of ${outcome.total} action${outcome.total === 1 ? '' : 's'} done; progress in the thread`;
    case 'done':
      return `${approved} · :white_check_mark: *executed*: ${outcome.total === 0 ? 'no actions; the step is marked done' : `all ${outcome.total} action${outcome.total === 1 ? '' : 's'} done`}; details in the thread`;
    case 'rolled_back':
      return `${approved} · :leftwards_arrow_with_hook: *rolled back*: ${outcome.total === 0 ? 'no actions; the step is marked rolled back' : `all ${outcome.total} rollback action${outcome.total === 1 ? '' : 's'} done`}; details in the thread`;
    case 'failed': {
      const why = outcome.error ? `: ${escapeMrkdwn(truncateText(outcome.error.message, 1000))}` : '';
      return `${approved} · :x: *failed* after ${outcome.done} of ${outcome.total} action${outcome.total === 1 ? '' : 's'}${why}; details in the thread`;
    }
  }
}

/** The word a decided request ends on: its execution's outcome once it has one. */
export function requestFinalWord(r: CutoverRequest, outcome: RequestOutcome | undefined): string {
  if (r.state !== 'approved' || !outcome) return r.state;
  if (outcome.kind === 'superseded') return 'superseded';
  return outcome.state === 'done' ? 'executed' : outcome.state === 'rolled_back' ? 'rolled back' : outcome.state;
}

function buttons(r: CutoverRequest): ActionsBlock {
  return {
    type: 'actions',
    block_id: `cutover_request_${r.id}`,
    elements: [
      {
        type: 'button', action_id: ACTION_IDS.cutoverApprove, style: 'primary', value: r.id,
        text: { type: 'plain_text', text: 'Approve' },
        confirm: {
          title: { type: 'plain_text', text: 'Approve this step?' },
          text: { type: 'mrkdwn', text: truncateText(`This may ${verb(r)} *${escapeMrkdwn(r.step)}* of *${escapeMrkdwn(r.pipeline)}* at once.`, LIMITS.confirmText) },
          confirm: { type: 'plain_text', text: 'Approve' },
          deny: { type: 'plain_text', text: 'Cancel' },
        },
      },
      { type: 'button', action_id: ACTION_IDS.cutoverReject, style: 'danger', value: r.id, text: { type: 'plain_text', text: 'Reject' } },
    ],
  };
}

function fallback(r: CutoverRequest, outcome: RequestOutcome | undefined): string {
  const what = `${verb(r)} ${r.pipeline} · ${r.step}`;
  const text =
    r.state === 'pending'
      ? `Approval needed: ${r.requestedByName ?? r.requestedBy} asks to ${what} (${r.approvals.length} of ${r.min} approvals)`
      : `Cutover request to ${what}: ${requestFinalWord(r, outcome)}`;
  return truncateText(text, LIMITS.fallbackText);
}
