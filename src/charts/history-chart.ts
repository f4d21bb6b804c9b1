import type { TopLevelSpec } from 'vega-lite';
import type { ChartRow, ChartVerdict } from './history-series.ts';

/** Legacy orange, Databricks blue; verdicts green / amber / red, with shapes so colour is not the only cue. */
export const SIDE_COLOURS = { Legacy: '#e4572e', Databricks: '#1f6feb' } as const;
export const VERDICT_COLOURS = { clean: '#2da44e', different: '#d4a72c', failed: '#cf222e' } as const;
/** Logical width: a phone-width Slack client shows images about this wide; rendered at 2x. */
export const CHART_WIDTH = 340;

/**
 * The `/pipeline history` chart as a Vega-Lite spec: duration (minutes) and cost (USD, list price)
 * per period for both sides, one panel above the other so it reads on a phone, and a strip of
 * parallel-run verdicts under them. Pure: the same rows give the same spec.
 */
export function historyChartSpec(pipeline: string, rows: readonly ChartRow[], verdicts: readonly ChartVerdict[]): TopLevelSpec {
  const x = { field: 'period', type: 'ordinal' as const, title: null, sort: [...new Set(verdicts.map((v) => v.period))], axis: { labelAngle: -45, labelFontSize: 12 } };
  const color = {
    field: 'side',
    type: 'nominal' as const,
    title: null,
    scale: { domain: Object.keys(SIDE_COLOURS), range: Object.values(SIDE_COLOURS) },
    legend: { orient: 'top' as const, labelFontSize: 13, symbolStrokeWidth: 3 },
  };
  const panel = (field: 'minutes' | 'cost', title: string, format: string) => ({
    width: CHART_WIDTH,
    height: 150,
    data: { values: panelValues(rows, field) },
    encoding: { x, y: { field, type: 'quantitative' as const, title, axis: { format, titleFontSize: 13, labelFontSize: 12 }, scale: { zero: true } }, color },
    // A period without a value is a null that breaks the line: drawn across it, the line would
    // read as a value nobody measured (a failed run has no duration; a cost may be unknown).
    layer: [{ mark: { type: 'line' as const, strokeWidth: 3, invalid: 'break-paths-filter-domains' as const } }, { mark: { type: 'point' as const, filled: true, size: 70, opacity: 1, invalid: 'filter' as const } }],
  });
  const verdictStrip = {
    width: CHART_WIDTH,
    height: 26,
    data: { values: verdicts },
    mark: { type: 'point' as const, filled: true, size: 170, opacity: 1 },
    encoding: {
      x: { ...x, axis: null },
      shape: { field: 'verdict', type: 'nominal' as const, title: 'Parallel run', scale: { domain: Object.keys(VERDICT_COLOURS), range: ['circle', 'diamond', 'cross'] }, legend: { orient: 'bottom' as const, direction: 'horizontal' as const, labelFontSize: 13, titleFontSize: 13 } },
      // `fill`, not `color`: the sides' colour scale stays one, shared by both panels, with one legend.
      fill: { field: 'verdict', type: 'nominal' as const, title: 'Parallel run', scale: { domain: Object.keys(VERDICT_COLOURS), range: Object.values(VERDICT_COLOURS) } },
    },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: pipeline, subtitle: 'latest parallel run per period', fontSize: 15, subtitleFontSize: 12, anchor: 'start' },
    config: { font: 'DejaVu Sans', view: { stroke: null }, background: '#ffffff', padding: 12 },
    vconcat: [panel('minutes', 'Duration (min)', ',.0f'), panel('cost', 'Cost (USD, list)', '$,.2f'), verdictStrip],
    spacing: 14,
  } as TopLevelSpec;
}

/**
 * One datum per period and side, `null` where the period has no value for `field` (a failed run's
 * duration, an unknown cost, a side with no run). A datum left out would let the line join its
 * neighbours straight across the period.
 */
type PanelDatum = Pick<ChartRow, 'period' | 'side'> & Partial<Record<'minutes' | 'cost', number | null>>;
function panelValues(rows: readonly ChartRow[], field: 'minutes' | 'cost'): PanelDatum[] {
  const sides = [...new Set(rows.map((r) => r.side))];
  return [...new Set(rows.map((r) => r.period))].flatMap((period) =>
    sides.map((side) => ({ period, side, [field]: rows.find((r) => r.period === period && r.side === side)?.[field] ?? null })),
  );
}
