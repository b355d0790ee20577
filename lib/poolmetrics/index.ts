// Public surface of pool metrics: a replica's own database/sql pool, read from its Prometheus page.
export type * from './model.ts';
export { parsePoolMetrics, MetricsFormatError } from './parse.ts';
export { summarisePool, underPressure } from './summary.ts';
