// `npm run bench page`: the evidence page of the largest dump there is — the runtime-truncated
// 64 MiB debug=2 dump of the real Go service (as `npm run bench analyze`) — and of a synthetic
// dump with 5,000 distinct stacks of 60 frames (a large, varied service). Figures: render time,
// page size, and in headless Chromium the load time and the time to apply a stack filter.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderEvidencePage } from '../lib/evidence-page/index.ts';
import { findLeaks, readDump, type Dump } from '../lib/goroutines/index.ts';
import { launchChromium } from '../test/support/chromium.ts';
import { makeBigDump } from './make-big-dump.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function syntheticDump(groups: number, frames: number): Dump {
  const gs: Dump['groups'] = Array.from({ length: groups }, (_, i) => ({
    key: `k${i}`,
    count: 1 + ((groups - i) % 97),
    states: { select: 1 + ((groups - i) % 97) },
    waitMinutes: { min: 1, median: 3, max: 40 },
    frames: Array.from({ length: frames }, (_, j) => ({
      function: j % 3 === 0 ? `github.com/acme/svc/pkg${i % 40}.(*handler${i}).step${j}` : `net/http.(*conn).serve${j}`,
      file: `/src/pkg${i % 40}/file${j}.go`,
      line: 10 + j,
    })),
    createdBy: { function: 'net/http.(*Server).Serve', file: '/usr/lib/go/src/net/http/server.go', line: 3102 },
    ancestry: [],
    labels: { route: `/r${i % 50}` },
    lockedToThread: 0,
  }));
  return { format: 'debug2', goroutines: gs.reduce((n, g) => n + g.count, 0), declaredTotal: null, truncated: false, groups: gs, preamble: null, bytes: 0 };
}

export async function run(): Promise<Record<string, string | number>> {
  const path = process.env.LEAKHOUND_BIG_DUMP ?? join(tmpdir(), 'leakhound-bench', 'big-debug2.txt');
  if (!existsSync(path)) {
    await mkdir(join(path, '..'), { recursive: true });
    console.log(`  generating ${path} from the Go service (about 15 s)...`);
    await makeBigDump(path);
  }
  const big = await readDump(createReadStream(path, { highWaterMark: 256 << 10 }));
  const cases: Array<{ name: string; dump: Dump; bytes: number }> = [
    { name: `64 MiB Go dump (${big.goroutines.toLocaleString('en-US')} goroutines, ${big.groups.length} groups)`, dump: big, bytes: statSync(path).size },
    { name: 'synthetic 5,000 stacks x 60 frames', dump: syntheticDump(5000, 60), bytes: 0 },
  ];
  const dir = await mkdtemp(join(tmpdir(), 'lh-page-bench-'));
  const browser = await launchChromium();
  const figures: Record<string, string | number> = {};
  try {
    for (const [i, c] of cases.entries()) {
      const t0 = performance.now();
      const html = renderEvidencePage({ report: null, title: c.name, replicas: [{ replica: 'bench', address: null, capturedAt: null, dump: c.dump }] });
      const renderMs = performance.now() - t0;
      void findLeaks(c.dump);
      const file = join(dir, `page-${i}.html`);
      await writeFile(file, html);
      const loads: number[] = [];
      const filters: number[] = [];
      for (let run = 0; run < 3; run++) {
        const tab = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
        const start = Date.now();
        await tab.goto(pathToFileURL(file).href, { waitUntil: 'load' });
        // Until the first paint of the whole document (layout included), from navigation start.
        await tab.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
        loads.push(Date.now() - start);
        // One filter keystroke: the handler's pass over the groups plus the layout it causes.
        filters.push(
          await tab.evaluate(() => {
            const input = document.getElementById('stack-filter') as HTMLInputElement;
            const t = performance.now();
            input.value = 'awaitdone';
            input.dispatchEvent(new Event('input'));
            void document.body.offsetHeight;
            return performance.now() - t;
          }),
        );
        await tab.close();
      }
      const label = c.name;
      figures[`${label}: render`] = `${renderMs.toFixed(0)} ms`;
      figures[`${label}: page size`] = `${(Buffer.byteLength(html) / 1024).toFixed(0)} KiB${c.bytes ? ` (from ${(c.bytes / 1048576).toFixed(0)} MiB of dump)` : ''}`;
      figures[`${label}: Chromium load (median of 3)`] = `${median(loads)} ms`;
      figures[`${label}: filter "awaitdone" (median of 3)`] = `${median(filters).toFixed(1)} ms`;
    }
  } finally {
    await browser.close();
  }
  return figures;
}
