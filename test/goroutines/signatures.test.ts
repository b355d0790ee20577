// Signature rules on shapes the wild corpus (test/fixtures/wild) could not supply whole: older
// drivers stuck in a read for minutes, puddle v2's semaphore waiters, vendored and /vN paths.
// Hand-written from the drivers' sources; README in test/fixtures/handwritten says so.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findLeaks, readDump } from '../../lib/goroutines/index.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/handwritten/${name}`, import.meta.url));

describe('older drivers stuck in a read', async () => {
  const findings = findLeaks(await readDump(fixture('older-drivers-stuck.txt')));
  const stuck = findings.filter((f) => f.kind === 'stuck-in-query');

  it('names each caller: vendored pgx v3 rxMsg, lib/pq recvMessage, vendored mysql (*buffer).fill', () => {
    expect(stuck.map((f) => [f.culprit.function, f.count]).sort()).toEqual([
      ['github.com/acme/shop/audit.(*Archiver).Purge', 1],
      ['github.com/acme/shop/billing.(*Ledger).Close', 1],
      ['github.com/acme/shop/reports.(*Store).Monthly', 1],
    ]);
    expect(stuck.find((f) => f.culprit.function.endsWith('Monthly'))?.waitMinutes?.max).toBe(7);
  });

  it('leaves a LISTEN connection waiting for notifications alone', () => {
    expect(findings.some((f) => f.culprit.function.includes('ListenerConn') || f.culprit.function.includes('newDialListenerConn'))).toBe(false);
    expect(findings).toHaveLength(3);
  });
});

describe('puddle v2 (pgx v5) semaphore waiters', async () => {
  const findings = findLeaks(await readDump(fixture('puddle2-semaphore-waiters.txt')));

  it('counts callers parked in the semaphore under pgxpool Acquire, not the goroutine dialling', () => {
    expect(findings).toEqual([
      expect.objectContaining({ kind: 'pgx-acquire-wait', count: 2, culprit: expect.objectContaining({ function: 'example.com/shop/internal/cart.(*Repo).Items', line: 57 }) }),
    ]);
  });
});
