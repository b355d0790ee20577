#!/usr/bin/env node
// The `leakhound` command. Runs the bundle in dist/ (built by `npm ci` / `npm run build`), or the
// TypeScript sources through tsx when there is no bundle or LEAKHOUND_FROM_SOURCE is set.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/cli/main.js', import.meta.url);
let main;
if (!process.env.LEAKHOUND_FROM_SOURCE && existsSync(bundle)) {
  ({ main } = await import(bundle.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../lib/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
