// Reading the catalog and alert files for CLI commands, turning every failure into a CliError.
import { readFile } from 'node:fs/promises';
import { parseAlerts, type Alert } from '../alerts/index.ts';
import { loadCatalog, type Catalog } from '../catalog/index.ts';
import { cloudWatchOnFirstUse, type CloudWatchLike } from '../metrics/index.ts';
import { CliError } from './errors.ts';

export async function catalogOrFail(path: string | undefined): Promise<Catalog> {
  const result = await loadCatalog(path);
  if (!result.ok) throw new CliError(result.error.message);
  return result.catalog;
}

const MAX_ALERT_BYTES = 1 << 20;

/** Alerts from a JSON file (any supported source, auto-detected), or '-' for stdin. */
export async function alertsFromFile(path: string): Promise<Alert[]> {
  let text: string;
  try {
    text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  if (text.length > MAX_ALERT_BYTES) throw new CliError(`${path}: larger than ${MAX_ALERT_BYTES} bytes`);
  const parsed = parseAlerts(text);
  if (!parsed.ok) throw new CliError(`${path}: ${parsed.error.message}`);
  if (parsed.alerts.length === 0) throw new CliError(`${path}: the payload holds no alerts`);
  return parsed.alerts;
}

async function readStdin(): Promise<string> {
  let s = '';
  for await (const c of process.stdin) {
    s += c;
    if (s.length > MAX_ALERT_BYTES) break;
  }
  return s;
}

/** A CloudWatch client when this process has AWS credentials to use; null in a local run. */
export function cloudwatchFromEnv(env: NodeJS.ProcessEnv, region: string | null): CloudWatchLike | null {
  const hasCredentials = ['AWS_ACCESS_KEY_ID', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_LAMBDA_FUNCTION_NAME'].some(
    (k) => !!env[k],
  );
  return hasCredentials ? cloudWatchOnFirstUse({ region: region ?? undefined }) : null;
}
