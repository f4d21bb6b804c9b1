import type { ParallelRecord } from '../store/parallel-record.ts';
import type { CutoverStepConfig, DqResult, GateCheck, ParallelEvidence, StepState } from './types.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Steps go in order: a step waits until the one before it is `done`. */
export function previousStepGate(previous: string, previousState: StepState): GateCheck {
  const met = previousState === 'done';
  const reason = met ? `step ${previous} is done` : `waits for step ${previous} to be done (it is ${previousState})`;
  return { gate: 'previousStep', met, reason, previous, previousState };
}

/**
 * The parallel runs that count: the last `n` finished ones (`kind: 'parallel'`, `state: 'done'`).
 * `/pipeline diff` records and runs still going are not evidence of either kind.
 */
export function countedParallelRuns(parallels: readonly ParallelRecord[], n: number): ParallelEvidence[] {
  return parallels
    .filter((p) => p.kind === 'parallel' && p.state === 'done')
    .slice(0, n)
    .map((p) => ({ id: p.id, period: p.period, verdict: p.verdict ?? 'none', ...(p.endedAt !== undefined ? { endedAt: p.endedAt } : {}) }));
}

/** `cleanParallelRuns: N`: the last N finished parallel runs of the pipeline are all `clean`. */
export function cleanParallelRunsGate(required: number, parallels: readonly ParallelRecord[]): GateCheck {
  const runs = countedParallelRuns(parallels, required);
  const unclean = runs.filter((r) => r.verdict !== 'clean');
  let reason: string;
  if (unclean.length > 0) {
    const which = unclean.map((r) => `${r.id} (${r.period}) was ${r.verdict === 'none' ? 'without a verdict' : r.verdict}`).join(', ');
    reason = `the last ${plural(required, 'finished parallel run')} must all be clean: ${which}`;
  } else if (runs.length < required) {
    reason = `${runs.length} of the ${plural(required, 'clean parallel run')} needed so far`;
  } else {
    reason = `the last ${plural(required, 'finished parallel run')} ${required === 1 ? 'is' : 'are'} clean`;
  }
  return { gate: 'cleanParallelRuns', met: unclean.length === 0 && runs.length === required, reason, required, runs };
}

/** `dqGreen`: the latest DQ result on the target passed. */
export function dqGreenGate(dq: DqResult | undefined): GateCheck {
  if (!dq) return { gate: 'dqGreen', met: false, reason: 'no DQ result on the target yet' };
  const which = dq.period ? `the latest DQ result (${dq.period})` : 'the latest DQ result';
  return { gate: 'dqGreen', met: dq.passed, reason: `${which} ${dq.passed ? 'passed' : 'failed'}`, dq };
}

/** The catalog gates of a step (without `previousStep`). `dqGreen: false` means no gate. */
export function configuredGates(step: CutoverStepConfig, parallels: readonly ParallelRecord[], dq: DqResult | undefined): GateCheck[] {
  const gates: GateCheck[] = [];
  if (step.gate?.cleanParallelRuns !== undefined) gates.push(cleanParallelRunsGate(step.gate.cleanParallelRuns, parallels));
  if (step.gate?.dqGreen) gates.push(dqGreenGate(dq));
  return gates;
}

/** The evidence behind a step's gates, as hashed into its plan version. */
export function gateEvidence(gates: readonly GateCheck[]): Record<string, unknown> {
  const evidence: Record<string, unknown> = {};
  for (const g of gates) {
    if (g.gate === 'cleanParallelRuns') evidence.parallel = g.runs.map((r) => ({ id: r.id, verdict: r.verdict }));
    else if (g.gate === 'dqGreen') evidence.dq = g.dq ? { id: g.dq.id, at: g.dq.at, passed: g.dq.passed } : null;
    else evidence.previousDone = g.met;
  }
  return evidence;
}
