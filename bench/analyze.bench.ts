// `npm run bench analyze`: `leakhound analyze` on a runtime-truncated 64 MiB debug=2 dump from the
// real Go service (≥ 60k goroutines parked on the pool), against Debian's panicparse on the
// same file. Wall time and peak RSS come from GNU time around each whole command.
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findLeaks, readDump } from '../lib/goroutines/index.ts';
import { makeBigDump } from './make-big-dump.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const TIME = '/usr/bin/time';

interface Measured {
  seconds: number;
  maxRssKb: number;
  stdout: string;
}

function timed(argv: string[]): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn(TIME, ['-f', '%e %M', ...argv], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = stderr.trim().split('\n').pop() ?? '';
      const [s, kb] = last.split(' ').map(Number);
      if (code !== 0 || !Number.isFinite(s)) return reject(new Error(`${argv.join(' ')} failed (${code}): ${stderr.slice(-500)}`));
      resolve({ seconds: s!, maxRssKb: kb!, stdout });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(): Promise<Record<string, string | number>> {
  if (!existsSync(TIME)) throw new Error(`${TIME} missing: apt-get install time`);
  const path = process.env.LEAKHOUND_BIG_DUMP ?? join(tmpdir(), 'leakhound-bench', 'big-debug2.txt');
  if (!existsSync(path)) {
    await mkdir(join(path, '..'), { recursive: true });
    console.log(`  generating ${path} from the Go service (about 15 s)...`);
    await makeBigDump(path);
  }
  const bytes = statSync(path).size;
  spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { stdio: 'inherit' });

  // In-process reading speed, without Node start-up.
  const t0 = performance.now();
  const dump = await readDump(createReadStream(path, { highWaterMark: 256 << 10 }));
  const inProcessSeconds = (performance.now() - t0) / 1000;
  const findings = findLeaks(dump);

  const runs: Measured[] = [];
  for (let i = 0; i < 5; i++) runs.push(await timed([process.execPath, 'bin/leakhound.mjs', 'analyze', '--format', 'json', path]));
  const ours = { seconds: median(runs.map((r) => r.seconds)), maxRssKb: Math.max(...runs.map((r) => r.maxRssKb)) };
  const json = JSON.parse(runs[0]!.stdout) as { goroutines: number; truncated: boolean; findings: Array<{ kind: string; count: number }> };

  const figures: Record<string, string | number> = {
    'dump file': `${path} (${bytes.toLocaleString('en-US')} bytes)`,
    'goroutines read / truncated': `${json.goroutines.toLocaleString('en-US')} / ${json.truncated}`,
    'top finding': `${findings[0]?.kind ?? 'none'} x${findings[0]?.count ?? 0}`,
    'leakhound in-process read': `${inProcessSeconds.toFixed(3)} s, ${(bytes / 1e6 / inProcessSeconds).toFixed(0)} MB/s`,
    'leakhound analyze (whole command, median of 5)': `${ours.seconds.toFixed(2)} s, ${(bytes / 1e6 / ours.seconds).toFixed(0)} MB/s`,
    'leakhound analyze peak RSS (max of 5)': `${(ours.maxRssKb / 1024).toFixed(0)} MB`,
  };
  if (spawnSync('panicparse', ['-h']).error) {
    figures['panicparse'] = 'not installed (apt-get install panicparse)';
    return figures;
  }
  const pp = await timed(['sh', '-c', `panicparse -parse=false '${path}' > /dev/null`]);
  figures['panicparse (one run)'] = `${pp.seconds.toFixed(2)} s, ${(bytes / 1e6 / pp.seconds).toFixed(0)} MB/s, peak RSS ${(pp.maxRssKb / 1024).toFixed(0)} MB`;
  figures['speed ratio (panicparse time / leakhound time)'] = `${(pp.seconds / ours.seconds).toFixed(1)}x`;
  figures['memory ratio (panicparse RSS / leakhound RSS)'] = `${(pp.maxRssKb / ours.maxRssKb).toFixed(1)}x`;
  return figures;
}
