// A PNG of connections (left axis, with the max_connections line) and ELB 504s (right axis)
// from GetMetricWidgetImage, for Slack to attach.
import { withDeadline } from '../errors/index.ts';
import { DEFAULT_TIMEOUT_MS, gapFromError, type CloudWatchLike } from './client.ts';
import type { GraphResult } from './model.ts';
import { DEFAULT_LOOKBACK_MINUTES, DEFAULT_PERIOD_SECONDS, seriesSpecs, type SeriesOptions } from './series.ts';

export interface GraphOptions extends SeriesOptions {
  maxConnections?: number | null;
  title?: string;
  region?: string | null;
  width?: number;
  height?: number;
  timeoutMs?: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** The metric widget JSON (CloudWatch "metric widget structure"); null when nothing to draw. */
export function buildWidgetDefinition(options: GraphOptions): Record<string, unknown> | null {
  const specs = seriesSpecs(options);
  if (specs.length === 0) return null;
  const metrics = specs.map((spec) => {
    const dims = Object.entries(spec.dimensions).flat();
    const render =
      spec.id === 'connections'
        ? { stat: spec.stat, label: 'DB connections', color: '#1f77b4' }
        : { stat: spec.stat, label: 'ELB 504', color: '#d62728', yAxis: 'right' };
    return [spec.namespace, spec.metric, ...dims, render];
  });
  const lookback = options.lookbackMinutes ?? DEFAULT_LOOKBACK_MINUTES;
  const end = options.now;
  const widget: Record<string, unknown> = {
    title: options.title ?? 'Database connections and ELB 504s',
    view: 'timeSeries',
    stacked: false,
    metrics,
    period: options.periodSeconds ?? DEFAULT_PERIOD_SECONDS,
    // Relative to now unless the caller pins the window.
    start: end ? new Date(end.getTime() - lookback * 60_000).toISOString() : `-PT${Math.max(1, Math.round(lookback))}M`,
    end: end ? end.toISOString() : 'P0D',
    width: options.width ?? 800,
    height: options.height ?? 400,
    yAxis: { left: { min: 0, label: 'connections' }, right: { min: 0, label: '504/period' } },
    legend: { position: 'bottom' },
  };
  if (options.region) widget['region'] = options.region;
  if (options.maxConnections && specs.some((s) => s.id === 'connections')) {
    widget['annotations'] = { horizontal: [{ label: 'max_connections', value: options.maxConnections, color: '#ff7f0e' }] };
  }
  return widget;
}

export async function fetchMetricsGraph(client: CloudWatchLike, options: GraphOptions): Promise<GraphResult> {
  const widget = buildWidgetDefinition(options);
  if (widget === null) {
    return { ok: false, gap: { what: 'graph', reason: 'not-configured', detail: 'no database or load balancer to graph' } };
  }
  // The SDK's CloudWatch module loads with the first metrics call, not with the function.
  const { GetMetricWidgetImageCommand } = await import('@aws-sdk/client-cloudwatch');
  const json = JSON.stringify(widget);
  try {
    const output = await withDeadline(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, (abortSignal) =>
      client.send(new GetMetricWidgetImageCommand({ MetricWidget: json, OutputFormat: 'png' }), { abortSignal }),
    );
    const bytes = output.MetricWidgetImage;
    if (!bytes || bytes.length === 0) {
      return { ok: false, gap: { what: 'graph', reason: 'no-data', detail: 'GetMetricWidgetImage returned no image' } };
    }
    const png = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (!png.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) {
      return { ok: false, gap: { what: 'graph', reason: 'error', detail: 'GetMetricWidgetImage returned something that is not a PNG' } };
    }
    return { ok: true, png, widget: json };
  } catch (err) {
    return { ok: false, gap: gapFromError('graph', err) };
  }
}
