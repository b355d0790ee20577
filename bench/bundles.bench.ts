// `npm run bench bundles`: packages the service exactly as a deploy would (`osls package
// --stage ci`, offline, which builds the zips through scripts/build-lambdas.mjs), then for each
// function reads the zip serverless.yml deploys (its package.artifact) and reports:
//   - sizes: the handler module (entry), what loads with it (entry + the chunks it imports
//     statically; target ≤ 1.5 MB), everything in the zip (the lazily loaded chunks too: the
//     Kubernetes client, mysql2, the Slack app…), and the zip;
//   - cold start: importing the handler module from the unzipped package in a fresh Node
//     process, with no node_modules in reach (median of 7; target ≤ 300 ms), and the same
//     followed by importing every chunk (the worst case: every lazy path taken).
// Fails when any file of a bundle imports anything but Node builtins and its own chunks:
// everything, the AWS SDK included, must be in the zip.
//
// Before/after: bench/bundles.baseline.json holds the same figures for an earlier build (it says
// which); each figure is printed as `before → after`. `BENCH_SAVE_BASELINE=<label>` writes this
// run's figures there instead (run it on the commit to compare against). Timings taken at
// different moments on a shared machine differ by more than a change's effect, so
// `BENCH_BEFORE_BUILD=<dir>` (a `.build` holding the earlier <fn>.zip files) also imports the
// earlier bundles, alternating with these, for a paired before → after under the same load.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FUNCTIONS = ['alarm', 'webhook', 'slack', 'worker', 'watch'] as const;
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
/**
 * The Node that imports the bundles: the Lambda runtime's (Node 24). LEAKHOUND_NODE24 names it;
 * else the copy .ci/run keeps in .cache/node24; else this process's Node, said in the figures.
 */
const LAMBDA_NODE = process.env['LEAKHOUND_NODE24'] ?? (existsSync(join(ROOT, '.cache/node24/bin/node')) ? join(ROOT, '.cache/node24/bin/node') : process.execPath);
const MB = 1024 * 1024;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Every file under dir, relative, with / separators. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'));
}

/** What the bundle's files import or require from outside the bundle, other than Node builtins (esbuild parses them). */
async function foreignImports(dir: string, files: string[]): Promise<string[]> {
  const found = new Set<string>();
  await build({
    entryPoints: files.map((f) => join(dir, f)),
    bundle: true,
    write: false,
    outdir: join(dir, '.scan'),
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    plugins: [
      {
        name: 'collect',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (a) => {
            if (a.kind === 'entry-point') return undefined;
            if (a.path.startsWith('.')) return { path: a.path, external: true };
            found.add(a.path);
            return { path: a.path, external: true };
          });
        },
      },
    ],
  });
  const builtin = new Set(builtinModules);
  return [...found].filter((s) => !s.startsWith('node:') && !builtin.has(s)).sort();
}

/** The files that load with the entry: itself and the chunks it imports statically, transitively. */
async function staticClosure(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    plugins: [
      {
        name: 'static-only',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (a) => {
            if (a.kind === 'entry-point' || (a.kind !== 'dynamic-import' && a.path.startsWith('.'))) return undefined;
            return { path: a.path, external: true };
          });
        },
      },
    ],
  });
  return Object.keys(result.metafile.inputs).map((f) => resolve(f));
}

/**
 * Milliseconds to import the module (then the others, if any), measured inside a fresh `node`
 * process: wall time, and the CPU time the process spent on it (user + system), which a machine
 * busy with other work inflates far less than the wall time.
 */
async function importTime(file: string, env: NodeJS.ProcessEnv, then: string[] = []): Promise<{ wall: number; cpu: number }> {
  const url = (f: string) => JSON.stringify(pathToFileURL(f).href);
  const script = `const t=performance.now(),c=process.cpuUsage();await import(${url(file)});${then.map((f) => `await import(${url(f)});`).join('')}const u=process.cpuUsage(c);process.stdout.write((performance.now()-t)+' '+(u.user+u.system)/1000);`;
  const { stdout } = await exec(LAMBDA_NODE, ['--input-type=module', '-e', script], { env, timeout: 60_000 });
  const [wall, cpu] = stdout.trim().split(' ').map(Number);
  return { wall: wall!, cpu: cpu! };
}

const mb = (bytes: number) => (bytes / MB).toFixed(2);

interface FunctionFigures {
  entryBytes: number;
  atImportBytes: number;
  allBytes: number;
  zipBytes: number;
  coldImportMs: number;
  /** Absent in baselines saved before it was measured. */
  coldImportCpuMs?: number;
}
interface Baseline {
  label: string;
  node: string;
  measuredAt: string;
  functions: Record<string, FunctionFigures>;
}
const BASELINE = join(ROOT, 'bench', 'bundles.baseline.json');
const BEFORE_BUILD = process.env['BENCH_BEFORE_BUILD'] ? resolve(process.env['BENCH_BEFORE_BUILD']) : null;

/** The earlier build's zip of `fn`, unzipped into `dir`: its handler module and the env to import it with. */
async function unzipBefore(build: string, fn: string, dir: string): Promise<{ entry: string; env: NodeJS.ProcessEnv }> {
  await mkdir(dir, { recursive: true });
  await exec('unzip', ['-q', join(build, `${fn}.zip`), '-d', dir]);
  return { entry: join(dir, 'functions', `${fn}.mjs`), env: { PATH: process.env['PATH'] ?? '', HOME: dir, AWS_REGION: 'eu-west-1', LEAKHOUND_CONFIG: join(dir, 'leakhound.example.yml') } };
}

async function readBaseline(): Promise<Baseline | null> {
  try {
    return JSON.parse(await readFile(BASELINE, 'utf8')) as Baseline;
  } catch {
    return null;
  }
}

/** `before → after (±n%)`, or just the figure when there is no before. */
function versus(before: number | undefined, after: number, show: (n: number) => string): string {
  if (before === undefined) return show(after);
  const pct = before === 0 ? 0 : ((after - before) / before) * 100;
  return `${show(before)} → ${show(after)} (${pct >= 0 ? '+' : ''}${pct.toFixed(0)}%)`;
}
const timing = (times: number[], target?: number) => {
  const ms = median(times);
  return `${ms.toFixed(0)}${target !== undefined && ms > target ? `  (over ${target} ms target)` : ''}  [min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)}]`;
};

export async function run(): Promise<Record<string, string | number>> {
  const out = await mkdtemp(join(tmpdir(), 'lh-bundles-'));
  try {
    const packaged = join(out, 'package');
    const started = Date.now();
    // As CI does it: no AWS credentials of this machine, nothing leaves it.
    await exec('npx', ['--no-install', 'osls', 'package', '--stage', 'ci', '--package', packaged], {
      cwd: ROOT,
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'eu-west-1', AWS_PROFILE: '' },
      timeout: 300_000,
      maxBuffer: 16 * MB,
    });
    const { stdout: nodeVersion } = await exec(LAMBDA_NODE, ['--version']);
    const baseline = process.env['BENCH_SAVE_BASELINE'] ? null : await readBaseline();
    const figures: Record<string, string | number> = { 'osls package (s)': ((Date.now() - started) / 1000).toFixed(1), 'imports run on Node': nodeVersion.trim() };
    if (baseline) figures['before'] = `${baseline.label} (imports on Node ${baseline.node}, ${baseline.measuredAt.slice(0, 10)})`;
    const measured: Record<string, FunctionFigures> = {};
    // The zips the CloudFormation template deploys, as the packaging recorded them.
    const state = JSON.parse(await readFile(join(packaged, 'serverless-state.json'), 'utf8')) as {
      service: { functions: Record<string, { package?: { artifact?: string } }> };
    };

    for (const fn of FUNCTIONS) {
      const artifact = state.service.functions[fn]?.package?.artifact;
      if (!artifact) throw new Error(`${fn}: the package has no artifact for it`);
      const zip = resolve(ROOT, artifact);
      const dir = join(out, fn);
      await mkdir(dir, { recursive: true });
      await exec('unzip', ['-q', zip, '-d', dir]);
      const files = await filesUnder(dir);
      const modules = files.filter((f) => f.endsWith('.mjs'));
      const entry = join(dir, 'functions', `${fn}.mjs`);
      const unresolved = await foreignImports(dir, modules);
      if (unresolved.length) throw new Error(`${fn}: the bundle imports ${unresolved.join(', ')}, which the Lambda runtime does not have`);
      const size = async (paths: string[]) => {
        let n = 0;
        for (const p of paths) n += (await stat(p)).size;
        return n;
      };
      const loaded = await staticClosure(entry);
      const entryBytes = await size([entry]);
      const loadedBytes = await size(loaded);
      const totalBytes = await size(modules.map((f) => join(dir, f)));
      const lazy = modules.map((f) => join(dir, f)).filter((f) => !loaded.includes(f));
      const env = { PATH: process.env['PATH'] ?? '', HOME: dir, AWS_REGION: 'eu-west-1', LEAKHOUND_CONFIG: join(dir, 'leakhound.example.yml') };
      const cold: number[] = [];
      const coldCpu: number[] = [];
      const everything: number[] = [];
      const paired = BEFORE_BUILD ? await unzipBefore(BEFORE_BUILD, fn, join(out, `${fn}-before`)) : null;
      const pairedCold: number[] = [];
      const pairedCpu: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        if (paired) {
          const b = await importTime(paired.entry, paired.env);
          pairedCold.push(b.wall);
          pairedCpu.push(b.cpu);
        }
        const first = await importTime(entry, env);
        cold.push(first.wall);
        coldCpu.push(first.cpu);
        everything.push((await importTime(entry, env, lazy)).wall);
      }
      if (paired) {
        figures[`${fn}: paired cold import wall before → after (ms)`] = versus(median(pairedCold), median(cold), (n) => n.toFixed(0));
        figures[`${fn}: paired cold import CPU before → after (ms)`] = versus(median(pairedCpu), median(coldCpu), (n) => n.toFixed(0));
      }
      const zipBytes = (await stat(zip)).size;
      const before = baseline?.functions[fn];
      measured[fn] = { entryBytes, atImportBytes: loadedBytes, allBytes: totalBytes, zipBytes, coldImportMs: median(cold), coldImportCpuMs: median(coldCpu) };
      figures[`${fn}: entry / at import / all (MB)`] =
        `${mb(entryBytes)} / ${mb(loadedBytes)} / ${mb(totalBytes)}  (${loaded.length} of ${modules.length} files at import)${loadedBytes > 1.5 * MB ? '  (over 1.5 MB target)' : ''}`;
      figures[`${fn}: at import (MB)`] = versus(before?.atImportBytes, loadedBytes, mb) + (loadedBytes > 1.5 * MB ? '  (over 1.5 MB target)' : '');
      figures[`${fn}: zip (MB)`] = versus(before?.zipBytes, zipBytes, mb);
      figures[`${fn}: cold import median of ${RUNS} (ms)`] = timing(cold, 300);
      figures[`${fn}: cold import CPU median (ms)`] = timing(coldCpu);
      if (before) figures[`${fn}: cold import before → after (ms)`] = versus(before.coldImportMs, median(cold), (n) => n.toFixed(0));
      if (before?.coldImportCpuMs !== undefined) figures[`${fn}: cold import CPU before → after (ms)`] = versus(before.coldImportCpuMs, median(coldCpu), (n) => n.toFixed(0));
      figures[`${fn}: + every lazy chunk (ms)`] = timing(everything);
    }
    const label = process.env['BENCH_SAVE_BASELINE'];
    if (label) {
      const saved: Baseline = { label, node: nodeVersion.trim(), measuredAt: new Date().toISOString(), functions: measured };
      await writeFile(BASELINE, `${JSON.stringify(saved, null, 2)}\n`);
      figures['baseline saved'] = `${relative(ROOT, BASELINE)} (${label})`;
    }
    return figures;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
