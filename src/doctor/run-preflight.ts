import type { Catalog } from '../config/catalog-schema.ts';
import type { Config } from '../config/load-config.ts';
import { planPreflight } from './plan-preflight.ts';
import { runProbe, type PreflightClients } from './run-probe.ts';
import type { Finding, PreflightReport } from './types.ts';

export interface RunPreflightOptions {
  clients: PreflightClients;
  /** Each target gets this long. Default 10 s. */
  timeoutMs?: number;
  /** Targets reached at once. Default 4. */
  concurrency?: number;
  now?: () => number;
}

/**
 * The whole preflight: settings the catalog needs, then every target reached once, in
 * parallel with a bound. A problem becomes one finding per pipeline field that needs it.
 */
export async function runPreflight(catalog: Catalog, config: Config, opts: RunPreflightOptions): Promise<PreflightReport> {
  const { missing, probes } = planPreflight(catalog, config);
  const findings: Finding[] = [...missing];
  let next = 0;
  const worker = async () => {
    while (next < probes.length) {
      const probe = probes[next++]!;
      const problem = await runProbe(probe.target, opts.clients, AbortSignal.timeout(opts.timeoutMs ?? 10_000));
      if (problem) findings.push(...probe.uses.map((use) => ({ ...use, problem })));
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency ?? 4, probes.length) }, worker));
  findings.sort((a, b) => (a.pipeline ?? '').localeCompare(b.pipeline ?? '') || a.field.localeCompare(b.field));
  return { ok: findings.length === 0, findings, checked: probes.length, at: (opts.now ?? Date.now)() };
}

/** `incites-monthly target.jobId: Databricks jobs/get 123: RESOURCE_DOES_NOT_EXIST: …`, one line each. */
export function findingLine(f: Finding): string {
  return `${f.pipeline ? `${f.pipeline} ` : ''}${f.field}: ${f.problem}`;
}
