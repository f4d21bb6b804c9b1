export type * from './types.ts';
export { planPreflight, literalPrefix, type PreflightPlan } from './plan-preflight.ts';
export { runPreflight, findingLine, type RunPreflightOptions } from './run-preflight.ts';
export { runProbe, describeTarget, type PreflightClients } from './run-probe.ts';
export { createPreflightClients } from './clients.ts';
export { PreflightMonitor } from './preflight-monitor.ts';
