// What the work counts and times, for dashboards and alarms on Leakhound itself: triage duration,
// verdicts, gaps, restarts, approvals. The code that does the work calls a Meter; in Lambda it is
// Powertools Metrics (CloudWatch embedded metric format, lambda-metrics.ts), elsewhere (the CLI,
// `leakhound dev`, most tests) nothing.

export interface Meter {
  /** A count; with a dimension ([name, value], e.g. ['verdict', 'leak']) it is split by that value. */
  count(name: string, value?: number, dimension?: readonly [string, string]): void;
  /** A duration in milliseconds. */
  milliseconds(name: string, ms: number): void;
}

export const noMeter: Meter = { count() {}, milliseconds() {} };

/** The metric names, in one place for the code, the tests and the README. */
export const METRICS = {
  triageDuration: 'TriageDuration',
  verdicts: 'Verdicts',
  triageGaps: 'TriageGaps',
  restarts: 'Restarts',
  approvals: 'Approvals',
} as const;
