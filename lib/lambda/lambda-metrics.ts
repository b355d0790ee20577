// The functions' Meter: Powertools for AWS Lambda's Metrics, written to stdout in CloudWatch's
// embedded metric format (EMF), which CloudWatch turns into metrics without an API call. Namespace
// POWERTOOLS_METRICS_NAMESPACE, dimension `service` (POWERTOOLS_SERVICE_NAME); POWERTOOLS_METRICS_DISABLED
// turns them off. Plain metrics wait for the handler's flush(); a metric with its own dimension
// (verdict=leak, outcome=approved) is a record of its own, written at once.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { LambdaLog } from './lambda-log.ts';
import type { Meter } from './meter.ts';

export interface LambdaMeter extends Meter {
  readonly metrics: Metrics;
  /** Writes what was stored; called by the handler at the end of every invocation. */
  flush(): void;
}

export function createLambdaMeter(log: LambdaLog): LambdaMeter {
  const metrics = new Metrics({
    namespace: process.env['POWERTOOLS_METRICS_NAMESPACE'] || 'Leakhound',
    serviceName: process.env['POWERTOOLS_SERVICE_NAME'] || 'leakhound',
    // Its warnings (a bad dimension, a metric CloudWatch would refuse) go through the redacting log.
    logger: log.logger,
  });
  return {
    metrics,
    count(name, value = 1, dimension) {
      if (!dimension) return void metrics.addMetric(name, MetricUnit.Count, value);
      const single = metrics.singleMetric();
      single.addDimension(dimension[0], dimension[1]);
      single.addMetric(name, MetricUnit.Count, value);
    },
    milliseconds(name, ms) {
      metrics.addMetric(name, MetricUnit.Milliseconds, Math.max(0, Math.round(ms)));
    },
    flush() {
      // Nothing stored: nothing to write (Powertools would warn about an empty flush).
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}
