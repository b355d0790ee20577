// The webhook function's parts: the shared context (with the secret read) plus each source's
// credentials and the SNS verifier, built once per container.
import { buildCoreContext, type CoreContext } from './core.ts';
import { readEnv, webhookEnvSchema } from '../lambda/index.ts';
import { lazy } from '../lambda/index.ts';
import { createTelemetry } from '../lambda/index.ts';
import type { Log } from '../lambda/index.ts';
import { secretsManagerReader } from '../lambda/index.ts';
import { SnsVerifier, fetchText } from '../webhook/index.ts';
import type { WebhookDeps } from '../webhook/index.ts';
import { sourceAuth } from '../webhook/index.ts';
import { handle, type LambdaContext, type LambdaEvent } from 'hono/aws-lambda';
import { apiRequestId, invocation } from '../lambda/index.ts';
import { createWebhookApp } from '../webhook/index.ts';

/** The function's Powertools log and metrics (functions/webhook.ts runs each request in them). */
export const webhookTelemetry = createTelemetry('webhook');
export const webhookLog: Log = webhookTelemetry.log;

export function webhookDeps(core: CoreContext, log: Log = webhookLog): WebhookDeps {
  const cfg = readEnv(webhookEnvSchema, core.env);
  return {
    ...core,
    log,
    auth: {
      alertmanager: sourceAuth(cfg.ALERTMANAGER_TOKEN),
      grafana: sourceAuth(cfg.GRAFANA_TOKEN, cfg.GRAFANA_HMAC_SECRET),
    },
    sns: new SnsVerifier({ topicArns: cfg.LEAKHOUND_SNS_TOPIC_ARNS }),
    confirm: fetchText,
  };
}

/** Short AWS timeouts: the sender is waiting. Tests may `set` it. */
export const webhookContext = lazy(async () =>
  webhookDeps(await buildCoreContext(process.env, { requestTimeoutMs: 2_000, readSecret: secretsManagerReader(process.env['AWS_REGION']) })),
);

/** Read at module load (cheap, no I/O): the body limit must exist before the first request. */
export function maxBodyBytes(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env['LEAKHOUND_MAX_BODY_BYTES']);
  return Number.isInteger(n) && n >= 1024 && n <= 6 * 1024 * 1024 ? n : 256 * 1024;
}

// The Lambda handler (functions/webhook.ts).
export const app = createWebhookApp({ deps: () => webhookContext.get(), maxBodyBytes: maxBodyBytes(), log: webhookLog });

const serve = handle(app);

export const handler = (event: LambdaEvent, context?: LambdaContext) =>
  invocation(webhookTelemetry, context, apiRequestId(event), () => serve(event, context));
