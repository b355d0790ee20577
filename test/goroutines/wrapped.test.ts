// The same dump, in every wrapper it is found in (log prefixes, pastes, test output, gzip),
// must read to the same stacks and findings as the file the runtime wrote.
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { findLeaks, readDump, type Dump } from '../../lib/goroutines/index.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/dumps/${name}`, import.meta.url), 'utf8');

const lines = (text: string) => text.replace(/\n$/, '').split('\n');
const each = (text: string, f: (line: string, i: number) => string) => lines(text).map(f).join('\n') + '\n';
const stamp = (i: number) => `2026-03-0${1 + (i % 3)}T12:32:${String(10 + (i % 50)).padStart(2, '0')}.${'123456789'.slice(0, 1 + (i % 9))}Z`;

const WRAPPERS: Record<string, (text: string) => string | Buffer> = {
  'journald': (t) => each(t, (l, i) => `Jun ${i % 2 ? ' 5' : '15'} 12:32:1${i % 10} web-1 billing-api[${1234}]: ${l}`),
  'kubectl logs --timestamps': (t) => each(t, (l, i) => `${stamp(i)} ${l}`),
  'CRI log file': (t) => each(t, (l, i) => `${stamp(i)} stderr F ${l}`),
  'docker json-file': (t) => each(t, (l, i) => JSON.stringify({ log: `${l}\n`, stream: 'stderr', time: stamp(i) })),
  'CloudWatch Logs export (tab)': (t) => each(t, (l, i) => `${stamp(i)}\t${l}`),
  'docker compose': (t) => each(t, (l) => `billing-api-1  | ${l}`),
  'spaces for tabs (4)': (t) => t.replace(/\t/g, '    '),
  'spaces for tabs (8), CRLF': (t) => t.replace(/\t/g, '        ').replace(/\n/g, '\r\n'),
  'markdown code block (indented 4)': (t) => each(t.replace(/\t/g, '    '), (l) => `    ${l}`),
  'go test t.Error output': (t) => `=== RUN   TestLeak\n    leak_test.go:31: found unexpected goroutines:\n` + each(t, (l) => `        ${l}`) + `--- FAIL: TestLeak (0.52s)\nFAIL\n`,
  'gzipped text': (t) => gzipSync(Buffer.from(t)),
  'logs before and after': (t) => `2026/03/01 12:00:00 listening on :8080\n2026/03/01 12:30:00 GET /orders 504\n${t}\n2026/03/01 12:31:00 restarting\n`,
};

function shape(d: Dump) {
  return {
    goroutines: d.goroutines,
    truncated: d.truncated,
    groups: d.groups.map((g) => ({ count: g.count, frames: g.frames, labels: g.labels, createdBy: g.createdBy })).sort((a, b) => JSON.stringify(a) < JSON.stringify(b) ? -1 : 1),
  };
}

for (const file of ['go119-debug2.txt', 'go119-sigquit.txt', 'go119-debug1.txt', 'go119-ancestors-debug2.txt']) {
  describe(`${file} in the wild`, async () => {
    const original = fixture(file);
    const plain = await readDump(original);
    const findings = findLeaks(plain);
    it('is itself read without loss', () => {
      expect(plain.truncated).toBe(false);
      expect(findings.length).toBeGreaterThan(0);
      // the tabwriter's padding never reaches a file name
      for (const g of plain.groups) for (const f of g.frames) expect(f.file).not.toMatch(/^\s/);
      expect(plain.groups.flatMap((g) => g.frames).every((f) => f.line > 0)).toBe(true);
    });
    for (const [name, wrap] of Object.entries(WRAPPERS)) {
      it(`reads the same stacks and findings behind: ${name}`, async () => {
        const dump = await readDump(wrap(original));
        expect(shape(dump)).toEqual(shape(plain));
        expect(findLeaks(dump)).toEqual(findings);
      });
    }
  });
}

describe('debug=1 excerpts', () => {
  it('reads records without the "goroutine profile: total" header, as an excerpt', async () => {
    const text = fixture('go119-debug1.txt');
    const excerpt = text.slice(text.indexOf('\n') + 1);
    const dump = await readDump(excerpt);
    expect(dump.format).toBe('debug1');
    expect(dump.declaredTotal).toBeNull();
    expect(dump.goroutines).toBe((await readDump(text)).goroutines);
    expect(findLeaks(dump)).toEqual(findLeaks(await readDump(text)));
  });

  it('counts a frameless record, so a complete file is not called truncated', async () => {
    const dump = await readDump('goroutine profile: total 3\n2 @ 0x43a5d6 0x46e2c1\n#\t0x46e2c0\tmain.worker+0x20\t/src/main.go:12\n\n1 @ 0x0\n\n');
    expect(dump.goroutines).toBe(3);
    expect(dump.truncated).toBe(false);
  });
});
