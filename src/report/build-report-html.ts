import { resolvedSources } from '../slack/build-parallel-view.ts';
import type { HistoryPoint } from '../charts/index.ts';
import type { PlanEvaluation } from '../cutover/types.ts';
import { costChange, costFigure, effectiveCost, formatMoney, unknownCostNotes } from '../slack/cost-format.ts';
import { formatDuration } from '../slack/format.ts';
import type { StoredAuditEvent } from '../store/audit-log.ts';

/** Everything the go-live report shows, read from the stores (src/report/gather-report.ts). */
export interface ReportData {
  pipeline: string;
  description: string;
  stage: string;
  legacyEngine?: string;
  targetEngine: string;
  /** Newest first. */
  parallels: HistoryPoint[];
  plan?: PlanEvaluation;
  /** Oldest first; PII-bearing fields already replaced. */
  audit: StoredAuditEvent[];
  /** `data:image/png;base64,…`, or undefined when there is nothing to draw. */
  chartDataUri?: string;
  generatedAt: number;
  generatedBy?: string;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Every piece of text that goes into the document passes through here. */
export const esc = (v: unknown): string => String(v ?? '').replace(/[&<>"']/g, (c) => ESC[c]!);
const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC');
const td = (v: unknown, cls = '') => `<td${cls ? ` class="${cls}"` : ''}>${esc(v)}</td>`;

/**
 * The go-live report: one self-contained HTML document (styles inline, chart embedded as a data
 * URI, no script, no outside request) for the post-migration review. Pure: the same data gives
 * the same document, and every value is escaped.
 */
export function buildReportHtml(d: ReportData): string {
  const sections = [overview(d), parallelRuns(d), dqHistory(d), chart(d), cutoverSteps(d), auditTrail(d)];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Go-live report: ${esc(d.pipeline)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1f2328}
h1{margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.clean,.passed,.done,.approved{color:#1a7f37}.different,.awaiting_approval{color:#9a6700}.failed,.rejected{color:#cf222e}
.muted{color:#57606a}img.chart{max-width:100%;height:auto;border:1px solid #d0d7de}code{font-size:.85rem}
</style></head><body>
${sections.join('\n')}
</body></html>
`;
}

function overview(d: ReportData): string {
  return `<header><h1>Go-live report: ${esc(d.pipeline)}</h1>
<p class="muted">${esc(d.description)}</p>
<table><tbody>
<tr><th>Stage</th>${td(d.stage)}</tr>
<tr><th>Legacy engine</th>${td(d.legacyEngine ?? 'none')}</tr>
<tr><th>Target engine</th>${td(d.targetEngine)}</tr>
<tr><th>Parallel runs</th>${td(d.parallels.filter((x) => x.p.kind === 'parallel').length)}</tr>
<tr><th>Generated</th>${td(`${iso(d.generatedAt)}${d.generatedBy ? ` for ${d.generatedBy}` : ''}`)}</tr>
</tbody></table></header>`;
}

function parallelRuns(d: ReportData): string {
  const rows = d.parallels.map(({ p, legacy, target }) => {
    const took = (r: typeof legacy) => (r?.startedAt !== undefined && r.endedAt !== undefined ? `${formatDuration(r.endedAt - r.startedAt)} ${r.state}` : (r?.state ?? '—'));
    const [lc, tc] = [effectiveCost(legacy), effectiveCost(target)];
    const change = typeof lc === 'object' && typeof tc === 'object' && lc.amount !== undefined && tc.amount !== undefined ? costChange(lc.amount, tc.amount) : undefined;
    const outputs = Object.values(p.outputs)
      .map((o) => `${o.output}: ${o.verdict}${o.counts ? ` (${o.counts.legacy} / ${o.counts.target} rows, only legacy ${o.counts.onlyLegacy}, only target ${o.counts.onlyTarget}, changed ${o.counts.changed})` : ''}${o.error ? ` — ${o.error}` : ''}${resolvedSources(o).map((r) => `; ${r}`).join('')}`)
      .join('; ');
    return `<tr>${td(p.period)}${td(p.kind)}${td(p.verdict ?? p.state, p.verdict ?? '')}${td(p.verdictReason ?? '')}${td(took(legacy))}${td(took(target))}${td(costFigure(lc))}${td(costFigure(tc))}${td(change ?? '')}${td(outputs)}${td(p.id)}${td(iso(p.createdAt))}</tr>`;
  });
  return `<section id="parallel-runs"><h2>Parallel runs</h2>
<table><thead><tr><th>Period</th><th>Kind</th><th>Verdict</th><th>Why</th><th>Legacy</th><th>Databricks</th><th>Legacy cost</th><th>Databricks cost</th><th>Change</th><th>Diff summary</th><th>Id</th><th>Started</th></tr></thead>
<tbody>${rows.join('\n') || '<tr><td colspan="12">No parallel runs yet.</td></tr>'}</tbody></table>
<p class="muted">Costs at list price: ${esc(costBasis(d))}</p>${unknownCosts(d).map((u) => `\n<p class="muted">${esc(u)}</p>`).join('')}</section>`;
}

/** Why a cost in the table says `unknown`, once per side, source and reason (plain text: `esc` comes after). */
function unknownCosts(d: ReportData): string[] {
  return [...new Set(d.parallels.flatMap(({ legacy, target }) => unknownCostNotes([['Legacy', legacy?.cost], ['Databricks', target?.cost]], (text) => text)))];
}

/** What the figures are, once: every distinct note of the recorded costs. */
function costBasis(d: ReportData): string {
  const notes = new Set<string>();
  for (const { legacy, target } of d.parallels) for (const r of [legacy, target]) if (r?.cost?.note) notes.add(r.cost.note);
  return [...notes].join('; ') || 'no cost recorded yet';
}

function dqHistory(d: ReportData): string {
  const rows = d.parallels
    .filter((x) => x.p.dq)
    .map(({ p }) => `<tr>${td(p.period)}${td(p.dq!.passed ? 'passed' : 'failed', p.dq!.passed ? 'passed' : 'failed')}${td(`${p.dq!.total - p.dq!.failing.length} of ${p.dq!.total}`)}${td(p.dq!.failing.map((f) => `${f.output} ${f.check}: ${f.failingRows} rows`).join('; '))}${td(p.id)}</tr>`);
  const other = d.audit.filter((e) => e.action === 'dq.passed' || e.action === 'dq.failed').map((e) => `<tr>${td(String(e.subject))}${td(e.action.slice(3), e.action.slice(3))}${td('')}${td('')}${td(`${e.actor} ${iso(e.at)}`)}</tr>`);
  return `<section id="dq"><h2>Data quality</h2>
<table><thead><tr><th>Period</th><th>Result</th><th>Checks passing</th><th>Failing</th><th>Source</th></tr></thead>
<tbody>${[...rows, ...other].join('\n') || '<tr><td colspan="5">No DQ results yet.</td></tr>'}</tbody></table></section>`;
}

function chart(d: ReportData): string {
  const totals = d.parallels.reduce(
    (t, { legacy, target }) => {
      if (legacy?.cost?.status === 'known' && target?.cost?.status === 'known') return { legacy: t.legacy + (legacy.cost.amount ?? 0), target: t.target + (target.cost.amount ?? 0) };
      return t;
    },
    { legacy: 0, target: 0 },
  );
  const change = costChange(totals.legacy, totals.target);
  return `<section id="trend"><h2>Durations and costs</h2>
${d.chartDataUri ? `<img class="chart" id="history-chart" alt="Duration and cost per period, legacy vs Databricks, with the parallel-run verdicts" src="${esc(d.chartDataUri)}">` : '<p>No finished parallel run to draw yet.</p>'}
<p>Runs with both costs known: legacy ${esc(formatMoney(totals.legacy))} vs Databricks ${esc(formatMoney(totals.target))}${change ? ` (${esc(change)})` : ''}.</p></section>`;
}

function cutoverSteps(d: ReportData): string {
  if (!d.plan || d.plan.steps.length === 0) return `<section id="cutover"><h2>Cutover steps</h2><p>No cutover plan in the catalog.</p></section>`;
  const rows = d.plan.steps.map((s) => {
    const r = s.request;
    const approvals = r?.approvals.map((a) => `${a.name ?? a.user} (${a.user}) at ${iso(a.at)}`).join('; ') ?? '';
    const requested = r ? `${r.requestedByName ?? r.requestedBy} (${r.requestedBy}) at ${iso(r.createdAt)}, ${r.kind}` : '';
    const rejected = r?.rejection ? `${r.rejection.name ?? r.rejection.user} at ${iso(r.rejection.at)}: ${r.rejection.reason}` : '';
    return `<tr class="step">${td(s.id)}${td(s.state, s.state)}${td(s.gates.map((g) => `${g.met ? '✓' : '✗'} ${g.reason}`).join('; '))}${td(requested)}<td class="approvals">${esc(approvals)}</td>${td(rejected)}${td(r ? `${r.state}${r.decidedAt ? ` at ${iso(r.decidedAt)}` : ''}` : '')}</tr>`;
  });
  return `<section id="cutover"><h2>Cutover steps</h2>
<p class="muted">Approvers: ${esc(d.plan.approvers.users.join(', '))} (${esc(d.plan.approvers.min)} needed)</p>
<table><thead><tr><th>Step</th><th>State</th><th>Gates</th><th>Requested by</th><th>Approved by</th><th>Rejected</th><th>Request</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`;
}

function auditTrail(d: ReportData): string {
  const rows = d.audit.map((e) => `<tr>${td(iso(e.at))}${td(e.actorName ? `${e.actorName} (${e.actor})` : e.actor)}${td(e.action)}${td(e.subject)}<td><code>${esc(JSON.stringify({ before: e.before, after: e.after, detail: e.detail }))}</code></td></tr>`);
  return `<section id="audit"><h2>Audit trail</h2><p class="muted">${esc(d.audit.length)} events, oldest first.</p>
<table><thead><tr><th>When</th><th>Who</th><th>What</th><th>Subject</th><th>Change</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></section>`;
}
