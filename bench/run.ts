// `npm run bench [name...]`: runs every bench/<name>.bench.ts (or the named ones) in turn and
// prints their figures. A bench module exports `run(): Promise<Record<string, string | number>>`.
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts')).sort();
const selected = wanted.length ? files.filter((f) => wanted.includes(f.replace('.bench.ts', ''))) : files;
if (wanted.length && selected.length !== wanted.length) {
  console.error(`bench: unknown benchmark in ${wanted.join(', ')} (known: ${files.map((f) => f.replace('.bench.ts', '')).join(', ')})`);
  process.exit(2);
}
let failed = 0;
for (const file of selected) {
  const name = file.replace('.bench.ts', '');
  console.log(`\n## ${name}`);
  try {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as {
      run: () => Promise<Record<string, string | number>>;
    };
    const figures = await mod.run();
    for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(40)} ${v}`);
  } catch (err) {
    failed++;
    console.error(`  FAILED: ${err instanceof Error ? err.stack : String(err)}`);
  }
}
process.exit(failed ? 1 : 0);
