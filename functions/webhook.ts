// Lambda entry for webhooks (API Gateway HTTP API → here): Alertmanager, Grafana, SNS over HTTPS
// and /healthz. The app is in lib/webhook/app.ts; its parts are built on first request. Log lines
// carry API Gateway's request id as correlation id.
// Composed in lib/wiring/webhook.ts.
export { app, handler } from '../lib/wiring/webhook.ts';
