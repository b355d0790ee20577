// The environment each function reads, validated once at start-up. Values that are secrets
// (tokens, HMAC keys, a kubeconfig) may come from the secret named by LEAKHOUND_SECRETS_ID
// instead of the environment; see secrets.ts.
import { z } from 'zod';
import type { Env } from '../catalog/index.ts';

const list = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );
const optional = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s.trim() === '' ? null : s.trim()));

export const coreEnvSchema = z.object({
  LEAKHOUND_CONFIG: z.string().min(1, 'LEAKHOUND_CONFIG (the catalog file) is not set'),
  LEAKHOUND_TABLE: z.string().min(1, 'LEAKHOUND_TABLE (the DynamoDB table) is not set'),
  LEAKHOUND_QUEUE_URL: z.url('LEAKHOUND_QUEUE_URL must be the SQS queue URL'),
  /** A firing alarm that joins an open incident triggers a new triage at most this often. */
  LEAKHOUND_RETRIAGE_MINUTES: z.coerce.number().positive().max(24 * 60).default(15),
});
export type CoreEnv = z.infer<typeof coreEnvSchema>;

export const webhookEnvSchema = z.object({
  ALERTMANAGER_TOKEN: optional,
  GRAFANA_TOKEN: optional,
  GRAFANA_HMAC_SECRET: optional,
  /** Topics whose HTTPS subscription posts to /webhooks/sns; anything else is refused. */
  LEAKHOUND_SNS_TOPIC_ARNS: list.pipe(z.array(z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$/, 'expected SNS topic ARNs, comma-separated'))),
  LEAKHOUND_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(6 * 1024 * 1024).default(256 * 1024),
});
export type WebhookEnv = z.infer<typeof webhookEnvSchema>;

export const workerEnvSchema = z.object({
  SLACK_BOT_TOKEN: z.string().regex(/^xoxb-/, 'SLACK_BOT_TOKEN must be a bot token (xoxb-…)'),
  /** Tests and local runs point the Web API elsewhere. */
  LEAKHOUND_SLACK_API_URL: optional,
  LEAKHOUND_EVIDENCE_BUCKET: optional,
  /** How long the evidence page's presigned link stays valid (at most 7 days). */
  LEAKHOUND_EVIDENCE_LINK_HOURS: z.coerce.number().positive().max(168).default(24),
  /** A kubeconfig (YAML) for Kubernetes dump sources and restarts; without it they report a gap. */
  LEAKHOUND_KUBECONFIG: optional,
  /** How long a restart (evidence + rollout) may take; keep it under the worker's timeout. */
  LEAKHOUND_RESTART_SECONDS: z.coerce.number().int().min(30).max(840).default(240),
});
export type WorkerEnv = z.infer<typeof workerEnvSchema>;

/** Parses `env` with `schema`; the error names each variable and what is wrong with it. */
export function readEnv<S extends z.ZodType>(schema: S, env: Env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
  throw new Error(`configuration: ${problems.join('; ')}`);
}
