// Shared parts of the reliability suites: the real worker (lib/worker/run-job.ts) wired to a
// store, the in-process queue and the fake Slack Web API, and SNS alarm deliveries.
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Catalog } from '../../lib/catalog/model.ts';
import { InProcessJobQueue } from '../../lib/jobs/in-process.ts';
import type { GatherDeps } from '../../lib/triage/gather.ts';
import { DirectoryEvidenceStore, type Executors } from '../../lib/remediation/index.ts';
import { createJobHandler, type WorkerDeps } from '../../lib/worker/run-job.ts';
import type { Log } from '../../lib/lambda/log.ts';
import { createSlackClient } from '../../lib/slack/post/web-client.ts';
import { IncidentPoster } from '../../lib/slack/post/poster.ts';
import { WebApiSink } from '../../lib/slack/post/sink.ts';
import type { PacerOptions } from '../../lib/slack/post/pacer.ts';
import type { Store } from '../../lib/store/model.ts';
import { fixture } from './functions-harness.ts';
import { BOT_TOKEN } from './slack-events.ts';
import { channelId, type FakeSlack, type RecordedCall } from './fake-slack.ts';

export type SnsEvent = { Records: Array<{ Sns: Record<string, unknown> }> };

/** The SNS CloudWatch alarm fixture as Lambda delivers it, with its own MessageId. */
export function snsAlarm(overrides: Record<string, unknown> = {}): SnsEvent {
  const event = fixture('sns-rds-connections-alarm.json') as SnsEvent;
  const record = event.Records[0]!;
  const message = { ...(JSON.parse(String(record.Sns['Message'])) as Record<string, unknown>), ...overrides };
  record.Sns = { ...record.Sns, MessageId: randomUUID(), Message: JSON.stringify(message) };
  return event;
}

export interface Worker {
  deps: WorkerDeps;
  queue: InProcessJobQueue;
  poster: IncidentPoster;
}

/** The production worker with a real Slack client pointed at the fake, and the in-process queue. */
export function startWorker(options: {
  catalog: Catalog;
  store: Store;
  slack: FakeSlack;
  gather: GatherDeps;
  log: Log;
  executors?: Executors;
  pacer?: PacerOptions;
  secrets?: string[];
  restartSeconds?: number;
  /** Multiplies job delays (verification); default 1. */
  delayScale?: number;
}): Worker {
  const client = createSlackClient(BOT_TOKEN, { slackApiUrl: options.slack.apiUrl, timeoutMs: 5_000, retryConfig: { retries: 3, minTimeout: 100, maxTimeout: 500 } });
  const channelOf = (service: string) => options.catalog.services.find((s) => s.name === service)?.slackChannel ?? options.catalog.defaults.slackChannel;
  const poster = new IncidentPoster({
    sink: new WebApiSink(client, { secrets: [BOT_TOKEN, ...(options.secrets ?? [])] }),
    store: options.store,
    channelOf,
    ...(options.pacer ? { pacer: options.pacer } : {}),
    onError: (err, what) => options.log.warn(`slack: ${what}`, { reason: String(err) }),
  });
  const queue = new InProcessJobQueue(null, { maxAttempts: 3, delayScale: options.delayScale ?? 1, onError: (env, err, attempt) => options.log.warn('job failed', { type: env.job.type, attempt, reason: String(err) }) });
  const deps: WorkerDeps = {
    catalog: options.catalog,
    store: options.store,
    queue,
    poster,
    gather: options.gather,
    executors: options.executors ?? {},
    evidence: new DirectoryEvidenceStore(mkdtempSync(join(tmpdir(), 'lh-reliability-evidence-'))),
    cloudwatch: null,
    restartSeconds: options.restartSeconds ?? 30,
    log: options.log,
  };
  queue.setHandler(createJobHandler(deps));
  return { deps, queue, poster };
}

/** Writes Slack accepted (posts, updates, deletes), per channel id (`#name` as Slack resolves it), oldest first. */
export function writesByChannel(calls: readonly RecordedCall[]): Map<string, RecordedCall[]> {
  const out = new Map<string, RecordedCall[]>();
  for (const c of calls) {
    if (c.status !== 200 || !['chat.postMessage', 'chat.update', 'chat.delete'].includes(c.method)) continue;
    const channel = channelId(String(c.params['channel']));
    out.set(channel, [...(out.get(channel) ?? []), c]);
  }
  return out;
}

export const countBy = <T>(items: readonly T[], key: (t: T) => string): Record<string, number> =>
  items.reduce<Record<string, number>>((acc, t) => ({ ...acc, [key(t)]: (acc[key(t)] ?? 0) + 1 }), {});
