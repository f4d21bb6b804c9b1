import type { Pipeline } from '../config/catalog-schema.ts';
import type { ParallelRecord } from '../store/parallel-record.ts';
import { planHash } from './plan-version.ts';
import type { CutoverStepConfig, GateCheck, GateEvidence, ParallelEvidence, StepState } from './types.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * What a parallel run was compared under: the pipeline's outputs (compare rules, checks),
 * engines, environments and params. A run under another version compared something else, so it
 * is no evidence for the plan as it is now. Recorded on each parallel run when it is created.
 */
export function catalogVersionOf(pipeline: Pipeline): string {
  return planHash({ outputs: pipeline.outputs, legacy: pipeline.legacy ?? null, target: pipeline.target, environments: pipeline.environments ?? {}, params: pipeline.params ?? {} });
}

/** Steps go in order: a step waits until the one before it is `done`. */
export function previousStepGate(previous: string, previousState: StepState): GateCheck {
  const met = previousState === 'done';
  const reason = met ? `step ${previous} is done` : `waits for step ${previous} to be done (it is ${previousState})`;
  return { gate: 'previousStep', met, reason, previous, previousState };
}

/**
 * Every parallel run looked at for `cleanParallelRuns: N`, newest period first, each with
 * whether it counts and why not. A careful approver's reading: the latest run of each period
 * stands for that period (older runs of it are superseded); the most recent periods are taken
 * in order while their run is clean, so a newer non-clean run resets the count; a run under
 * another catalog version, a `/pipeline diff` or a run still going is no evidence.
 */
export function countedParallelRuns(parallels: readonly ParallelRecord[], n: number, catalogVersion?: string): ParallelEvidence[] {
  const evidence = (p: ParallelRecord, counted: boolean, why?: string): ParallelEvidence => ({
    id: p.id,
    period: p.period,
    verdict: p.verdict ?? 'none',
    counted,
    ...(why ? { why } : {}),
    ...(p.catalogVersion ? { catalogVersion: p.catalogVersion } : {}),
    ...(p.endedAt !== undefined ? { endedAt: p.endedAt } : {}),
  });
  const finished = parallels.filter((p) => p.kind === 'parallel' && p.state === 'done');
  // Newest period first; within a period, the run that ended (or started) last first.
  const ordered = [...finished].sort((a, b) => (a.period !== b.period ? (a.period < b.period ? 1 : -1) : (b.endedAt ?? b.createdAt) - (a.endedAt ?? a.createdAt)));
  const out: ParallelEvidence[] = [];
  const latestOf = new Map<string, string>();
  let counted = 0;
  let stopped: string | undefined;
  for (const p of ordered) {
    const newer = latestOf.get(p.period);
    if (newer) {
      out.push(evidence(p, false, `superseded by the newer run ${newer} of ${p.period}`));
      continue;
    }
    latestOf.set(p.period, p.id);
    if (stopped) out.push(evidence(p, false, stopped));
    else if (counted >= n) out.push(evidence(p, false, `older than the ${plural(n, 'period')} counted`));
    else if (catalogVersion !== undefined && p.catalogVersion !== catalogVersion) {
      out.push(evidence(p, false, p.catalogVersion ? `ran under catalog version ${p.catalogVersion}, not the current ${catalogVersion}` : 'ran before catalog versions were recorded'));
      stopped = `older than ${p.id}, which does not count`;
    } else if (p.verdict !== 'clean') {
      out.push(evidence(p, false, `${p.verdict ?? 'no verdict'}: the count starts again after it`));
      stopped = `older than the ${p.verdict ?? 'unfinished'} run ${p.id} of ${p.period}`;
    } else {
      counted++;
      out.push(evidence(p, true));
    }
  }
  for (const p of parallels) {
    if (p.kind !== 'parallel') out.push(evidence(p, false, '/pipeline diff compares outputs only: not a parallel run'));
    else if (p.state !== 'done') out.push(evidence(p, false, `still ${p.state}`));
  }
  return out;
}

/** `cleanParallelRuns: N`: the N most recent periods each have a clean latest parallel run, under the current catalog version. */
export function cleanParallelRunsGate(required: number, evidence: GateEvidence): GateCheck {
  const runs = countedParallelRuns(evidence.parallels, required, evidence.catalogVersion);
  const counted = runs.filter((r) => r.counted);
  const met = counted.length >= required;
  const periods = counted.map((r) => r.period).join(', ');
  const reason = met
    ? `the ${plural(required, 'most recent period')} (${periods}) each have a clean parallel run`
    : `${counted.length} of the ${plural(required, 'clean parallel run')} of distinct, most recent periods needed so far${periods ? ` (${periods})` : ''}`;
  return { gate: 'cleanParallelRuns', met, reason, required, runs };
}

/**
 * `dqGreen`: a green result for the latest period (the last complete month), from Cutover's own
 * checks or an inbound topic the catalog trusts for gates (`alerts.trustedTopics`).
 */
export function dqGreenGate(evidence: GateEvidence): GateCheck {
  const { dq, latestPeriod } = evidence;
  const newest = evidence.dqNewest;
  const other = newest && (newest.period !== latestPeriod || !newest.trusted) ? newest : undefined;
  const aside = other ? `; the newest result (${other.period}, ${other.source ?? 'unknown source'}) does not count: ${other.period !== latestPeriod ? 'another period' : 'from an untrusted topic'}` : '';
  if (!dq) return { gate: 'dqGreen', met: false, reason: `no DQ result from Cutover's checks for the latest period ${latestPeriod} yet${aside}`, ...(other ? { ignored: other } : {}) };
  return {
    gate: 'dqGreen',
    met: dq.passed,
    reason: `the DQ result for ${latestPeriod} (${dq.source ?? 'checks'}) ${dq.passed ? 'passed' : 'failed'}${aside}`,
    dq,
    ...(other ? { ignored: other } : {}),
  };
}

/**
 * One function per gate kind: a new kind (a cost gate…) adds an entry here and to the catalog's
 * gate schema. An entry returns undefined when its value means "no gate" (`dqGreen: false`).
 */
export const GATE_KINDS: { [K in keyof NonNullable<CutoverStepConfig['gate']>]-?: (value: NonNullable<NonNullable<CutoverStepConfig['gate']>[K]>, evidence: GateEvidence) => GateCheck | undefined } = {
  cleanParallelRuns: (n, evidence) => cleanParallelRunsGate(n, evidence),
  dqGreen: (on, evidence) => (on ? dqGreenGate(evidence) : undefined),
};

/** The catalog gates of a step (without `previousStep`), in the order the catalog lists them. */
export function configuredGates(step: CutoverStepConfig, evidence: GateEvidence): GateCheck[] {
  const gates: GateCheck[] = [];
  for (const [kind, value] of Object.entries(step.gate ?? {})) {
    if (value === undefined || !Object.hasOwn(GATE_KINDS, kind)) continue;
    const check = (GATE_KINDS[kind as keyof typeof GATE_KINDS] as (v: unknown, e: GateEvidence) => GateCheck | undefined)(value, evidence);
    if (check) gates.push(check);
  }
  return gates;
}

/** The evidence behind a step's gates, as hashed into its plan version. */
export function gateEvidence(gates: readonly GateCheck[]): Record<string, unknown> {
  const evidence: Record<string, unknown> = {};
  for (const g of gates) {
    if (g.gate === 'cleanParallelRuns') evidence.parallel = g.runs.filter((r) => r.counted).map((r) => ({ id: r.id, verdict: r.verdict, catalogVersion: r.catalogVersion }));
    else if (g.gate === 'dqGreen') evidence.dq = g.dq ? { id: g.dq.id, at: g.dq.at, passed: g.dq.passed } : null;
    else if (g.gate === 'previousStep') evidence.previousDone = g.met;
  }
  return evidence;
}
