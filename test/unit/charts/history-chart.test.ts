import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { historyChartSpec, historySeries, renderChart, SIDE_COLOURS, VERDICT_COLOURS } from '../../../src/charts/index.ts';
import { makeParallel, T0 } from '../slack/parallel-fixture.ts';
import { DAY, sixMonths } from './chart-fixture.ts';

const DOCS_CHART = fileURLToPath(new URL('../../../docs/history-chart.png', import.meta.url));
/** Pixels of the RGBA buffer within `tolerance` of `hex` on every channel. */
function count(pixels: Buffer, hex: string, tolerance = 24): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
  let n = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    if (Math.abs(pixels[i]! - r) <= tolerance && Math.abs(pixels[i + 1]! - g) <= tolerance && Math.abs(pixels[i + 2]! - b) <= tolerance) n++;
  }
  return n;
}

describe('history series', () => {
  it('takes the latest finished parallel run per period, oldest first, and leaves out a failed run’s duration and an unknown cost', () => {
    const points = sixMonths();
    points.push({ p: makeParallel({ id: 'p-old-000000', period: '2026-03', state: 'done', verdict: 'different', createdAt: T0 }) });
    points.push({ p: makeParallel({ id: 'p-diff-000000', kind: 'diff', period: '2026-04', state: 'done', verdict: 'clean', createdAt: T0 + 400 * DAY }) });
    const { rows, verdicts } = historySeries(points);
    expect(verdicts.map((v) => `${v.period}:${v.verdict}`)).toEqual(['2025-10:different', '2025-11:clean', '2025-12:failed', '2026-01:clean', '2026-02:clean', '2026-03:clean']);
    expect(rows.filter((r) => r.period === '2025-12')).toEqual([
      { period: '2025-12', side: 'Legacy', minutes: 46, cost: 40 },
      { period: '2025-12', side: 'Databricks', cost: 20 },
    ]);
  });
});

describe('history chart PNG', () => {
  it('is a real PNG, phone-width at 2x, with both sides drawn in their colours, verdict marks and a legend', async () => {
    const { rows, verdicts } = historySeries(sixMonths());
    const chart = await renderChart(historyChartSpec('incites-monthly', rows, verdicts));
    // A PNG: its signature, and IHDR's width and height are the rendered size.
    expect(chart.png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(chart.png.readUInt32BE(16)).toBe(chart.width);
    expect(chart.png.readUInt32BE(20)).toBe(chart.height);
    expect(chart.width).toBeGreaterThanOrEqual(720);
    expect(chart.width).toBeLessThanOrEqual(1000);
    expect(chart.height).toBeGreaterThan(chart.width * 0.9);
    expect(chart.pixels.length).toBe(chart.width * chart.height * 4);
    // Not blank: both lines and every verdict colour are there in thousands / hundreds of pixels.
    expect(count(chart.pixels, SIDE_COLOURS.Legacy)).toBeGreaterThan(1500);
    expect(count(chart.pixels, SIDE_COLOURS.Databricks)).toBeGreaterThan(1500);
    for (const colour of Object.values(VERDICT_COLOURS)) expect(count(chart.pixels, colour)).toBeGreaterThan(100);
    const dark = count(chart.pixels, '#000000', 90);
    expect(dark).toBeGreaterThan(2000); // axis labels and the legend's text
    // The legend, the titles and every period, as text in the SVG that was rasterised.
    for (const text of ['Legacy', 'Databricks', 'Parallel run', 'clean', 'different', 'failed', 'Duration (min)', 'Cost (USD, list)', 'incites-monthly', '2025-10', '2026-03']) {
      expect(chart.svg).toContain(`>${text}<`);
    }
    writeFileSync(DOCS_CHART, chart.png);
  });

  it('leaves a gap where a period has no value instead of drawing the line across it (audit16)', async () => {
    // 2025-12: the Databricks run failed, so it has no duration; its cost is known.
    const { rows, verdicts } = historySeries(sixMonths());
    const spec = historyChartSpec('incites-monthly', rows, verdicts) as { vconcat: Array<{ data: { values: Array<Record<string, unknown>> }; layer?: Array<{ mark: { type: string; invalid?: string } }> }> };
    const [duration] = spec.vconcat;
    // The period is in the drawn data as null (no value), not left out, so the line can break there.
    expect(duration!.data.values.filter((v) => v.period === '2025-12')).toEqual([
      { period: '2025-12', side: 'Legacy', minutes: 46 },
      { period: '2025-12', side: 'Databricks', minutes: null },
    ]);
    expect(duration!.layer!.find((l) => l.mark.type === 'line')!.mark.invalid).toMatch(/^break-paths/);

    // In the rendered picture: the Databricks duration line is two pieces, 2025-10..11 and 2026-01..03,
    // and no segment spans 2025-12; the cost line and the legacy line are whole.
    const chart = await renderChart(historyChartSpec('incites-monthly', rows, verdicts));
    const lines = [...chart.svg.matchAll(/<path aria-label="period: [^;]+; ([^:]+):[^"]*side: (\w+)" role="graphics-symbol" aria-roledescription="line mark" d="([^"]+)"/g)].map((m) => ({ panel: m[1], side: m[2], d: m[3]! }));
    const pieces = (panel: string, side: string) => lines.find((l) => l.panel === panel && l.side === side)!.d.split('M').filter(Boolean).map((piece) => piece.split('L').length);
    expect(pieces('Duration (min)', 'Databricks')).toEqual([2, 3]);
    expect(pieces('Duration (min)', 'Legacy')).toEqual([6]);
    expect(pieces('Cost (USD, list)', 'Databricks')).toEqual([6]);
    expect(count(chart.pixels, SIDE_COLOURS.Databricks)).toBeGreaterThan(1500);
  });

  it('renders an empty history without failing', async () => {
    const chart = await renderChart(historyChartSpec('empty', [], []));
    expect(chart.png.readUInt32BE(16)).toBe(chart.width);
  });
});
