// Public surface of lambda: what other domains may import.
export { awsSecretReader, secretsManagerReader } from './aws-secrets.ts';
export { coreEnvSchema, readEnv, webhookEnvSchema, workerEnvSchema } from './env.ts';
export { lazy } from './lazy.ts';
export { createLog, logText, type Fields, type Log } from './log.ts';
export { withSecrets } from './secrets.ts';
export { withCorrelationId } from './correlation.ts';
export { apiRequestId, createTelemetry, invocation } from './invocation.ts';
export { METRICS, noMeter, type Meter } from './meter.ts';
