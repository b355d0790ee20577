// `--html <out>` for the CLI: the same page, written to a file (0600: it may hold personal data)
// for one-off use.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export async function writePageFile(out: string, html: string): Promise<string> {
  const path = resolve(out);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, html, { mode: 0o600 });
  await rename(tmp, path);
  return path;
}

/** `report.html` for one page; `report.<service>.html` for each of several. */
export function pagePathFor(out: string, service: string | null, several: boolean): string {
  if (!several) return out;
  const safe = (service ?? 'unmapped').replace(/[^A-Za-z0-9._-]/g, '_');
  const dot = out.toLowerCase().endsWith('.html') ? out.length - 5 : out.length;
  return `${out.slice(0, dot)}.${safe}${out.slice(dot)}`;
}
