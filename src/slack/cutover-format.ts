import type { Stage } from '../config/catalog-schema.ts';
import type { Approvers, GateCheck, StepState } from '../cutover/types.ts';
import type { CutoverRequest, RequestState } from '../store/cutover-record.ts';
import { escapeMrkdwn, link, mention, slackDate } from './format.ts';

/** Emoji beside (never instead of) the state word, as for runs. */
const STEP_EMOJI: Record<StepState, string> = {
  blocked: ':no_entry:',
  ready: ':large_green_circle:',
  awaiting_approval: ':hourglass_flowing_sand:',
  approved: ':ballot_box_with_check:',
  executing: ':gear:',
  done: ':white_check_mark:',
  failed: ':x:',
  rolled_back: ':leftwards_arrow_with_hook:',
};

const REQUEST_EMOJI: Record<RequestState, string> = {
  pending: ':hourglass_flowing_sand:',
  approved: ':white_check_mark:',
  rejected: ':no_entry_sign:',
  expired: ':alarm_clock:',
  void: ':wastebasket:',
};

export const STAGE_EMOJI: Record<Stage, string> = {
  legacy: ':old_key:',
  parallel: ':twisted_rightwards_arrows:',
  cutover: ':construction:',
  live: ':rocket:',
};

/** `:gear: *executing*`: the exact DESIGN state word, in bold. */
export const stepStateLabel = (state: StepState): string => `${STEP_EMOJI[state]} *${state}*`;
export const requestStateLabel = (state: RequestState): string => `${REQUEST_EMOJI[state]} *${state}*`;
export const stageLabel = (stage: Stage): string => `${STAGE_EMOJI[stage]} \`${stage}\``;

/** A user (`<@U…>`) or a user group (`<!subteam^S…>`). */
export const mentionAny = (id: string): string => (id.startsWith('S') ? `<!subteam^${id}>` : mention(id));

/** `2 of <@U0BOB>, <!subteam^S0LEADS>`. */
export function approversText(a: Approvers): string {
  if (a.users.length === 0) return '_nobody_';
  return `${a.min} of ${a.users.map(mentionAny).join(', ')}`;
}

/** `1 of 2: <@U0BOB> (date)`. */
export function approvalsText(r: Pick<CutoverRequest, 'approvals' | 'min'>): string {
  const who = r.approvals.map((a) => `${mention(a.user)} ${slackDate(a.at)}`);
  return `${r.approvals.length} of ${r.min}${who.length > 0 ? `: ${who.join(', ')}` : ''}`;
}

/** Runs shown as not counting, at most: the newest are the ones people ask about. */
const NOT_COUNTED_SHOWN = 5;

/**
 * One gate with its evidence: the parallel runs that count (linked when a link is known) and
 * the newest ones that do not, each with why (superseded, not clean, another catalog version…).
 */
export function gateLine(g: GateCheck, parallelLinks: Readonly<Record<string, string>> = {}): string {
  const mark = g.met ? ':white_check_mark:' : ':no_entry:';
  if (g.gate === 'cleanParallelRuns' && g.runs.length > 0) {
    const run = (r: (typeof g.runs)[number]) => `${link(parallelLinks[r.id], r.id)} ${escapeMrkdwn(r.period)} *${r.verdict}*`;
    const counted = g.runs.filter((r) => r.counted);
    const others = g.runs.filter((r) => !r.counted);
    const lines = [`${mark} ${escapeMrkdwn(g.reason)}`];
    if (counted.length > 0) lines.push(`    counts: ${counted.map((r) => `${run(r)}${r.catalogVersion ? ` (catalog \`${r.catalogVersion}\`)` : ''}`).join(', ')}`);
    if (others.length > 0) {
      const shown = others.slice(0, NOT_COUNTED_SHOWN).map((r) => `${run(r)}: ${escapeMrkdwn(r.why ?? '')}`);
      const more = others.length > NOT_COUNTED_SHOWN ? `; ${others.length - NOT_COUNTED_SHOWN} more` : '';
      lines.push(`    does not count: ${shown.join('; ')}${more}`);
    }
    return lines.join('\n');
  }
  return `${mark} ${escapeMrkdwn(g.reason)}`;
}
