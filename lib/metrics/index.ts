// Public surface of CloudWatch metrics: series, trend, graph. Nothing here throws.
export type * from './model.ts';
export { gapFromError, type CloudWatchLike } from './client.ts';
export {
  fetchServiceMetrics,
  buildMetricDataRequest,
  seriesSpecs,
  DEFAULT_LOOKBACK_MINUTES,
  DEFAULT_PERIOD_SECONDS,
  type SeriesOptions,
  type FetchMetricsOptions,
} from './series.ts';
export { slopePerMinute, minutesToExhaustion, connectionTrend } from './trend.ts';
export { buildWidgetDefinition, fetchMetricsGraph, type GraphOptions } from './graph.ts';
export { cloudWatchOnFirstUse } from './on-first-use.ts';
export type { CloudWatchClientOptions } from './create-client.ts';
