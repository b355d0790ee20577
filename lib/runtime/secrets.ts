// Secrets are resolved at run time, never at packaging: the environment carries only where they
// are (LEAKHOUND_SECRETS_ID, a Secrets Manager secret holding a JSON object of NAME → value), and
// the function reads them once per container. A variable set in the environment itself wins, so
// local runs and tests need no AWS at all. The same reader serves the catalog's `secret:` refs.
import { z } from 'zod';
import type { Env, SecretReader } from '../catalog/index.ts';
import { describeError } from './log.ts';

export type { SecretReader };

const SSM_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter(\/.+)$/;

/**
 * Reads a Secrets Manager secret (name or ARN) or an SSM parameter (`/path` or its ARN, decrypted).
 * The SDK clients are loaded on first use: the Lambda runtime provides them.
 */
export function createAwsSecretReader(region?: string): SecretReader {
  let ssm: Promise<(name: string, signal: AbortSignal) => Promise<string>> | null = null;
  let sm: Promise<(id: string, signal: AbortSignal) => Promise<string>> | null = null;
  const opts = region ? { region, maxAttempts: 2 } : { maxAttempts: 2 };
  return async (ref, signal) => {
    const ssmName = ref.startsWith('/') ? ref : SSM_ARN.test(ref) ? ref : null;
    if (ssmName !== null) {
      ssm ??= import('@aws-sdk/client-ssm').then(({ SSMClient, GetParameterCommand }) => {
        const client = new SSMClient(opts);
        return async (name, abortSignal) => {
          const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }), { abortSignal });
          if (typeof out.Parameter?.Value !== 'string') throw new Error(`parameter ${name} has no value`);
          return out.Parameter.Value;
        };
      });
      return (await ssm)(ssmName, signal);
    }
    sm ??= import('@aws-sdk/client-secrets-manager').then(({ SecretsManagerClient, GetSecretValueCommand }) => {
      const client = new SecretsManagerClient(opts);
      return async (id, abortSignal) => {
        const out = await client.send(new GetSecretValueCommand({ SecretId: id }), { abortSignal });
        if (typeof out.SecretString !== 'string') throw new Error(`secret ${id} holds no string (binary secrets are not supported)`);
        return out.SecretString;
      };
    });
    return (await sm)(ref, signal);
  };
}

const secretObject = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected environment-variable names as keys'), z.string());

/**
 * The environment with the secret's values filled in (the environment's own values win).
 * Errors name the secret and the problem, never a value.
 */
export async function withSecrets(env: Env, read: SecretReader, timeoutMs = 5_000): Promise<Env> {
  const id = env['LEAKHOUND_SECRETS_ID']?.trim();
  if (!id) return env;
  let text: string;
  try {
    text = await read(id, AbortSignal.timeout(timeoutMs));
  } catch (err) {
    throw new Error(`could not read the secret LEAKHOUND_SECRETS_ID names (${id}): ${describeError(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`the secret ${id} is not a JSON object`);
  }
  const parsed = secretObject.safeParse(json);
  if (!parsed.success) throw new Error(`the secret ${id} must be a JSON object of NAME → string (${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? ''})`);
  const own = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  return { ...parsed.data, ...own };
}
