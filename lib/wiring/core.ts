// What every function shares, built from the environment once per container on first use:
// the environment (with its secrets, for the functions that need any), the catalog, the store
// and the queue. Each function adds its own parts on top (webhook.ts,
// worker.ts), so a bundle carries only what its function needs.
import { SQSClient } from '@aws-sdk/client-sqs';
import { loadCatalog } from '../catalog/index.ts';
import type { Catalog, Env, SecretReader } from '../catalog/index.ts';
import { SqsJobQueue } from '../jobs/index.ts';
import type { JobQueue } from '../jobs/index.ts';
import { createDynamoStore } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import { coreEnvSchema, readEnv } from '../lambda/index.ts';
import { lazy } from '../lambda/index.ts';
import { withSecrets } from '../lambda/index.ts';

export interface CoreContext {
  /** process.env, with the secret's values filled in when a reader was given. */
  env: Env;
  catalog: Catalog;
  store: Store;
  queue: JobQueue;
  /** Reads LEAKHOUND_SECRETS_ID and the catalog's `secret:` refs; absent where nothing needs them. */
  readSecret?: SecretReader;
  /** A joined incident is triaged again at most this often. */
  retriageSeconds: number;
}

export interface CoreOptions {
  /** Per DynamoDB/SQS request. */
  requestTimeoutMs?: number;
  /** Given by the functions that need secrets (webhook, worker); the alarm function needs none. */
  readSecret?: SecretReader;
}

export async function buildCoreContext(processEnv: Env, options: CoreOptions = {}): Promise<CoreContext> {
  const { readSecret } = options;
  const env = readSecret ? await withSecrets(processEnv, readSecret) : processEnv;
  const cfg = readEnv(coreEnvSchema, env);
  const loaded = await loadCatalog(cfg.LEAKHOUND_CONFIG, env);
  if (!loaded.ok) throw loaded.error;
  const timeoutMs = options.requestTimeoutMs ?? 3_000;
  return {
    env,
    catalog: loaded.catalog,
    store: createDynamoStore({ tableName: cfg.LEAKHOUND_TABLE, requestTimeoutMs: timeoutMs }),
    queue: new SqsJobQueue({ client: new SQSClient({ maxAttempts: 3 }), queueUrl: cfg.LEAKHOUND_QUEUE_URL, requestTimeoutMs: timeoutMs }),
    ...(readSecret ? { readSecret } : {}),
    retriageSeconds: cfg.LEAKHOUND_RETRIAGE_MINUTES * 60,
  };
}

/** The alarm function's context. Tests may `set` it. */
export const coreContext = lazy(() => buildCoreContext(process.env));
