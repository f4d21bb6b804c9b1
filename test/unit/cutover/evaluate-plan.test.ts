import { describe, expect, it } from 'vitest';
import { currentVersionOf, evaluatePlan, planHash, stableStringify, versionFor } from '../../../src/cutover/index.ts';
import type { CutoverStepRecord } from '../../../src/store/cutover-record.ts';
import { HOUR, T0, parallel, pendingRequest, pipeline, planInput } from './fixtures.ts';

const done = (step: string): CutoverStepRecord => ({ pipeline: 'incites-monthly', step, state: 'done', requestId: `c-${step}`, requestKind: 'execute' });
const states = (plan: ReturnType<typeof evaluatePlan>) => plan.steps.map((s) => [s.id, s.state]);

describe('evaluatePlan: gates and states', () => {
  it('starts with the first step ready on 3 clean parallel runs and the others blocked by the previous step', () => {
    const plan = evaluatePlan(planInput());
    expect(plan.problems).toEqual([]);
    expect(plan.approvers).toEqual({ users: ['U0BOB', 'U0CAROL'], min: 2, source: 'pipeline' });
    expect(plan.ttlHours).toBe(24);
    expect(states(plan)).toEqual([['parallel-clean', 'ready'], ['switch-primary', 'blocked'], ['decommission-legacy', 'blocked']]);
    expect(plan.steps[0]!.gates).toEqual([
      {
        gate: 'cleanParallelRuns', met: true, required: 3, reason: 'the 3 most recent periods (2024-05, 2024-04, 2024-03) each have a clean parallel run',
        runs: [expect.objectContaining({ id: 'p-c1', verdict: 'clean', counted: true }), expect.objectContaining({ id: 'p-c2', counted: true }), expect.objectContaining({ id: 'p-c3', counted: true })],
      },
    ]);
    expect(plan.steps[1]!.gates).toEqual([
      { gate: 'previousStep', met: false, previous: 'parallel-clean', previousState: 'ready', reason: 'waits for step parallel-clean to be done (it is ready)' },
    ]);
  });

  it('counts only finished parallel runs: diffs and runs still going are no evidence, and say so', () => {
    const parallels = [
      parallel(undefined, { id: 'p-going', state: 'running', period: '2024-06' }),
      parallel('clean', { id: 'p-diff-only', kind: 'diff', period: '2024-06' }),
      parallel('clean', { id: 'p-a', period: '2024-05' }),
      parallel('clean', { id: 'p-b', period: '2024-04' }),
      parallel('clean', { id: 'p-c', period: '2024-03' }),
      parallel('different', { id: 'p-old', period: '2024-02' }),
    ];
    const gate = evaluatePlan(planInput({ parallels })).steps[0]!.gates[0]!;
    expect(gate).toMatchObject({ met: true });
    const runs = gate.gate === 'cleanParallelRuns' ? gate.runs : [];
    expect(runs.filter((r) => r.counted).map((r) => r.id)).toEqual(['p-a', 'p-b', 'p-c']);
    expect(Object.fromEntries(runs.filter((r) => !r.counted).map((r) => [r.id, r.why]))).toEqual({
      'p-old': 'older than the 3 periods counted',
      'p-going': 'still running',
      'p-diff-only': '/pipeline diff compares outputs only: not a parallel run',
    });
  });

  it('blocks on a different or failed run among the last N, naming it, and on too few runs', () => {
    const bad = evaluatePlan(planInput({ parallels: [parallel('clean', { id: 'p-1' }), parallel('different', { id: 'p-2', period: '2024-04' }), parallel('failed', { id: 'p-3', period: '2024-03' })] }));
    expect(bad.steps[0]!.state).toBe('blocked');
    expect(bad.steps[0]!.gates[0]!.reason).toBe('1 of the 3 clean parallel runs of distinct, most recent periods needed so far (2024-05)');
    const few = evaluatePlan(planInput({ parallels: [parallel('clean'), parallel('clean', { period: '2024-04' })] }));
    expect(few.steps[0]!.gates[0]).toMatchObject({ met: false, reason: '2 of the 3 clean parallel runs of distinct, most recent periods needed so far (2024-05, 2024-04)' });
    expect(few.steps[0]!.refusal.execute).toBe('not yet: 2 of the 3 clean parallel runs of distinct, most recent periods needed so far (2024-05, 2024-04)');
  });

  it('dqGreen follows the latest DQ result on the target', () => {
    const steps = { 'parallel-clean': done('parallel-clean'), 'switch-primary': done('switch-primary') };
    const green = evaluatePlan(planInput({ steps }));
    expect(green.steps[2]).toMatchObject({ state: 'ready', gatesMet: true });
    expect(green.steps[2]!.gates.map((g) => g.reason)).toEqual(['step switch-primary is done', 'the DQ result for 2024-05 (run) passed']);
    const red = evaluatePlan(planInput({ steps, dq: { passed: false, at: T0, period: '2024-05', source: 'run' } }));
    expect(red.steps[2]).toMatchObject({ state: 'blocked', refusal: { execute: 'not yet: the DQ result for 2024-05 (run) failed' } });
    expect(evaluatePlan(planInput({ steps, dq: undefined })).steps[2]!.gates[1]!.reason).toBe("no DQ result from Cutover's checks for the latest period 2024-05 yet");
  });

  it('shows stored states, and a lapsed request as the state it left', () => {
    const req = pendingRequest();
    const awaiting: CutoverStepRecord = { pipeline: 'incites-monthly', step: 'switch-primary', state: 'awaiting_approval', requestId: req.id, requestKind: 'execute', idleState: 'ready' };
    const steps = { 'parallel-clean': done('parallel-clean'), 'switch-primary': awaiting };
    expect(evaluatePlan(planInput({ steps, requests: [req] })).steps[1]).toMatchObject({ state: 'awaiting_approval', request: req });
    expect(evaluatePlan(planInput({ steps, requests: [req], now: T0 + 24 * HOUR })).steps[1]!.state).toBe('ready');
    expect(evaluatePlan(planInput({ steps, requests: [{ ...req, state: 'rejected' }] })).steps[1]!.state).toBe('ready');
    for (const state of ['approved', 'executing', 'failed', 'rolled_back'] as const) {
      const plan = evaluatePlan(planInput({ steps: { ...steps, 'switch-primary': { ...awaiting, state } } }));
      expect(plan.steps[1]!.state).toBe(state);
    }
  });
});

describe('evaluatePlan: plan versions', () => {
  it('a request must match its step as the plan is now; a step gone from the catalog matches nothing', () => {
    const plan = evaluatePlan(planInput());
    const step = plan.steps[0]!;
    expect(currentVersionOf(plan, { step: step.id, kind: 'execute' })).toBe(step.planVersion);
    expect(currentVersionOf(plan, { step: step.id, kind: 'rollback' })).toBe(step.rollbackVersion);
    expect(step.planVersion).not.toBe(step.rollbackVersion);
    expect(currentVersionOf(plan, { step: 'no-such-step', kind: 'execute' })).toBe('step-removed');
  });

  const base = evaluatePlan(planInput()).steps;

  it('is stable for the same input and short', () => {
    expect(evaluatePlan(planInput()).steps.map((s) => s.planVersion)).toEqual(base.map((s) => s.planVersion));
    expect(base[0]!.planVersion).toMatch(/^[0-9a-f]{12}$/);
    expect(new Set(base.map((s) => s.planVersion)).size).toBe(3);
    expect(versionFor(base[1]!, 'execute')).toBe(base[1]!.planVersion);
    expect(versionFor(base[1]!, 'rollback')).toBe(base[1]!.rollbackVersion);
  });

  it('changes when the catalog changes the step or the approvers', () => {
    const config = pipeline();
    config.cutover!.steps[1]!.actions = [{ 'databricks.schedule': 'UNPAUSED' }];
    const changed = evaluatePlan(planInput({ config })).steps;
    expect(changed[1]!.planVersion).not.toBe(base[1]!.planVersion);
    expect(changed[0]!.planVersion).toBe(base[0]!.planVersion);
    const approvers = pipeline();
    approvers.cutover!.approvers = { users: ['U0BOB', 'U0CAROL', 'U0DAVE'], min: 2 };
    expect(evaluatePlan(planInput({ config: approvers })).steps[0]!.planVersion).not.toBe(base[0]!.planVersion);
  });

  it('changes with the evidence its own gates count, and only that', () => {
    const newer = evaluatePlan(planInput({ parallels: [parallel('clean', { id: 'p-new', endedAt: T0 - HOUR / 2 }), ...planInput().parallels] })).steps;
    expect(newer[0]!.planVersion).not.toBe(base[0]!.planVersion);
    expect(newer[1]!.planVersion).toBe(base[1]!.planVersion); // switch-primary has no parallel gate
    const verdictFlip = evaluatePlan(planInput({ parallels: [parallel('different', { id: 'p-c1' }), ...planInput().parallels.slice(1)] })).steps;
    expect(verdictFlip[0]!.planVersion).not.toBe(base[0]!.planVersion);
    const dq = evaluatePlan(planInput({ dq: { passed: true, at: T0, period: '2024-05', source: 'run' } })).steps;
    expect(dq[2]!.planVersion).not.toBe(base[2]!.planVersion);
    expect(dq[0]!.planVersion).toBe(base[0]!.planVersion);
    expect(newer[0]!.rollbackVersion).toBe(base[0]!.rollbackVersion);
  });

  it('hashes with sorted keys', () => {
    expect(stableStringify({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
    expect(planHash({ a: 1, b: 2 })).toBe(planHash({ b: 2, a: 1 }));
  });
});

describe('evaluatePlan: who may request what', () => {
  it('refuses a rollback of a step while a later one is done, and a step without rollback actions', () => {
    const steps = { 'parallel-clean': done('parallel-clean'), 'switch-primary': done('switch-primary'), 'decommission-legacy': done('decommission-legacy') };
    const plan = evaluatePlan(planInput({ steps }));
    expect(plan.steps[1]!.refusal).toEqual({ execute: 'the step is already done', rollback: 'roll back step decommission-legacy first (it is done)' });
    expect(plan.steps[0]!.refusal.rollback).toBe('step parallel-clean has no rollback actions in the catalog');
    const two = evaluatePlan(planInput({ steps: { 'parallel-clean': done('parallel-clean'), 'switch-primary': done('switch-primary') } }));
    expect(two.steps[1]!.refusal).toEqual({ execute: 'the step is already done' });
    expect(two.steps[2]!.refusal.rollback).toBe('only a done or failed step can be rolled back (this one is ready)');
  });

  it('refuses a second request while one waits', () => {
    const req = pendingRequest();
    const steps = { 'parallel-clean': done('parallel-clean'), 'switch-primary': { ...done('switch-primary'), state: 'awaiting_approval' as const, requestId: req.id } };
    const plan = evaluatePlan(planInput({ steps, requests: [req] }));
    expect(plan.steps[1]!.refusal).toEqual({ execute: `an execute request (${req.id}) is already waiting for approval`, rollback: `an execute request (${req.id}) is already waiting for approval` });
  });

  it('falls back to permissions.approve with min 1, and reports a catalog nobody can approve', () => {
    const config = pipeline({ steps: [{ id: 'only' }] });
    expect(evaluatePlan(planInput({ config })).approvers).toEqual({ users: ['U0ADMIN'], min: 1, source: 'permissions' });
    const nobody = evaluatePlan(planInput({ config, defaultApprovers: [] }));
    expect(nobody.problems).toEqual(['nobody can approve: set cutover.approvers for the pipeline or permissions.approve']);
    expect(nobody.steps[0]!.refusal.execute).toBe(nobody.problems[0]);
    const short = evaluatePlan(planInput({ config: pipeline({ approvers: { users: ['U0BOB'], min: 2 }, steps: [{ id: 'only' }] }) }));
    expect(short.problems).toEqual(['cutover.approvers needs 2 approvals but names only 1 approver']);
    const group = evaluatePlan(planInput({ config: pipeline({ approvers: { users: ['S0LEADS'], min: 2 }, steps: [{ id: 'only' }] }) }));
    expect(group.problems).toEqual([]);
  });

  it('a pipeline without a cutover block has no steps and says so', () => {
    const config = pipeline();
    delete config.cutover;
    expect(evaluatePlan(planInput({ config }))).toMatchObject({ steps: [], problems: ['incites-monthly has no cutover steps in the catalog'] });
  });
});

describe('finding 3: gate evidence is what a careful approver means', () => {
  const gateOf = (parallels: ReturnType<typeof parallel>[]) => evaluatePlan(planInput({ parallels })).steps[0]!.gates[0]!;

  it('finding 3: re-running one clean month N times does not meet cleanParallelRuns: N', () => {
    const gate = gateOf([parallel('clean', { id: 'p-x3', endedAt: T0 - 1000 }), parallel('clean', { id: 'p-x2', endedAt: T0 - 2000 }), parallel('clean', { id: 'p-x1', endedAt: T0 - 3000 })]);
    expect(gate).toMatchObject({ met: false, reason: '1 of the 3 clean parallel runs of distinct, most recent periods needed so far (2024-05)' });
    expect(gate.gate === 'cleanParallelRuns' && gate.runs.map((r) => [r.id, r.counted, r.why])).toEqual([
      ['p-x3', true, undefined],
      ['p-x2', false, 'superseded by the newer run p-x3 of 2024-05'],
      ['p-x1', false, 'superseded by the newer run p-x3 of 2024-05'],
    ]);
  });

  it('finding 3: a newer non-clean run of a period resets the count', () => {
    const gate = gateOf([
      parallel('different', { id: 'p-may-2', period: '2024-05', endedAt: T0 - 1000 }),
      parallel('clean', { id: 'p-may-1', period: '2024-05', endedAt: T0 - 5000 }),
      parallel('clean', { id: 'p-apr', period: '2024-04' }),
      parallel('clean', { id: 'p-mar', period: '2024-03' }),
      parallel('clean', { id: 'p-feb', period: '2024-02' }),
    ]);
    expect(gate.met).toBe(false);
    expect(gate.gate === 'cleanParallelRuns' && gate.runs.filter((r) => r.counted)).toEqual([]);
    expect(gate.gate === 'cleanParallelRuns' && gate.runs.find((r) => r.id === 'p-may-2')?.why).toBe('different: the count starts again after it');
  });

  it('finding 3: a run under another catalog version does not count, and says which version it ran under', () => {
    const gate = gateOf([parallel('clean', { id: 'p-new', period: '2024-05' }), parallel('clean', { id: 'p-old-cat', period: '2024-04', catalogVersion: 'abcdef012345' }), parallel('clean', { id: 'p-mar', period: '2024-03' })]);
    expect(gate.met).toBe(false);
    expect(gate.gate === 'cleanParallelRuns' && gate.runs.find((r) => r.id === 'p-old-cat')?.why).toMatch(/^ran under catalog version abcdef012345, not the current [0-9a-f]{12}$/);
  });

  it("finding 3: dqGreen counts only a green result from Cutover's own checks (or a trusted topic) for the latest period", () => {
    const steps = { 'parallel-clean': done('parallel-clean'), 'switch-primary': done('switch-primary') };
    // `/pipeline dq --period 2019-01` went green, or an untrusted publisher said so: neither is evidence.
    const old = evaluatePlan(planInput({ steps, dq: undefined, dqNewest: { passed: true, at: T0, period: '2019-01', source: 'command', trusted: true } }));
    expect(old.steps[2]).toMatchObject({ state: 'blocked' });
    expect(old.steps[2]!.gates[1]!.reason).toBe("no DQ result from Cutover's checks for the latest period 2024-05 yet; the newest result (2019-01, command) does not count: another period");
    const sns = evaluatePlan(planInput({ steps, dq: undefined, dqNewest: { passed: true, at: T0, period: '2024-05', source: 'sns', trusted: false } }));
    expect(sns.steps[2]!.gates[1]).toMatchObject({ met: false, reason: "no DQ result from Cutover's checks for the latest period 2024-05 yet; the newest result (2024-05, sns) does not count: from an untrusted topic" });
  });
});
