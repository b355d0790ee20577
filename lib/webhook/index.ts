// Public surface of webhook: what other domains may import.
export { createWebhookApp, type WebhookDeps } from './app.ts';
export { SnsVerifier, fetchText } from './sns-signature.ts';
export { sourceAuth } from './source-auth.ts';
