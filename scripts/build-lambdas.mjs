#!/usr/bin/env node
// Builds the Lambda bundles and their zips: one esbuild run per function, code-split (so a
// dynamic import() stays a separate chunk that loads only when its path runs: the Kubernetes
// client, mysql2, the Slack app), minified ESM for Node 24 (the functions' runtime, nodejs24.x;
// the CLI's own build, scripts/build.mjs, stays on node20), everything bundled (the AWS SDK
// too: loading the runtime's copy costs ~350 ms of cold start), plus the catalog file.
//
//   .build/<fn>/functions/<fn>.mjs     the handler module (serverless.yml: functions/<fn>.handler)
//   .build/<fn>/chunks/*.mjs           what it shares with or loads through import()
//   .build/<fn>/<catalog>              the catalog (LEAKHOUND_CONFIG)
//   .build/<fn>.zip                    what is deployed (serverless.yml: package.artifact)
//   .build/<fn>.meta.json              esbuild's metafile (what each chunk is made of)
//
// Two ways in:
//   - as a serverless plugin (serverless.yml `plugins: [./scripts/build-lambdas.mjs]`): builds
//     every function before `osls package` / `osls deploy` packages, and before
//     `osls deploy function -f <fn>`; the functions, their entries, their artifact paths and
//     the catalog come from serverless.yml;
//   - from the command line: `npm run build:lambdas [-- --catalog file] [fn...]`.
//
// serverless-esbuild is not used for this: it builds every function into one shared folder, so
// with splitting each function's zip would get the other functions' chunks too.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const FUNCTIONS = ['alarm', 'webhook', 'slack', 'worker', 'watch'];

// Bolt's index and App.js require every receiver. The Lambda passes an AwsLambdaReceiver, so the
// Socket Mode, Express and HTTP receivers (with @slack/socket-mode, ws, express, @slack/oauth)
// are dead weight there: the bundle gets a stand-in that throws if anything ever constructs one.
// Socket Mode stays available where it is used (lib/cli/dev.ts, not bundled here). Likewise
// raw-body (and with it iconv-lite's ~480 KB of code pages): Bolt uses it only to read a Node
// http request, which AwsLambdaReceiver never does.
const BOLT_RECEIVERS_NOT_IN_LAMBDA = /[\\/]@slack[\\/]bolt[\\/]dist[\\/]receivers[\\/](SocketModeReceiver|ExpressReceiver|HTTPReceiver)\.js$/;

const boltReceiversOut = {
  name: 'bolt-receivers-out',
  setup(b) {
    b.onResolve({ filter: /^raw-body$/ }, (args) =>
      /[\\/]@slack[\\/]bolt[\\/]/.test(args.importer) ? { path: 'raw-body', namespace: 'bolt-receivers-out' } : undefined,
    );
    b.onLoad({ filter: /^raw-body$/, namespace: 'bolt-receivers-out' }, () => ({
      loader: 'js',
      contents: `"use strict";module.exports=function rawBody(){throw new Error("raw-body is not in the Lambda bundle: Bolt reads no Node http request here")};`,
    }));
    b.onLoad({ filter: BOLT_RECEIVERS_NOT_IN_LAMBDA }, (args) => {
      const name = basename(args.path, '.js');
      return {
        loader: 'js',
        contents: `"use strict";Object.defineProperty(exports,"__esModule",{value:true});
class ${name}{constructor(){throw new Error("${name} is not in the Lambda bundle: pass a receiver (AwsLambdaReceiver)")}}
exports.default=${name};`,
      };
    });
  },
};

// zod exposes every locale as z.locales (~200 KB of messages in ~45 languages); esbuild keeps the
// whole namespace. Leakhound uses only the default English messages (zod's config(en()), which
// imports en.js directly), so the bundles get a locales namespace holding English alone.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, () => ({ loader: 'js', contents: 'export { default as en } from "./en.js";' }));
  },
};

/** Builds one function into `.build/<name>/` and zips it. Returns the zip's path and sizes. */
export async function buildFunction({ name, entry, artifact, include = [], root = ROOT }) {
  const outdir = join(root, '.build', name);
  await rm(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: { [join('functions', name)]: join(root, entry) },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    mainFields: ['module', 'main'],
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // Bundled CommonJS dependencies call require() for Node builtins inside an ES module. (No
    // bundled module reads __dirname unguarded, so no shim for it.)
    banner: { js: "import{createRequire as __lhReq}from'node:module';const require=__lhReq(import.meta.url);" },
    plugins: [boltReceiversOut, zodEnglishOnly],
  });
  for (const file of include) {
    const from = join(root, file);
    if (!existsSync(from)) throw new Error(`build-lambdas: ${file} (packaged with ${name}) does not exist${/leakhound\.yml$/.test(file) ? ': copy leakhound.example.yml and fill it in (README, "Deploying to AWS", step 3)' : ''}`);
    await mkdir(dirname(join(outdir, file)), { recursive: true });
    await writeFile(join(outdir, file), await readFile(from));
  }
  const zipPath = resolve(root, artifact ?? join('.build', `${name}.zip`));
  const files = await listFiles(outdir);
  await mkdir(dirname(zipPath), { recursive: true });
  const zip = await zipFiles(outdir, files);
  await writeFile(zipPath, zip);
  await writeFile(join(root, '.build', `${name}.meta.json`), JSON.stringify(result.metafile));
  const outputs = Object.entries(result.metafile.outputs);
  const entryOut = outputs.find(([, o]) => o.entryPoint === entry)?.[1];
  return {
    name,
    zip: zipPath,
    entryBytes: entryOut?.bytes ?? 0,
    totalBytes: outputs.reduce((n, [, o]) => n + o.bytes, 0),
    chunks: outputs.length,
    zipBytes: zip.length,
  };
}

async function listFiles(dir, prefix = '') {
  const out = [];
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, rel)));
    else out.push(rel);
  }
  return out.sort();
}

// --- a minimal, deterministic zip writer (deflate, fixed timestamps, 0644 files) ---------------
// Same input, same bytes: an unchanged function keeps its hash and is not redeployed.

const CRC_TABLE = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

function crc32(buf) {
  let c = -1;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

async function zipFiles(dir, files) {
  const DOS_TIME = 0; // 00:00:00
  const DOS_DATE = (1 << 5) | 1; // 1980-01-01
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const rel of files) {
    const data = await readFile(join(dir, rel));
    const deflated = deflateRawSync(data, { level: 9 });
    const stored = deflated.length >= data.length;
    const body = stored ? data : deflated;
    const name = Buffer.from(rel.split(sep).join('/'), 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(stored ? 0 : 8, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(stored ? 0 : 8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // -rw-r--r--
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  if (files.length > 0xffff || offset > 0xffffffff) throw new Error('build-lambdas: too large for a zip without zip64');
  const centralBytes = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(centralBytes, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

// --- serverless plugin ----------------------------------------------------------------------

/** What serverless.yml says about one function: its entry, its artifact, the files to include. */
function functionPlan(serverless, name) {
  const fn = serverless.service.getFunction(name);
  const m = /^(.+)\.[A-Za-z_$][\w$]*$/.exec(fn.handler ?? '');
  if (!m || m[1] !== `functions/${name}`) throw new Error(`build-lambdas: ${name}: handler must be functions/${name}.<export> (it is ${fn.handler})`);
  const artifact = fn.package?.artifact;
  if (!artifact) throw new Error(`build-lambdas: ${name}: set package.artifact (e.g. .build/${name}.zip) in serverless.yml`);
  const patterns = serverless.service.package?.patterns ?? [];
  const bad = patterns.filter((p) => typeof p !== 'string' || /[*?!{}[\]]/.test(p));
  if (bad.length) throw new Error(`build-lambdas: package.patterns may only name files (got ${bad.join(', ')})`);
  return { name, entry: `${m[1]}.ts`, artifact, include: patterns };
}

export default class BuildLambdas {
  constructor(serverless, options, utils) {
    this.serverless = serverless;
    this.options = options ?? {};
    this.log = utils?.log ?? console;
    this.hooks = {
      'before:package:createDeploymentArtifacts': () => this.buildAll(),
      'before:deploy:function:packageFunction': () => this.buildAll([this.options.function]),
    };
  }

  async buildAll(names = this.serverless.service.getAllFunctions()) {
    const root = this.serverless.serviceDir ?? ROOT;
    const results = await Promise.all(names.map((name) => buildFunction({ ...functionPlan(this.serverless, name), root })));
    for (const r of results) this.log.info?.(`build-lambdas: ${describe(r, root)}`);
  }
}

function describe(r, root) {
  const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
  return `${r.name}: entry ${kb(r.entryBytes)}, ${r.chunks} files ${kb(r.totalBytes)}, zip ${kb(r.zipBytes)} → ${relative(root, r.zip)}`;
}

// --- command line ---------------------------------------------------------------------------
// (No top-level await: osls loads plugins with require(), which refuses a module that has one.)

async function main(args) {
  let catalog = existsSync(join(ROOT, 'leakhound.yml')) ? 'leakhound.yml' : 'leakhound.example.yml';
  const names = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--catalog' && args[i + 1]) catalog = args[++i];
    else if (FUNCTIONS.includes(args[i])) names.push(args[i]);
    else {
      console.error(`usage: build-lambdas.mjs [--catalog file] [${FUNCTIONS.join('|')}...]`);
      return 2;
    }
  }
  const results = await Promise.all((names.length ? names : FUNCTIONS).map((name) => buildFunction({ name, entry: `functions/${name}.ts`, include: [catalog] })));
  for (const r of results) console.log(describe(r, ROOT));
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof Error ? err.message : String(err));
      process.exit(1);
    },
  );
}
