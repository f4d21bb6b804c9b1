export { buildReportHtml, esc, type ReportData } from './build-report-html.ts';
export { buildGoLiveReport, type ReportSources } from './gather-report.ts';
