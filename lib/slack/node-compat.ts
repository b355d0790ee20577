// @slack/bolt loads @slack/socket-mode, which loads the npm `undici`; the lockfile resolved it to
// undici 8, which needs Node 22 and dies on import under Node 20 (it binds
// zlib.createZstdDecompress and worker_threads.markAsUncloneable at load time). Until the
// package pins undici 7 (an `overrides` entry) or the runtime is Node 22, these two stand-ins
// let Bolt load. Neither is reached by what Leakhound uses: Web API calls go through Node's own
// fetch, and Socket Mode's websocket does not decompress zstd or clone these objects.
// Import it before Bolt. A bundle that keeps @slack/bolt external hoists that import above any
// bundled code, so entry points load the Bolt side with a dynamic import after this module
// (functions/slack.ts, lib/cli/dev.ts).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const zlib = require('node:zlib') as Record<string, unknown>;
const workerThreads = require('node:worker_threads') as Record<string, unknown>;

if (typeof zlib['createZstdDecompress'] !== 'function') {
  zlib['createZstdDecompress'] = () => {
    throw new Error('zstd decompression needs Node 22');
  };
}
if (typeof workerThreads['markAsUncloneable'] !== 'function') {
  workerThreads['markAsUncloneable'] = () => {};
}

export {};
