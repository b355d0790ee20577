// A CloudWatch client made (and its SDK module loaded) by the first metrics call: only catalogs
// with an RDS database, a load balancer or an RDS Proxy read CloudWatch. For that reason
// create-client.ts is not re-exported from index.ts (esbuild would load it with the index).
import { lazy } from '../lambda/index.ts';
import type { CloudWatchLike } from './client.ts';
import type { CloudWatchClientOptions } from './create-client.ts';

export function cloudWatchOnFirstUse(options: CloudWatchClientOptions = {}): CloudWatchLike {
  const client = lazy(async () => (await import('./create-client.ts')).createCloudWatchClient(options));
  return { send: async (command: never, sendOptions?: never) => (await client.get()).send(command, sendOptions) } as unknown as CloudWatchLike;
}
