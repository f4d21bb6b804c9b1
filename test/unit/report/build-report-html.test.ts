import { describe, expect, it } from 'vitest';
import { buildReportHtml } from '../../../src/report/index.ts';
import { reportData } from './report-fixture.ts';

describe('the go-live report', () => {
  it('is one self-contained document: chart embedded, no script, nothing fetched from elsewhere', async () => {
    const html = buildReportHtml(await reportData());
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<img class="chart" id="history-chart"');
    expect(html).toMatch(/src="data:image\/png;base64,iVBORw0KGgo/);
    expect(html).not.toMatch(/<script|https?:\/\/(?!vega)/i);
    expect(html).toContain("default-src 'none'");
  });

  it('has every parallel run with its diff summary and costs, DQ history, the steps with who requested and approved, and the audit trail', async () => {
    const html = buildReportHtml(await reportData());
    for (const period of ['2025-10', '2025-11', '2025-12', '2026-01', '2026-02', '2026-03']) expect(html).toContain(`<td>${period}</td>`);
    expect(html).toContain('insights: clean (1000 / 1000 rows, only legacy 0, only target 0, changed 0)');
    expect(html).toContain('<td>$43.00</td><td>$14.00</td><td>−67 %</td>');
    expect(html).toContain('insights not_null(customer_id): 3 rows');
    expect(html).toContain('alice (U0ALICE) at 2024-05-31 23:00 UTC, execute');
    expect(html).toContain('bob (U0BOB) at 2024-05-31 23:10 UTC; carol (U0CAROL) at 2024-05-31 23:26 UTC');
    expect(html).toContain('cutover.approve');
    expect(html).toContain('3 events, oldest first');
  });

  it('says what a Glue or Redshift side resolved to: the table, its format and where it was read', async () => {
    const data = await reportData();
    const first = data.parallels[0]!.p.outputs!.insights!;
    first.sources = {
      legacy: { format: 'parquet', location: 's3://legacy/warehouse/insights/period=2026-03', from: 'glue analytics.insights (period=2026-03)' },
      target: { format: 'unload', location: 's3://unload/cutover/cutover_abc/', from: 'redshift finance.insights (where:)' },
    };
    const html = buildReportHtml(data);
    expect(html).toContain('insights: clean (1000 / 1000 rows, only legacy 0, only target 0, changed 0); legacy glue analytics.insights (period=2026-03) read as parquet from s3://legacy/warehouse/insights/period=2026-03; target redshift finance.insights (where:) read as UNLOAD text from s3://unload/cutover/cutover_abc/');
  });

  it('says why a cost is unknown, with its source, once however many runs share the reason', async () => {
    const data = await reportData();
    const reason = '[INSUFFICIENT_PERMISSIONS] User does not have USE SCHEMA on system.billing';
    for (const { target } of data.parallels.slice(0, 2)) target!.cost = { status: 'unknown', method: 'databricks-billing', reason, epoch: 0, at: 0 };
    const html = buildReportHtml(data);
    expect(html).toContain('<td>unknown</td>');
    expect(html.split(`Databricks cost unknown (billing tables): ${reason}`)).toHaveLength(2);
  });

  it('escapes everything it is given', async () => {
    const html = buildReportHtml(await reportData({ pipeline: '<img src=x onerror=alert(1)>', description: '</style><script>alert(1)</script>' }));
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;/style&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
