import type { ActionsBlock, Button, InputBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { evaluatePlan } from '../../../src/cutover/index.ts';
import {
  ACTION_IDS,
  buildApprovalRequest,
  buildCutoverPlanView,
  buildExecutionProgress,
  buildRejectModal,
  readRejectReason,
  REJECT_MODAL_CALLBACK_ID,
  REJECT_REASON_REQUIRED,
} from '../../../src/slack/index.ts';
import type { CutoverRequest, CutoverStepRecord } from '../../../src/store/cutover-record.ts';
import type { RequestOutcome } from '../../../src/slack/build-approval-request.ts';
import { HOUR, T0, parallel, pendingRequest, pipeline, planInput } from '../cutover/fixtures.ts';
import { allText, limitProblems } from './run-fixture.ts';

const config = pipeline();
const links = { 'p-c1': 'https://slack.example/archives/C0PIPELINES/p1717200000000100' };
const done = (step: string): CutoverStepRecord => ({ pipeline: 'incites-monthly', step, state: 'done', requestId: `c-${step}`, requestKind: 'execute' });

/** The plan mid-way: step 1 done, step 2 waiting for approvals (1 of 2), step 3 blocked. */
function midwayPlan(request: CutoverRequest) {
  const steps = {
    'parallel-clean': done('parallel-clean'),
    'switch-primary': { pipeline: 'incites-monthly', step: 'switch-primary', state: 'awaiting_approval', requestId: request.id, requestKind: 'execute', idleState: 'ready' } as CutoverStepRecord,
  };
  return evaluatePlan(planInput({ steps, requests: [request], dq: { passed: false, at: T0 - HOUR, period: '2024-05' } }));
}

const buttonsOf = (blocks: unknown[]) => (blocks.find((b) => (b as ActionsBlock).type === 'actions') as ActionsBlock | undefined)?.elements as Button[] | undefined;

describe('buildCutoverPlanView', () => {
  it('shows a fresh plan: the first step ready on linked evidence, the others blocked', () => {
    const view = buildCutoverPlanView(evaluatePlan(planInput()), { config, stage: 'parallel', now: T0, parallelLinks: links });
    expect(view).toMatchSnapshot();
    expect(limitProblems(view)).toEqual([]);
    expect(view.text).toBe('Cutover plan of incites-monthly: parallel-clean ready, switch-primary blocked, decommission-legacy blocked');
    const text = allText(view);
    expect(text).toContain(`<${links['p-c1']}|p-c1>`);
    expect(text).toContain('unpause the schedule of Databricks job 123 (same cron and time zone)');
    expect(text).toContain('cancel the pending EMR steps of incites on cluster j-ABC123');
    expect(text).toContain(':large_green_circle: *ready*');
  });

  it('shows a step waiting for approval with the approvals so far, and a failed gate', () => {
    const req = pendingRequest({ approvals: [{ user: 'U0BOB', name: 'bob', at: T0 - 1000 }] });
    const view = buildCutoverPlanView(midwayPlan(req), { config, stage: 'cutover', now: T0 });
    expect(view).toMatchSnapshot();
    const text = allText(view);
    expect(text).toContain(':hourglass_flowing_sand: *awaiting_approval*');
    expect(text).toContain('Approvals 1 of 2: <@U0BOB>');
    expect(text).toContain(':no_entry: the DQ result for 2024-05 (checks) failed');
  });

  it('lists catalog problems', () => {
    const plan = evaluatePlan(planInput({ config: pipeline({ steps: [{ id: 'only' }] }), defaultApprovers: [] }));
    expect(allText(buildCutoverPlanView(plan, { stage: 'legacy', now: T0 }))).toContain(':warning: nobody can approve');
  });
});

describe('buildApprovalRequest', () => {
  const req = pendingRequest({ approvals: [{ user: 'U0BOB', name: 'bob', at: T0 - 1000 }], planVersion: 'abc123def456' });
  const step = midwayPlan(req).steps[1]!;

  it('while pending: what it will do, approvals so far and Approve/Reject buttons carrying the request id', () => {
    const view = buildApprovalRequest(req, T0, { step, config });
    expect(view).toMatchSnapshot();
    expect(limitProblems(view)).toEqual([]);
    expect(view.text).toBe('Approval needed: alice asks to execute incites-monthly · switch-primary (1 of 2 approvals)');
    const buttons = buttonsOf(view.blocks)!;
    expect(buttons.map((b) => [b.action_id, b.value, b.style])).toEqual([
      [ACTION_IDS.cutoverApprove, req.id, 'primary'],
      [ACTION_IDS.cutoverReject, req.id, 'danger'],
    ]);
    expect(allText(view)).toContain('1. unpause the schedule of Databricks job 123');
    expect(allText(view)).toContain('needs 1 more');
  });

  it.each<[string, Partial<CutoverRequest>, string]>([
    ['approved', { state: 'approved', decidedAt: T0 + 5, approvals: [{ user: 'U0BOB', at: T0 }, { user: 'U0CAROL', at: T0 + 5 }] }, ':white_check_mark: *approved*'],
    ['rejected', { state: 'rejected', decidedAt: T0 + 5, rejection: { user: 'U0CAROL', reason: 'DQ <failed> on May', at: T0 + 5 } }, ':no_entry_sign: *rejected* by <@U0CAROL>: DQ &lt;failed&gt; on May'],
    ['expired', { state: 'expired', decidedAt: T0 + 24 * HOUR }, ':alarm_clock: *expired*'],
    ['void', { state: 'void', decidedAt: T0 + 5, voidedFor: '999fff000aaa' }, 'version `abc123def456` → `999fff000aaa`'],
  ])('once %s: says so and why, without buttons', (state, over, says) => {
    const view = buildApprovalRequest({ ...req, ...over }, T0 + 24 * HOUR, { step, config });
    expect(view).toMatchSnapshot();
    expect(buttonsOf(view.blocks)).toBeUndefined();
    expect(allText(view)).toContain(says);
    expect(view.text).toBe(`Cutover request to execute incites-monthly · switch-primary: ${state}`);
  });

  it.each<[string, RequestOutcome, string, string]>([
    ['executing', { kind: 'execution', state: 'executing', done: 1, total: 2 }, ':arrows_counterclockwise: *executing*: 1 of 2 actions done', 'executing'],
    ['executed', { kind: 'execution', state: 'done', done: 2, total: 2 }, ':white_check_mark: *executed*: all 2 actions done', 'executed'],
    ['failed', { kind: 'execution', state: 'failed', done: 1, total: 2, error: { message: 'Databricks said <no>' } }, ':x: *failed* after 1 of 2 actions: Databricks said &lt;no&gt;', 'failed'],
    ['superseded', { kind: 'superseded', by: 'c-lx2-bbbbbb' }, ':fast_forward: *superseded* by request `c-lx2-bbbbbb` before it ran; nothing was executed', 'superseded'],
  ])('once approved and %s: the message says what became of it (issue 15 item 4)', (_name, outcome, says, word) => {
    const approved: CutoverRequest = { ...req, state: 'approved', decidedAt: T0 + 5, approvals: [{ user: 'U0BOB', at: T0 }, { user: 'U0CAROL', at: T0 + 5 }] };
    const view = buildApprovalRequest(approved, T0 + HOUR, { step, config, outcome });
    expect(allText(view)).toContain(says);
    expect(allText(view)).not.toContain('executes now');
    expect(view.text).toBe(`Cutover request to execute incites-monthly · switch-primary: ${word}`);
    expect(allText(view)).toContain(outcome.kind === 'execution' && outcome.state === 'executing' ? '*Will do*' : '*Asked for*');
    expect(buttonsOf(view.blocks)).toBeUndefined();
    expect(limitProblems(view)).toEqual([]);
  });

  it('a rollback request shows the rollback actions and no gates', () => {
    const view = buildApprovalRequest({ ...req, kind: 'rollback' }, T0, { step, config });
    const text = allText(view);
    expect(text).toContain('asks to *roll back* step');
    expect(text).toContain('1. pause the schedule of Databricks job 123');
    expect(text).not.toContain('Gates');
  });
});

describe('buildExecutionProgress', () => {
  const base = { pipeline: 'incites-monthly', step: 'switch-primary', kind: 'execute' as const, actions: config.cutover!.steps[1]!.actions, config, approvedBy: ['U0BOB', 'U0CAROL'], requestId: 'c-lx1-aaaaaa' };

  it('marks each action as it runs and ends', () => {
    const view = buildExecutionProgress({ ...base, state: 'executing', lines: [{ status: 'done', text: 'Databricks job 123 schedule UNPAUSED (0 0 6 2 * ? Europe/London)' }, { status: 'running' }] });
    expect(view).toMatchSnapshot();
    expect(view.text).toBe('Cutover of incites-monthly · switch-primary: executing');
  });

  it('on failure names the error and what to do next', () => {
    const view = buildExecutionProgress({
      ...base, state: 'failed', lines: [{ status: 'done', text: 'ok' }, { status: 'failed', text: 'EMR throttled' }],
      error: { code: 'api_error', message: 'emr CancelSteps failed: ThrottlingException' },
    });
    expect(view).toMatchSnapshot();
    expect(allText(view)).toContain('/pipeline cutover incites-monthly rollback switch-primary');
  });
});

describe('buildRejectModal', () => {
  it('asks for a reason, keyed to the request', () => {
    const modal = buildRejectModal(pendingRequest());
    expect(modal).toMatchSnapshot();
    expect(modal.callback_id).toBe(REJECT_MODAL_CALLBACK_ID);
    expect(modal.private_metadata).toBe('c-lx1-aaaaaa');
    const input = modal.blocks.find((b) => b.type === 'input') as InputBlock;
    expect(input.optional).toBeUndefined();
    expect(input.element).toMatchObject({ type: 'plain_text_input', multiline: true, min_length: 1 });
  });

  it('reads the reason back, treating blank as missing', () => {
    expect(readRejectReason({ reason: { reason_input: { value: '  flaky DQ  ' } } })).toBe('flaky DQ');
    expect(readRejectReason({ reason: { reason_input: { value: '   ' } } })).toBeUndefined();
    expect(readRejectReason(undefined)).toBeUndefined();
    expect(REJECT_REASON_REQUIRED).toEqual({ response_action: 'errors', errors: { reason: 'Say why the step is rejected.' } });
  });
});

it('finding 3: the plan view shows which runs count and why the others do not', () => {
  const plan = evaluatePlan(planInput({
    parallels: [
      parallel('clean', { id: 'p-x1', period: '2024-05', endedAt: T0 - 1000 }),
      parallel('clean', { id: 'p-x0', period: '2024-05', endedAt: T0 - 9000 }),
      parallel('different', { id: 'p-x2', period: '2024-04' }),
      parallel('clean', { id: 'p-x3', period: '2024-03' }),
    ],
  }));
  const text = allText(buildCutoverPlanView(plan, { config, stage: 'parallel', now: T0 }));
  expect(text).toContain(':no_entry: 1 of the 3 clean parallel runs of distinct, most recent periods needed so far (2024-05)');
  expect(text).toMatch(/counts: p-x1 2024-05 \*clean\* \(catalog `[0-9a-f]{12}`\)/);
  expect(text).toContain('does not count: p-x0 2024-05 *clean*: superseded by the newer run p-x1 of 2024-05; p-x2 2024-04 *different*: different: the count starts again after it; p-x3 2024-03 *clean*: older than the different run p-x2 of 2024-04');
});
