import { historyChartSpec, historySeries, renderChart } from '../../../src/charts/index.ts';
import { evaluatePlan } from '../../../src/cutover/index.ts';
import type { ReportData } from '../../../src/report/index.ts';
import { sixMonths } from '../charts/chart-fixture.ts';
import { pendingRequest, planInput, T0 } from '../cutover/fixtures.ts';

/** A pipeline six months into its migration: parallel runs with costs, an approved first step, one awaiting approval. */
export async function reportData(over: Partial<ReportData> = {}): Promise<ReportData> {
  const parallels = sixMonths().reverse();
  parallels[0]!.p.outputs = { insights: { output: 'insights', verdict: 'clean', topColumns: [], counts: { legacy: 1000, target: 1000, onlyLegacy: 0, onlyTarget: 0, changed: 0, duplicateKeys: { legacy: 0, target: 0 }, nullKeys: { legacy: 0, target: 0 } } } };
  parallels[0]!.p.dq = { passed: true, total: 4, failing: [] };
  parallels[5]!.p.dq = { passed: false, total: 4, failing: [{ output: 'insights', check: 'not_null(customer_id)', failingRows: 3 }] };
  const approved = pendingRequest({ id: 'c-done-000001', step: 'parallel-clean', state: 'approved', approvals: [{ user: 'U0BOB', name: 'bob', at: T0 - 3_000_000 }, { user: 'U0CAROL', name: 'carol', at: T0 - 2_000_000 }], decidedAt: T0 - 2_000_000 });
  const waiting = pendingRequest({ id: 'c-wait-000002', step: 'switch-primary', approvals: [{ user: 'U0BOB', name: 'bob', at: T0 - 1_000_000 }] });
  const plan = evaluatePlan(
    planInput({
      steps: {
        'parallel-clean': { pipeline: 'incites-monthly', step: 'parallel-clean', state: 'done', requestId: approved.id },
        'switch-primary': { pipeline: 'incites-monthly', step: 'switch-primary', state: 'awaiting_approval', requestId: waiting.id },
      },
      requests: [approved, waiting],
    }),
  );
  const { rows, verdicts } = historySeries(parallels);
  const chart = await renderChart(historyChartSpec('incites-monthly', rows, verdicts));
  return {
    pipeline: 'incites-monthly',
    description: 'Monthly InCites insights <b>bold</b> & "quoted"',
    stage: 'cutover',
    legacyEngine: 'emr',
    targetEngine: 'databricks',
    parallels,
    plan,
    audit: [
      { id: '1-0', at: T0 - 3_000_000, actor: 'U0BOB', actorName: 'bob', pipeline: 'incites-monthly', action: 'cutover.approve', subject: 'parallel-clean', detail: { request: approved.id } },
      { id: '2-0', at: T0 - 2_500_000, actor: 'cutover', pipeline: 'incites-monthly', action: 'run.cost', subject: 'r-1', after: { cost: { status: 'known', amount: 18.75 } } },
      { id: '3-0', at: T0 - 2_400_000, actor: 'cutover', pipeline: 'incites-monthly', action: 'dq.failed', subject: '2026-03', after: { failing: [{ samples: '[PII]' }] } },
    ],
    chartDataUri: `data:image/png;base64,${chart.png.toString('base64')}`,
    generatedAt: T0,
    generatedBy: 'U0ALICE',
    ...over,
  };
}
