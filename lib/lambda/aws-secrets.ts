// Reads secrets from AWS for withSecrets and the catalog's `secret:` references: a Secrets Manager
// secret (name or ARN) or an SSM parameter (`/path` or its ARN, decrypted). Two readers, so each
// bundle carries only the client its function uses (esbuild drops the unused one); the alarm
// function reads no secret at all.
import type { SecretReader } from './secrets.ts';

const SSM_ARN = /^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter(\/.+)$/;
const isSsmRef = (ref: string): boolean => ref.startsWith('/') || SSM_ARN.test(ref);

type Read = (ref: string, signal: AbortSignal) => Promise<string>;
const clientOptions = (region?: string) => (region ? { region, maxAttempts: 2 } : { maxAttempts: 2 });

/** Secrets Manager only (the webhook: LEAKHOUND_SECRETS_ID). The client is made on first use. */
export function secretsManagerReader(region?: string): SecretReader {
  let read: Promise<Read> | null = null;
  return async (ref, signal) => {
    if (isSsmRef(ref)) throw new Error(`${ref} is an SSM parameter, which this function does not read`);
    read ??= import('@aws-sdk/client-secrets-manager').then(({ SecretsManagerClient, GetSecretValueCommand }) => {
      const client = new SecretsManagerClient(clientOptions(region));
      return async (id, abortSignal) => {
        const out = await client.send(new GetSecretValueCommand({ SecretId: id }), { abortSignal });
        if (typeof out.SecretString !== 'string') throw new Error(`secret ${id} holds no string (binary secrets are not supported)`);
        return out.SecretString;
      };
    });
    return (await read)(ref, signal);
  };
}

/** Secrets Manager and SSM Parameter Store (the worker: catalog `secret:` refs may be either). */
export function awsSecretReader(region?: string): SecretReader {
  const secrets = secretsManagerReader(region);
  let ssm: Promise<Read> | null = null;
  return async (ref, signal) => {
    if (!isSsmRef(ref)) return secrets(ref, signal);
    ssm ??= import('@aws-sdk/client-ssm').then(({ SSMClient, GetParameterCommand }) => {
      const client = new SSMClient(clientOptions(region));
      return async (name, abortSignal) => {
        const out = await client.send(new GetParameterCommand({ Name: name, WithDecryption: true }), { abortSignal });
        if (typeof out.Parameter?.Value !== 'string') throw new Error(`parameter ${name} has no value`);
        return out.Parameter.Value;
      };
    });
    return (await ssm)(ref, signal);
  };
}
