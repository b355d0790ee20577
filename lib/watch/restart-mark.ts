// What the worker records when a restart is done, so the watch keeps an eye on the service for
// the regression window: when, which incident thread, and the culprit function of the Report
// saved as evidence (the regression note says whether the leak came back from the same code).
import type { RestartMark } from '../store/watch-model.ts';
import type { SlackThread } from '../store/model.ts';

export function restartMarkOf(input: {
  service: string;
  incidentId: string | null;
  thread: SlackThread | null;
  restartedAt: number;
  /** report.json as saved in the evidence, when there is one. */
  reportJson: string | null;
  regressionHours: number;
}): RestartMark {
  let culprit: string | null = null;
  if (input.reportJson) {
    try {
      const fn = (JSON.parse(input.reportJson) as { verdict?: { culprit?: { function?: unknown } | null } }).verdict?.culprit?.function;
      culprit = typeof fn === 'string' && fn ? fn.slice(0, 500) : null;
    } catch {
      culprit = null;
    }
  }
  return {
    service: input.service,
    incidentId: input.incidentId,
    restartedAt: new Date(input.restartedAt).toISOString(),
    culprit,
    thread: input.thread,
    until: new Date(input.restartedAt + input.regressionHours * 3_600_000).toISOString(),
  };
}
