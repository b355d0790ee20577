// The watch function's parts on top of the shared context: the watch's records in the store's
// table, Slack (bot token from the secret), the dump clients a kubeconfig gives. Built once per
// container.
import type { KubeConfig } from '@kubernetes/client-node';
import { buildCoreContext, type CoreContext } from './core.ts';
import { readEnv, workerEnvSchema } from '../lambda/index.ts';
import { lazy } from '../lambda/index.ts';
import { awsSecretReader } from '../lambda/index.ts';
import { createSlackClient } from '../slack/index.ts';
import { WebApiSink } from '../slack/index.ts';
import type { WatchDeps } from '../watch/index.ts';
import { watchStoreFor } from '../watch/index.ts';

export function watchDeps(core: CoreContext): WatchDeps {
  const cfg = readEnv(workerEnvSchema, core.env);
  const client = createSlackClient(cfg.SLACK_BOT_TOKEN, cfg.LEAKHOUND_SLACK_API_URL ? { slackApiUrl: cfg.LEAKHOUND_SLACK_API_URL } : {});
  const kubeText = cfg.LEAKHOUND_KUBECONFIG;
  const kube = kubeText
    ? lazy(async (): Promise<KubeConfig> => {
        const { KubeConfig } = await import('@kubernetes/client-node');
        const kc = new KubeConfig();
        kc.loadFromString(kubeText);
        return kc;
      })
    : null;
  return {
    catalog: core.catalog,
    store: watchStoreFor(core.env),
    sink: new WebApiSink(client, { secrets: [cfg.SLACK_BOT_TOKEN, ...(kubeText ? [kubeText] : [])] }),
    gather: { env: core.env, readSecret: core.readSecret, ...(kube ? { dumpClients: { kube: () => kube.get() } } : {}) },
    log: (line, fields) => console.log(JSON.stringify({ level: 'info', fn: 'watch', msg: line, ...fields })),
  };
}

/** Tests may `set` it. */
export const watchContext = lazy(async () =>
  watchDeps(await buildCoreContext(process.env, { requestTimeoutMs: 5_000, readSecret: awsSecretReader(process.env['AWS_REGION']) })),
);
