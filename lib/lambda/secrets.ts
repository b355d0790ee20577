// Secrets are resolved at run time, never at packaging: the environment carries only where they
// are (LEAKHOUND_SECRETS_ID, a Secrets Manager secret holding a JSON object of NAME → value), and
// the function reads them once per container. A variable set in the environment itself wins, so
// local runs and tests need no AWS at all. The reader is injected (aws-secrets.ts in Lambda).
import { z } from 'zod';
import type { Env, SecretReader } from '../catalog/index.ts';
import { rememberSecrets } from '../redact/index.ts';
import { errorMessage } from '../errors/index.ts';
import { logText } from './log.ts';

export type { SecretReader };

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
    throw new Error(`could not read the secret LEAKHOUND_SECRETS_ID names (${id}): ${logText(errorMessage(err))}`);
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
  // These never enter process.env: lib/redact learns them here, so no output can carry them.
  rememberSecrets(parsed.data);
  return { ...parsed.data, ...own };
}
