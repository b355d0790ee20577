// Lambda entry for webhooks (API Gateway HTTP API → here): Alertmanager, Grafana, SNS over HTTPS
// and /healthz. The app is in lib/webhook/app.ts; its parts are built on first request. Log lines
// carry API Gateway's request id as correlation id.
import { handle, type LambdaContext, type LambdaEvent } from 'hono/aws-lambda';
import { apiRequestId, invocation } from '../lib/lambda/invocation.ts';
import { createWebhookApp } from '../lib/webhook/app.ts';
import { maxBodyBytes, webhookContext, webhookLog, webhookTelemetry } from '../lib/wiring/webhook.ts';

export const app = createWebhookApp({ deps: () => webhookContext.get(), maxBodyBytes: maxBodyBytes(), log: webhookLog });

const serve = handle(app);

export const handler = (event: LambdaEvent, context?: LambdaContext) =>
  invocation(webhookTelemetry, context, apiRequestId(event), () => serve(event, context));
