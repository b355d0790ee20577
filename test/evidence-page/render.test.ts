// The page itself, without a browser: escaping of everything a dump or the database may carry,
// redaction, the CSP, nothing external, the culprit marked, and the bounds that keep it small.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderEvidencePage, PAGE_CSP } from '../../lib/evidence-page/index.ts';
import { readDump, type Dump } from '../../lib/goroutines/index.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/dumps/${name}`, import.meta.url));
const EVIL = `<img src=x onerror=alert(1)>"'</script><script>alert(2)</script>`;
const TOKEN = 'ghp_' + 'Zq7PageSecret'.repeat(3);

/** A debug=1 dump whose function names, file paths and labels are hostile. */
function hostileDump(): string {
  return `goroutine profile: total 3
3 @ 0x1 0x2
# labels: {"route":"${EVIL.replace(/"/g, '\\"')}", "token":"${TOKEN}"}
#\t0x1\tdatabase/sql.(*Tx).awaitDone+0x1\t/usr/lib/go/src/database/sql/sql.go:2187
#\t0x2\tmain.evil<script>alert(3)</script>+0x1\t/src/<b>bold</b>.go:7
`;
}

describe('evidence page', () => {
  it('escapes every text from a dump and redacts credentials; the CSP forbids anything but inline and data:', async () => {
    const dump = await readDump(hostileDump());
    const html = renderEvidencePage({ report: null, title: EVIL, replicas: [{ replica: EVIL, address: null, capturedAt: null, dump }] });
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${PAGE_CSP}">`);
    expect(PAGE_CSP).toBe("default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:");
    // Exactly one script element (ours) and no element, handler or URL from the data.
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/<img|<b>bold|<script>alert/);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&lt;/script&gt;');
    expect(html).toContain('main.evil&lt;script&gt;alert(3)&lt;/script&gt;');
    expect(html).not.toContain(TOKEN);
    expect(html).toContain('[redacted]');
    // Nothing is fetched: no external src or href.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('marks the culprit frame, folds library frames and orders leaks first', async () => {
    const dump = await readDump(fixture('go119-debug2.txt'));
    const html = renderEvidencePage({ report: null, replicas: [{ replica: 'r1', address: null, capturedAt: null, dump }] });
    // The starving caller's own application frame is the culprit of the pool-exhausted group.
    expect(html).toMatch(/<li class="culprit">main\.\(\*orderStore\)\.recent <i>billing-api\/store\.go:24<\/i>/);
    expect(html).toMatch(/<details class="fold"><summary>2 library\/runtime frames: database\/sql\.\(\*DB\)\.query/);
    const first = html.indexOf('class="group sg');
    expect(html.slice(first, first + 200)).toMatch(/group sg leak/);
    expect(html).toContain('class="signature">database/sql.(*Tx).awaitDone');
  });

  it('stays bounded: the first groups in full, then one line each, then a count; frames capped', async () => {
    // 2,000 distinct stacks of 100 frames each.
    const groups: Dump['groups'] = Array.from({ length: 2000 }, (_, i) => ({
      key: `k${i}`,
      count: 2000 - i,
      states: { select: 2000 - i },
      waitMinutes: null,
      frames: Array.from({ length: 100 }, (_, j) => ({ function: `main.f${i}_${j}`, file: `/src/f${i}.go`, line: j + 1 })),
      createdBy: null,
      ancestry: [],
      labels: {},
      lockedToThread: 0,
    }));
    const dump: Dump = { format: 'debug2', goroutines: groups.reduce((n, g) => n + g.count, 0), declaredTotal: null, truncated: true, groups, preamble: null, bytes: 64 << 20 };
    const html = renderEvidencePage({ report: null, replicas: [{ replica: 'r1', address: null, capturedAt: null, dump }], limits: { groups: 50, framesPerStack: 20, summarisedGroups: 100 } });
    expect(html.match(/class="group sg/g)).toHaveLength(50);
    expect(html.match(/<tr class="sg"/g)).toHaveLength(100);
    expect(html).toContain('… 80 more frames');
    expect(html).toContain('1850 more groups');
    expect(html).toContain('the dump was cut');
    expect(html.length).toBeLessThan(1_000_000);
  });
});
