// What the worker records when a restart is done, so the watch keeps an eye on the service for
// the regression window: when, which incident thread, and the culprit function of the Report
// saved as evidence (the regression note says whether the leak came back from the same code).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Catalog } from '../catalog/index.ts';
import type { SlackThread, Store } from '../store/index.ts';
import { DynamoWatchStore } from '../store/index.ts';
import type { RestartMark, WatchStore } from '../store/index.ts';

/** Default regression window when the catalog was built by hand. */
const REGRESSION_HOURS = 24;

/**
 * What "same culprit" compares: the culprit function, or when only pprof labels name it (a
 * leaked awaitDone goroutine's stack holds no application frame), its labels.
 */
export function culpritKey(c: { function?: unknown; labels?: unknown } | null | undefined): string | null {
  if (!c) return null;
  if (typeof c.function === 'string' && c.function) return c.function.slice(0, 500);
  if (c.labels && typeof c.labels === 'object') {
    const text = Object.entries(c.labels as Record<string, unknown>)
      .filter(([, v]) => typeof v === 'string')
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    return text ? text.slice(0, 500) : null;
  }
  return null;
}

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
      const report = JSON.parse(input.reportJson) as { verdict?: { culprit?: { function?: unknown; labels?: unknown } | null }; findings?: Array<{ culprit?: { function?: unknown; labels?: unknown } | null }> };
      culprit = culpritKey(report.verdict?.culprit) ?? (report.findings ?? []).map((f) => culpritKey(f.culprit)).find((k) => k !== null) ?? null;
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

export function watchStoreFor(env: Readonly<Record<string, string | undefined>>, requestTimeoutMs = 5_000): WatchStore {
  const table = env['LEAKHOUND_TABLE'];
  if (!table) throw new Error('configuration: LEAKHOUND_TABLE (the DynamoDB table) is not set');
  return new DynamoWatchStore({ client: new DynamoDBClient({ maxAttempts: 3 }), tableName: table, requestTimeoutMs });
}

/** The worker's `afterRestart`: the watch keeps watching the service for `regressionHours`. */
export function markRestartHook(catalog: Catalog, store: Pick<Store, 'getIncident'>, watch: WatchStore) {
  return async (done: { service: string; incidentId: string | null; at: number; reportJson: string | null }): Promise<void> => {
    const incident = done.incidentId ? await store.getIncident(done.incidentId) : null;
    const hours = catalog.defaults.watch?.regressionHours ?? REGRESSION_HOURS;
    await watch.markRestart(restartMarkOf({ ...done, restartedAt: done.at, thread: incident?.thread ?? null, regressionHours: hours }));
  };
}

