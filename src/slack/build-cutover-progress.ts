import type { Pipeline } from '../config/catalog-schema.ts';
import { describeAction } from '../cutover/describe-action.ts';
import type { CutoverAction } from '../cutover/types.ts';
import type { RequestKind } from '../store/cutover-record.ts';
import { stepStateLabel } from './cutover-format.ts';
import { escapeMrkdwn, mention, type SlackMessage } from './format.ts';
import { LIMITS, context, section, splitSections, truncateText } from './limits.ts';

/** One action's line: absent means not started yet. */
export interface ActionLine {
  status: 'running' | 'done' | 'failed';
  /** The action's result text (`ActionResult.text`) or, on failure, the error message. */
  text?: string;
}

export interface ExecutionProgress {
  pipeline: string;
  step: string;
  kind: RequestKind;
  state: 'executing' | 'done' | 'failed' | 'rolled_back';
  /** The step's actions for `execute`, its rollback for `rollback`, in order. */
  actions: readonly CutoverAction[];
  /** By action index. */
  lines: ReadonlyArray<ActionLine | undefined>;
  approvedBy?: readonly string[];
  requestId?: string;
  /** The error that stopped it, when `failed`. */
  error?: { code?: string; message: string };
  config?: Pipeline;
}

const MARK: Record<ActionLine['status'] | 'waiting', string> = {
  waiting: ':white_small_square:',
  running: ':arrows_counterclockwise:',
  done: ':white_check_mark:',
  failed: ':x:',
};

/** The execution (or rollback) of an approved step, in the request's thread, edited as each action ends. */
export function buildExecutionProgress(p: ExecutionProgress): SlackMessage {
  const what = p.kind === 'execute' ? 'step' : 'rollback of step';
  const by = p.approvedBy?.length ? ` · approved by ${p.approvedBy.map(mention).join(', ')}` : '';
  const head = section(`${stepStateLabel(p.state)} · ${what} *${escapeMrkdwn(p.step)}* of *${escapeMrkdwn(p.pipeline)}*${by}`);
  const lines = p.actions.map((a, i) => {
    const line = p.lines[i];
    const words = escapeMrkdwn(describeAction(a, p.config));
    const result = line?.text ? `: ${escapeMrkdwn(truncateText(line.text, 500))}` : '';
    return `${MARK[line?.status ?? 'waiting']} ${i + 1}. ${words}${result}`;
  });
  const body = lines.length > 0 ? splitSections(lines.join('\n')) : [section('No actions to run.')];
  const tail = [];
  if (p.state === 'failed') {
    const err = p.error ? `${p.error.code ? `${p.error.code}: ` : ''}${p.error.message}` : 'an action failed';
    const next = p.kind === 'execute' ? `ask again with \`/pipeline cutover ${p.pipeline} request ${p.step}\` or undo with \`/pipeline cutover ${p.pipeline} rollback ${p.step}\`` : `ask again with \`/pipeline cutover ${p.pipeline} rollback ${p.step}\``;
    tail.push(section(`:warning: Stopped: ${escapeMrkdwn(truncateText(err, 1500))}\nThe actions before it stay done; ${next}.`));
  }
  if (p.requestId) tail.push(context(`Request \`${p.requestId}\``));
  const text = truncateText(`${p.kind === 'execute' ? 'Cutover' : 'Rollback'} of ${p.pipeline} · ${p.step}: ${p.state}`, LIMITS.fallbackText);
  return { text, blocks: [head, ...body, ...tail] };
}
