// The worker's parts on top of the shared context: Slack (bot token from the secret), CloudWatch,
// the Kubernetes access a kubeconfig secret gives, the ECS/Kubernetes restart executors and the
// evidence bucket. Built once per container.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { KubeConfig } from '@kubernetes/client-node';
import { DirectoryPageLinker, S3PageLinker } from '../evidence-page/index.ts';
import { createCloudWatchClient } from '../metrics/index.ts';
import { DirectoryEvidenceStore, EcsExecutor, KubernetesExecutor, S3EvidenceStore, type Executors } from '../remediation/index.ts';
import { createSlackClient } from '../slack/index.ts';
import { IncidentPoster } from '../slack/index.ts';
import { WebApiSink } from '../slack/index.ts';
import { buildCoreContext, type CoreContext } from './core.ts';
import { readEnv, workerEnvSchema } from '../lambda/index.ts';
import { lazy } from '../lambda/index.ts';
import { createTelemetry } from '../lambda/index.ts';
import type { Log } from '../lambda/index.ts';
import type { Meter } from '../lambda/index.ts';
import { awsSecretReader } from '../lambda/index.ts';
import { markRestartHook, watchStoreFor } from '../watch/index.ts';
import { DirectoryEvidenceReader, S3EvidenceReader } from '../postmortem/index.ts';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { handleSqsBatch } from '../jobs/index.ts';
import { withCorrelationId } from '../lambda/index.ts';
import { invocation } from '../lambda/index.ts';
import { errorMessage } from '../errors/index.ts';
import { createJobHandler, type WorkerDeps } from '../worker/index.ts';

/** The function's Powertools log and metrics (functions/worker.ts runs each batch in them). */
export const workerTelemetry = createTelemetry('worker');
export const workerLog: Log = workerTelemetry.log;

export function workerDeps(core: CoreContext, log: Log = workerLog, meter: Meter = workerTelemetry.meter): WorkerDeps {
  const cfg = readEnv(workerEnvSchema, core.env);
  const { catalog } = core;
  const region = catalog.defaults.region ?? core.env['AWS_REGION'] ?? null;
  const channelOf = (service: string) => catalog.services.find((s) => s.name === service)?.slackChannel ?? catalog.defaults.slackChannel;
  const client = createSlackClient(cfg.SLACK_BOT_TOKEN, cfg.LEAKHOUND_SLACK_API_URL ? { slackApiUrl: cfg.LEAKHOUND_SLACK_API_URL } : {});
  const secrets = [cfg.SLACK_BOT_TOKEN, ...(cfg.LEAKHOUND_KUBECONFIG ? [cfg.LEAKHOUND_KUBECONFIG] : [])];
  const poster = new IncidentPoster({ sink: new WebApiSink(client, { secrets }), store: core.store, channelOf, onError: (err, what) => log.warn(`slack: ${what}`, { reason: String(err) }) });
  const cloudwatch = createCloudWatchClient(region ? { region } : {});

  // Lambda has no ~/.kube/config: Kubernetes sources and restarts work when a kubeconfig is given.
  const kubeText = cfg.LEAKHOUND_KUBECONFIG;
  const kube = kubeText ? lazy(async (): Promise<KubeConfig> => {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromString(kubeText);
    return kc;
  }) : null;
  const executors: Executors = { ecs: new EcsExecutor({ region }), ...(kube ? { kubernetes: new KubernetesExecutor({ kubeConfig: () => kube.get() }) } : {}) };
  if (!cfg.LEAKHOUND_EVIDENCE_BUCKET) log.warn('LEAKHOUND_EVIDENCE_BUCKET is not set: evidence goes to /tmp and is lost with the container');
  const s3 = cfg.LEAKHOUND_EVIDENCE_BUCKET ? new S3Client(region ? { region } : {}) : null;
  const evidence = s3 && cfg.LEAKHOUND_EVIDENCE_BUCKET
    ? new S3EvidenceStore({ client: s3, bucket: cfg.LEAKHOUND_EVIDENCE_BUCKET, ...(region ? { region } : {}) })
    : new DirectoryEvidenceStore(join(tmpdir(), 'leakhound-evidence'));
  const pageLinker = s3 && cfg.LEAKHOUND_EVIDENCE_BUCKET
    ? new S3PageLinker({ client: s3, bucket: cfg.LEAKHOUND_EVIDENCE_BUCKET, hours: cfg.LEAKHOUND_EVIDENCE_LINK_HOURS, requestTimeoutMs: 5_000 })
    : new DirectoryPageLinker(join(tmpdir(), 'leakhound-evidence'));

  return {
    catalog,
    store: core.store,
    queue: core.queue,
    poster,
    gather: { env: core.env, readSecret: core.readSecret, cloudwatch, ...(kube ? { dumpClients: { kube: () => kube.get() } } : {}) },
    executors,
    evidence,
    pageLinker,
    cloudwatch,
    restartSeconds: cfg.LEAKHOUND_RESTART_SECONDS,
    log,
    // The postmortem reads the Report saved before the restart.
    evidenceReader: cfg.LEAKHOUND_EVIDENCE_BUCKET
      ? new S3EvidenceReader({ client: new S3Client(region ? { region } : {}), bucket: cfg.LEAKHOUND_EVIDENCE_BUCKET })
      : new DirectoryEvidenceReader(join(tmpdir(), 'leakhound-evidence')),
    // A done restart starts the watch's regression window for the service.
    afterRestart: markRestartHook(catalog, core.store, watchStoreFor(core.env)),
    meter,
  };
}

/** Tests may `set` it. */
export const workerContext = lazy(async () =>
  workerDeps(await buildCoreContext(process.env, { requestTimeoutMs: 5_000, readSecret: awsSecretReader(process.env['AWS_REGION']) })),
);

// The Lambda handler (functions/worker.ts).
export async function handler(event: SQSEvent, context?: unknown): Promise<SQSBatchResponse> {
  return invocation(workerTelemetry, context, null, async () => {
    let deps: WorkerDeps;
    try {
      deps = await workerContext.get();
    } catch (err) {
      // The whole batch is retried (and kept in the DLQ) until the configuration is fixed.
      workerLog.error('not configured', { reason: errorMessage(err) });
      throw new Error('leakhound worker is not configured; see the log line above');
    }
    return handleSqsBatch(event, createJobHandler(deps), {
      queue: deps.queue,
      around: withCorrelationId,
      onProblem: (p) => workerLog.warn('job failed', { kind: p.kind, reason: p.error }),
    });
  });
}
