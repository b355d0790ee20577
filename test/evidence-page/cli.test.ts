// `leakhound analyze --html <out>`: the stacks of the dumps given, as one page, beside the usual output.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

const fixture = fileURLToPath(new URL('../fixtures/dumps/go119-debug2.txt', import.meta.url));

describe('leakhound analyze --html', () => {
  it('writes the page (0600) and keeps stdout the analysis', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'lh-analyze-html-')), 'sub', 'page.html');
    const res = await runCli(['analyze', '--format', 'json', '--html', out, fixture]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).findings[0].kind).toBe('tx-leak');
    expect(res.stderr).toContain(`evidence page: ${out}`);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain(`<title>goroutines of ${fixture}</title>`);
    expect(html).toContain('id="stack-filter"');
    expect(html).toMatch(/<li class="culprit">main\.\(\*orderStore\)\.recent/);
  }, 60_000);
});
