// The worker's parts on top of the shared context: Slack (bot token from the secret), CloudWatch,
// the Kubernetes access a kubeconfig secret gives, the ECS/Kubernetes restart executors and the
// evidence bucket. Built once per container.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { DirectoryPageLinker, S3PageLinker, type PageLinker } from '../evidence-page/index.ts';
import { cloudWatchOnFirstUse } from '../metrics/index.ts';
import { DirectoryEvidenceStore, ecsExecutorOnFirstUse, kubernetesExecutorOnFirstUse, S3EvidenceStore, type EvidenceStore, type Executors } from '../remediation/index.ts';
import { createSlackClient, IncidentPoster, WebApiSink } from '../slack/index.ts';
import { buildCoreContext, type CoreContext } from './core.ts';
import { readEnv, workerEnvSchema } from '../lambda/index.ts';
import { lazy } from '../lambda/index.ts';
import { createTelemetry } from '../lambda/index.ts';
import type { Log } from '../lambda/index.ts';
import type { Meter } from '../lambda/index.ts';
import { awsSecretReader } from '../lambda/index.ts';
import { markRestartHook, watchStoreFor } from '../watch/index.ts';
import { evidenceReaderOf } from '../postmortem/index.ts';
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
  const cloudwatch = cloudWatchOnFirstUse(region ? { region } : {});

  // Lambda has no ~/.kube/config: Kubernetes sources and restarts work when a kubeconfig is given.
  const kubeText = cfg.LEAKHOUND_KUBECONFIG;
  const kube = kubeText ? lazy(async (): Promise<KubeConfig> => {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromString(kubeText);
    return kc;
  }) : null;
  // The ECS and Kubernetes executors (with their SDK clients) are loaded by the first restart
  // that needs them: triage, termination and verification never load them.
  const executors: Executors = {
    ecs: ecsExecutorOnFirstUse({ region }),
    ...(kube ? { kubernetes: kubernetesExecutorOnFirstUse({ kubeConfig: () => kube.get() }) } : {}),
  };
  const bucket = cfg.LEAKHOUND_EVIDENCE_BUCKET;
  if (!bucket) log.warn('LEAKHOUND_EVIDENCE_BUCKET is not set: evidence goes to /tmp and is lost with the container');
  // One S3 client, made by the first job that saves or reads evidence (the SDK is imported then).
  const s3 = bucket
    ? lazy(async () => {
        const { S3Client } = await import('@aws-sdk/client-s3');
        return new S3Client(region ? { region } : {});
      })
    : null;
  const s3Evidence = s3 && bucket ? lazy(async () => new S3EvidenceStore({ client: await s3.get(), bucket, ...(region ? { region } : {}) })) : null;
  const evidence: Required<EvidenceStore> = s3Evidence
    ? {
        put: async (incidentId, name, body, options) => (await s3Evidence.get()).put(incidentId, name, body, options),
        get: async (incidentId, name) => (await s3Evidence.get()).get(incidentId, name),
        list: async (incidentId) => (await s3Evidence.get()).list(incidentId),
      }
    : new DirectoryEvidenceStore(join(tmpdir(), 'leakhound-evidence'));
  const s3Linker = s3 && bucket
    ? lazy(async () => new S3PageLinker({ client: await s3.get(), bucket, hours: cfg.LEAKHOUND_EVIDENCE_LINK_HOURS, requestTimeoutMs: 5_000 }))
    : null;
  const pageLinker: PageLinker = s3Linker ? { link: async (incidentId) => (await s3Linker.get()).link(incidentId) } : new DirectoryPageLinker(join(tmpdir(), 'leakhound-evidence'));

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
    evidenceReader: evidenceReaderOf(evidence),
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
