export { historySeries, type ChartRow, type ChartVerdict, type HistoryPoint } from './history-series.ts';
export { historyChartSpec, CHART_WIDTH, SIDE_COLOURS, VERDICT_COLOURS } from './history-chart.ts';
export { renderChart, type RenderedChart } from './render-chart.ts';
