// Reads secrets from AWS for withSecrets and the catalog's `secret:` references: a Secrets Manager
// secret (name or ARN) or an SSM parameter (`/path` or its ARN, decrypted), through Powertools
// Parameters' providers, which keep each value for POWERTOOLS_PARAMETERS_MAX_AGE seconds (300
// when unset): a database URL the catalog names with `secret:` is read once per five minutes per
// container, not once per triage, and a rotated value is picked up within that time.
//
// Two readers, so each bundle carries only the provider and client its function uses; each is
// imported on first use (its own chunk, not loaded with the handler), and the alarm function
// reads no secret at all.
import type { SecretReader } from './secrets.ts';

const SSM_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter(\/.+)$/;
const isSsmRef = (ref: string): boolean => ref.startsWith('/') || SSM_ARN.test(ref);

/** Seconds a value is kept when POWERTOOLS_PARAMETERS_MAX_AGE does not say (Powertools' own default is 5). */
export const DEFAULT_MAX_AGE_SECONDS = 300;
const maxAge = (): { maxAge?: number } => (process.env['POWERTOOLS_PARAMETERS_MAX_AGE'] ? {} : { maxAge: DEFAULT_MAX_AGE_SECONDS });

type Get = (ref: string) => Promise<unknown>;

// Two attempts, each bounded: the caller's signal bounds the whole read (below), these keep a
// hung connection from living on after it.
const clientConfig = (region?: string) => ({
  ...(region ? { region } : {}),
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 5_000 },
});

/** The read, or the signal's reason once it aborts (the providers take no signal of their own). */
function untilAborted<T>(read: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason ?? new Error('aborted'));
    signal.addEventListener('abort', abort, { once: true });
    read.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

function stringOf(ref: string, value: unknown, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what} ${ref} holds no string${value instanceof Uint8Array ? ' (binary secrets are not supported)' : ''}`);
  return value;
}

/** Secrets Manager only (the webhook: LEAKHOUND_SECRETS_ID). The provider is made on first use. */
export function secretsManagerReader(region?: string): SecretReader {
  let get: Promise<Get> | null = null;
  return async (ref, signal) => {
    if (isSsmRef(ref)) throw new Error(`${ref} is an SSM parameter, which this function does not read`);
    get ??= import('@aws-lambda-powertools/parameters/secrets').then(({ SecretsProvider }) => {
      const provider = new SecretsProvider({ clientConfig: clientConfig(region) });
      return (id) => provider.get(id, maxAge());
    });
    return stringOf(ref, await untilAborted((await get)(ref), signal), 'secret');
  };
}

/** Secrets Manager and SSM Parameter Store (the worker: catalog `secret:` refs may be either). */
export function awsSecretReader(region?: string): SecretReader {
  const secrets = secretsManagerReader(region);
  let get: Promise<Get> | null = null;
  return async (ref, signal) => {
    if (!isSsmRef(ref)) return secrets(ref, signal);
    get ??= import('@aws-lambda-powertools/parameters/ssm').then(({ SSMProvider }) => {
      const provider = new SSMProvider({ clientConfig: clientConfig(region) });
      return (name) => provider.get(name, { decrypt: true, ...maxAge() });
    });
    return stringOf(ref, await untilAborted((await get)(ref), signal), 'parameter');
  };
}
