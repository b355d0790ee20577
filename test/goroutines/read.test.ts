import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DumpFormatError, findLeaks, readDump, RUNTIME_DEBUG2_CAP, type Dump } from '../../lib/goroutines/index.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/handwritten/${name}`, import.meta.url));
const groupWith = (dump: Dump, fn: string) => dump.groups.filter((g) => g.frames.some((f) => f.function === fn));

describe('traceback (SIGQUIT, Go 1.26 forms)', async () => {
  const dump = await readDump(fixture('go126-sigquit.txt'));

  it('reads the preamble and every user goroutine', () => {
    expect(dump.format).toBe('traceback');
    expect(dump.preamble?.split('\n')[0]).toBe('SIGQUIT: quit');
    // goroutine 0 shows only (hidden) runtime frames; it is still a goroutine of the dump
    expect(dump.goroutines).toBe(9);
    expect(dump.truncated).toBe(false);
  });

  it('parses gp=/m=/mp=, wait minutes, locked to thread, generics, inlined and elided frames', () => {
    const [waiter] = groupWith(dump, 'database/sql.(*DB).conn');
    expect(waiter).toBeDefined();
    expect(waiter!.waitMinutes).toEqual({ min: 3, median: 3, max: 3 });
    expect(waiter!.lockedToThread).toBe(1);
    expect(waiter!.frames.map((f) => f.function)).toContain('billing/store.List[...]');
    expect(waiter!.frames.find((f) => f.function === 'billing/store.List[...]')).toMatchObject({ file: '/src/billing/store/generic.go', line: 22 });
    expect(waiter!.createdBy).toMatchObject({ function: 'net/http.(*Server).Serve', line: 3454 });
  });

  it('strips (scan) and (durable), keeps (leaked), ignores synctest bubbles and register dumps', () => {
    const states = dump.groups.flatMap((g) => Object.keys(g.states));
    expect(states).toContain('select');
    expect(states).toContain('chan send (leaked)');
    expect(states).toContain('chan receive');
    expect(states.some((s) => s.includes('(scan)') || s.includes('(durable)') || s.includes('bubble'))).toBe(false);
    expect(dump.groups.flatMap((g) => g.frames).some((f) => f.function.startsWith('rax'))).toBe(false);
  });

  it('counts a goroutine running on another thread by its creator', () => {
    const running = dump.groups.find((g) => g.states['running'] === 1 && g.frames.length === 0);
    expect(running?.createdBy?.function).toBe('net/http.(*Server).Serve');
  });

  it('finds the tx leak without naming a culprit it cannot know, and the pool waiter', () => {
    const findings = findLeaks(dump);
    expect(findings[0]).toMatchObject({ kind: 'tx-leak', count: 2, confidence: 'low' });
    expect(findings[0]!.culprit).toMatchObject({ evidence: 'creator', function: 'database/sql.(*DB).beginDC' });
    expect(findings[0]!.waitMinutes).toMatchObject({ min: 41, max: 42 });
    const pool = findings.find((f) => f.kind === 'pool-exhausted');
    expect(pool).toMatchObject({ count: 1, culprit: { function: 'billing/store.List[...]', evidence: 'app-frame' } });
    // background workers are never findings
    expect(findings.some((f) => f.culprit.function.includes('connectionOpener'))).toBe(false);
    // the goroutine the runtime proved leaked (Go 1.26 `(leaked)` state) is a confirmed leak of its own
    const leaked = findings.find((f) => f.kind === 'goroutine-leak');
    expect(leaked).toMatchObject({ count: 1, proved: 1, confidence: 'high', culprit: { function: 'main.(*api).fanout.func1', evidence: 'app-frame' } });
    expect(findings).toHaveLength(3);
  });
});

describe('debug=2 with label suffixes (Go 1.27 tracebacklabels)', async () => {
  const dump = await readDump(fixture('go127-labels-debug2.txt'));
  const findings = findLeaks(dump);

  it('groups by stack plus labels and names routes', () => {
    expect(dump.format).toBe('debug2');
    const tx = findings.filter((f) => f.kind === 'tx-leak');
    expect(tx.map((f) => [f.count, f.culprit.labels['route'], f.confidence, f.culprit.evidence])).toEqual([
      [2, '/transfer', 'high', 'labels'],
      [1, '/refund', 'high', 'labels'],
    ]);
    expect(tx[0]!.culprit.labels).toEqual({ method: 'POST', route: '/transfer' });
    expect(tx[0]!.waitMinutes).toEqual({ min: 5, median: 5, max: 7 }); // lower median of two
  });

  it('reports pgxpool waiters by their application frame and labels', () => {
    const pgx = findings.find((f) => f.kind === 'pgx-acquire-wait');
    expect(pgx?.culprit).toMatchObject({ function: 'example.com/shop/internal/cart.(*Repo).Items', line: 57, labels: { route: '/checkout' } });
  });

  it('counts an unread response body but not an idle keep-alive connection', () => {
    const body = findings.filter((f) => f.kind === 'http-body-leak');
    expect(body).toHaveLength(1);
    expect(body[0]!.count).toBe(1);
  });

  it('never reports the dumping goroutine itself', () => {
    expect(findings.some((f) => f.culprit.function.includes('pprof'))).toBe(false);
  });
});

describe('panic with traceback ancestors (GODEBUG=tracebackancestors)', async () => {
  const dump = await readDump(fixture('go119-panic-ancestors.txt'));

  it('keeps the panic message and names the code that opened the transaction from the ancestry', () => {
    expect(dump.preamble).toMatch(/^panic: runtime error: invalid memory address/);
    const [tx] = findLeaks(dump);
    expect(tx).toMatchObject({ kind: 'tx-leak', count: 2, confidence: 'high' });
    expect(tx!.culprit).toMatchObject({ function: 'main.(*api).transfer', file: '/src/billing/handlers.go', line: 51, evidence: 'app-frame' });
  });
});

describe('debug=1', async () => {
  const dump = await readDump(fixture('debug1-labels.txt'));

  it('reads counts, labels and tab-separated frames, and infers states from runtime frames', () => {
    expect(dump.format).toBe('debug1');
    expect(dump.declaredTotal).toBe(9);
    expect(dump.goroutines).toBe(9);
    expect(dump.truncated).toBe(false);
    const [tx] = dump.groups;
    expect(tx).toMatchObject({ count: 4, labels: { method: 'POST', route: '/transfer' }, states: { select: 4 } });
    expect(tx!.frames[0]).toEqual({ function: 'database/sql.(*Tx).awaitDone', file: '/usr/lib/go-1.19/src/database/sql/sql.go', line: 2175 });
  });

  it('classifies like debug=2', () => {
    const findings = findLeaks(dump);
    expect(findings.map((f) => [f.kind, f.count, f.culprit.labels['route'] ?? f.culprit.function])).toEqual([
      ['tx-leak', 4, '/transfer'],
      ['pool-exhausted', 3, 'main.(*api).listOrders'],
    ]);
  });

  it('gives the same group keys as the same stacks in debug=2', async () => {
    const d2 = await readDump(
      [
        'goroutine 7 [select, 2 minutes]:',
        'database/sql.(*Tx).awaitDone(0xc0001d8000)',
        '\t/usr/lib/go-1.19/src/database/sql/sql.go:2175 +0x6a',
        'created by database/sql.(*DB).beginDC',
        '\t/usr/lib/go-1.19/src/database/sql/sql.go:1894 +0x1b2',
        '',
      ].join('\n'),
    );
    const d1 = await readDump(fixture('debug1-labels.txt').toString().replace('# labels: {"method":"POST", "route":"/transfer"}\n', ''));
    expect(d1.groups.map((g) => g.key)).toContain(d2.groups[0]!.key);
  });
});

describe('truncation and streaming', () => {
  const block = (id: number) =>
    [
      `goroutine ${id} [select, 3 minutes]:`,
      'database/sql.(*DB).conn(0xc000120d00, {0x6c4a10, 0xc00019e0f0}, 0x1)',
      '\t/usr/lib/go-1.19/src/database/sql/sql.go:1324 +0x4ad',
      'main.(*api).listOrders(0xc0000a6080, {0x6c3e68, 0xc0001ce000}, 0xc0001c2000)',
      '\t/src/billing/handlers.go:88 +0x65',
      'created by net/http.(*Server).Serve',
      '\t/usr/lib/go-1.19/src/net/http/server.go:3089 +0x5ed',
      '',
      '',
    ].join('\n');

  it('drops a goroutine cut mid-line and says the dump is truncated', async () => {
    const text = block(1) + block(2) + block(3).slice(0, 120);
    const dump = await readDump(text);
    expect(dump.truncated).toBe(true);
    expect(dump.goroutines).toBe(2);
  });

  it('treats a dump of exactly 64 MiB as cut by the runtime, even at a line end, reading it in chunks', async () => {
    const one = Buffer.from(block(1));
    const copies = Math.ceil(RUNTIME_DEBUG2_CAP / one.length) + 1;
    const big = Buffer.alloc(one.length * copies);
    for (let i = 0; i < copies; i++) one.copy(big, i * one.length);
    const cut = big.subarray(0, RUNTIME_DEBUG2_CAP);
    const chunks = Readable.from((function* () {
      for (let o = 0; o < cut.length; o += 1 << 20) yield cut.subarray(o, o + (1 << 20));
    })());
    const dump = await readDump(chunks);
    expect(dump.truncated).toBe(true);
    expect(dump.bytes).toBe(RUNTIME_DEBUG2_CAP);
    expect(dump.groups).toHaveLength(1);
    expect(dump.goroutines).toBe(Math.floor(RUNTIME_DEBUG2_CAP / one.length));
  });

  it('stops at maxBytes and reports truncation', async () => {
    const dump = await readDump(block(1) + block(2) + block(3), { maxBytes: one_and_a_half(block(1)) });
    expect(dump.truncated).toBe(true);
    expect(dump.goroutines).toBe(1);
  });

  it('reads a complete dump without a final newline as complete', async () => {
    const dump = await readDump((block(1) + block(2)).trimEnd());
    expect(dump.truncated).toBe(false);
    expect(dump.goroutines).toBe(2);
  });
});

function one_and_a_half(s: string): number {
  return Math.floor(Buffer.byteLength(s) * 1.5);
}

describe('unreadable input', () => {
  it.each([
    ['empty', ''],
    ['html', '<html><body>502 Bad Gateway</body></html>\n'],
    ['json', '{"error":"not found"}'],
  ])('%s input is a DumpFormatError with a reason', async (_name, text) => {
    await expect(readDump(text)).rejects.toBeInstanceOf(DumpFormatError);
  });

  it('garbage gzip is a DumpFormatError', async () => {
    await expect(readDump(Buffer.from([0x1f, 0x8b, 1, 2, 3, 4, 5]))).rejects.toThrow(/gzip/);
  });
});
