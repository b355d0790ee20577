// A CloudWatch client made (and its SDK module loaded) by the first metrics call: only catalogs
// with an RDS database, a load balancer or an RDS Proxy read CloudWatch. For that reason
// create-client.ts is not re-exported from index.ts (esbuild would load it with the index).
import type { CloudWatchLike } from './client.ts';
import type { CloudWatchClientOptions } from './create-client.ts';

export function cloudWatchOnFirstUse(options: CloudWatchClientOptions = {}): CloudWatchLike {
  let made: Promise<CloudWatchLike> | null = null;
  const client = () => (made ??= import('./create-client.ts').then((m) => m.createCloudWatchClient(options)));
  return { send: async (command: never, sendOptions?: never) => (await client()).send(command, sendOptions) } as unknown as CloudWatchLike;
}
