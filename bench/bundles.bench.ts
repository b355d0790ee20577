// `npm run bench bundles`: packages the service exactly as a deploy would (`osls package
// --stage ci`, offline), then for each function reports the bundle size (target ≤ 1.5 MB), the
// zip size, and the cold-start initialisation time: importing the handler module from the
// unzipped package in a fresh Node process, with no node_modules in reach (median of several;
// target ≤ 300 ms). Fails when a bundle imports anything but Node builtins: everything, the AWS
// SDK included, must be in the zip.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FUNCTIONS = ['alarm', 'webhook', 'slack', 'worker'] as const;
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const MB = 1024 * 1024;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** What the bundle imports or requires from outside itself, other than Node builtins (esbuild parses it). */
async function foreignImports(file: string): Promise<string[]> {
  const found = new Set<string>();
  await build({
    entryPoints: [file],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    plugins: [
      {
        name: 'collect',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (a) => {
            if (a.kind === 'entry-point') return undefined;
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

/** Milliseconds to import the module, measured inside a fresh `node` process. */
async function importTime(file: string, env: NodeJS.ProcessEnv): Promise<number> {
  const script = `const t=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});process.stdout.write(String(performance.now()-t));`;
  const { stdout } = await exec(process.execPath, ['--input-type=module', '-e', script], { env, timeout: 60_000 });
  return Number(stdout);
}

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
    const figures: Record<string, string | number> = { 'osls package (s)': ((Date.now() - started) / 1000).toFixed(1) };

    for (const fn of FUNCTIONS) {
      const dir = join(out, fn);
      await mkdir(dir, { recursive: true });
      await exec('unzip', ['-q', join(packaged, `${fn}.zip`), '-d', dir]);
      const files = (await readdir(join(dir, 'functions'))).filter((f) => f.endsWith('.mjs'));
      let bundleBytes = 0;
      for (const f of files) bundleBytes += (await stat(join(dir, 'functions', f))).size;
      const entry = join(dir, 'functions', `${fn}.mjs`);
      const unresolved = await foreignImports(entry);
      if (unresolved.length) throw new Error(`${fn}: the bundle imports ${unresolved.join(', ')}, which the Lambda runtime does not have`);
      const env = { PATH: process.env['PATH'] ?? '', HOME: dir, AWS_REGION: 'eu-west-1', LEAKHOUND_CONFIG: join(dir, 'leakhound.example.yml') };
      const times: number[] = [];
      for (let i = 0; i < RUNS; i++) times.push(await importTime(entry, env));
      const zipBytes = (await stat(join(packaged, `${fn}.zip`))).size;
      const ms = median(times);
      figures[`${fn}: bundle (MB)`] = `${(bundleBytes / MB).toFixed(2)}${bundleBytes > 1.5 * MB ? '  (over 1.5 MB target)' : ''}`;
      figures[`${fn}: zip (MB)`] = (zipBytes / MB).toFixed(2);
      figures[`${fn}: cold import median of ${RUNS} (ms)`] = `${ms.toFixed(0)}${ms > 300 ? '  (over 300 ms target)' : ''}  [min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)}]`;
    }
    return figures;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
