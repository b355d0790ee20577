// The worker on this machine (`leakhound dev`): the production job handlers (lib/worker/run-job.ts)
// on the in-process queue instead of SQS, with what this machine has: evidence in a directory,
// restarts by command, Kubernetes (the kubeconfig's context) or ECS (with AWS credentials),
// CloudWatch with AWS credentials. Alarms typed on the console take the alarm function's path.
import type { Catalog } from '../catalog/index.ts';
import { DirectoryPageLinker } from '../evidence-page/index.ts';
import { InProcessJobQueue } from '../jobs/index.ts';
import { CommandExecutor, DEFAULT_VERIFICATION, DirectoryEvidenceStore, ecsExecutorOnFirstUse, kubernetesExecutorOnFirstUse } from '../remediation/index.ts';
import { recordServiceAlarm, type RouteOutcome } from '../intake/index.ts';
import { createJobHandler, type VerificationSchedule, type WorkerDeps } from '../worker/index.ts';
import type { Log } from '../lambda/index.ts';
import type { PacerOptions } from '../slack/index.ts';
import { IncidentPoster } from '../slack/index.ts';
import type { SlackSink } from '../slack/index.ts';
import type { Store } from '../store/index.ts';
import { cloudwatchFromEnv } from './inputs.ts';
import { evidenceReaderOf } from '../postmortem/index.ts';
import type { WatchStore } from '../store/index.ts';
import { markRestartHook } from '../watch/index.ts';
import { errorMessage } from '../errors/index.ts';

export interface LocalWorkerOptions {
  catalog: Catalog;
  store: Store;
  /** Where Slack messages go: the console, or the Web API (Socket Mode). */
  sink: SlackSink;
  env: NodeJS.ProcessEnv;
  /** Evidence saved before a restart goes under `<dir>/<incident id>/`. */
  evidenceDir: string;
  /** First verification check this long after a remedy. */
  verifyAfterSeconds: number;
  /** Sessions idle this long are suspects. */
  minAgeMs?: number;
  log: Log;
  /** The watch's records: a done restart starts its regression window (`watch` in the console). */
  watchStore?: WatchStore;
  /** Tests pace Slack writes faster than Slack's one per second. */
  pacer?: PacerOptions;
}

export interface LocalWorker {
  queue: InProcessJobQueue;
  poster: IncidentPoster;
  deps: WorkerDeps;
  /** An alarm of `service` firing (or back to OK), as the alarm function would record it. */
  alarm(service: string, firing: boolean): Promise<RouteOutcome>;
  /** Resolves when what was started has run and been posted (not the verifications still waiting). */
  settled(): Promise<void>;
  /** Drops the jobs still waiting; returns how many. */
  close(): number;
}

/** A joined incident is triaged again at most this often (LEAKHOUND_RETRIAGE_MINUTES's default). */
const RETRIAGE_SECONDS = 15 * 60;
/** SQS's maxReceiveCount in serverless.yml. */
const ATTEMPTS = 3;

/**
 * The deployed schedule (first check after 2 min, then every 5 until 30) with its first check
 * moved to `firstAfterSeconds` and the rest in proportion: a shortened local run keeps its shape.
 */
export function localVerification(firstAfterSeconds: number): VerificationSchedule {
  const scale = firstAfterSeconds / DEFAULT_VERIFICATION.delaySeconds;
  return {
    delaySeconds: firstAfterSeconds,
    intervalSeconds: Math.max(1, Math.round(DEFAULT_VERIFICATION.intervalSeconds * scale)),
    watchSeconds: Math.max(firstAfterSeconds, Math.round(DEFAULT_VERIFICATION.watchSeconds * scale)),
  };
}

export function startLocalWorker(o: LocalWorkerOptions): LocalWorker {
  const { catalog, log } = o;
  const region = catalog.defaults.region;
  const channelOf = (service: string) => catalog.services.find((s) => s.name === service)?.slackChannel ?? catalog.defaults.slackChannel;
  const poster = new IncidentPoster({
    sink: o.sink,
    store: o.store,
    channelOf,
    ...(o.pacer ? { pacer: o.pacer } : {}),
    onError: (err, what) => log.warn(`slack: ${what}`, { reason: errorMessage(err) }),
  });
  const queue = new InProcessJobQueue(null, {
    maxAttempts: ATTEMPTS,
    retryDelayMs: 1_000,
    onError: (envelope, err, attempt) =>
      log.warn(`${envelope.job.type} job failed${attempt < ATTEMPTS ? ', will retry' : ''}`, { attempt, reason: errorMessage(err) }),
  });
  const cloudwatch = cloudwatchFromEnv(o.env, region);
  const evidence = new DirectoryEvidenceStore(o.evidenceDir);
  const deps: WorkerDeps = {
    catalog,
    store: o.store,
    queue,
    poster,
    gather: { env: o.env, cloudwatch },
    executors: { command: new CommandExecutor(), kubernetes: kubernetesExecutorOnFirstUse(), ecs: ecsExecutorOnFirstUse({ region }) },
    evidence,
    pageLinker: new DirectoryPageLinker(o.evidenceDir),
    cloudwatch,
    restartSeconds: 240,
    log,
    ...(o.minAgeMs !== undefined ? { minAgeMs: o.minAgeMs } : {}),
    verification: localVerification(o.verifyAfterSeconds),
    evidenceReader: evidenceReaderOf(evidence),
    ...(o.watchStore ? { afterRestart: markRestartHook(catalog, o.store, o.watchStore) } : {}),
  };
  queue.setHandler(createJobHandler(deps));
  return {
    queue,
    poster,
    deps,
    alarm: (service, firing) =>
      recordServiceAlarm({ alert: `${service}-db-connections-high`, service, signal: 'db-connections-high', firing }, { catalog, store: o.store, queue, retriageSeconds: RETRIAGE_SECONDS, log }),
    settled: async () => {
      await queue.settled();
      await poster.flush();
    },
    close: () => {
      const dropped = queue.waiting;
      queue.close();
      return dropped;
    },
  };
}
