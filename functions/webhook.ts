// Lambda entry for webhooks (API Gateway HTTP API → here): Alertmanager, Grafana, SNS over HTTPS
// and /healthz. The app is in lib/webhook/app.ts; its parts are built on first request.
import { handle } from 'hono/aws-lambda';
import { createWebhookApp } from '../lib/webhook/app.ts';
import { maxBodyBytes, webhookContext, webhookLog } from '../lib/wiring/webhook.ts';

export const app = createWebhookApp({ deps: () => webhookContext.get(), maxBodyBytes: maxBodyBytes(), log: webhookLog });

export const handler = handle(app);
