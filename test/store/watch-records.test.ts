// The watch's records, the same suite over both implementations: memory (with its file) and
// DynamoDB on dynalite. Samples come back oldest first from a start time with a limit, expire
// with their TTL; notices are one per (service, kind); a restart mark lasts until its window ends.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoWatchStore, MemoryWatchStore, type WatchSample, type WatchStore } from '../../lib/store/index.ts';
import { startDynalite, type Dynalite } from '../support/dynalite.ts';

const T0 = Date.parse('2026-12-01T08:00:00Z');
const sample = (minute: number, leaked: number, service = 'billing-api'): WatchSample => ({
  service,
  at: new Date(T0 + minute * 60_000).toISOString(),
  leaked,
  idleInTransaction: leaked,
  oldestTransactionMs: 1000,
  idleHeld: 0,
  awaitDone: leaked,
  poolInUse: null,
  poolMax: null,
  dbInUse: 10,
  dbAvailable: 97,
  culprit: null,
});

let dynalite: Dynalite;
beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => dynalite?.close());

const kinds: Array<[string, (now: () => number) => Promise<WatchStore>]> = [
  ['memory', async (now) => new MemoryWatchStore({ now })],
  ['DynamoDB (dynalite)', async (now) => new DynamoWatchStore({ client: dynalite.client, tableName: await dynalite.newTable(), now })],
];

describe.each(kinds)('watch records: %s', (_name, make) => {
  it('keeps samples per service, oldest first, from a start time, bounded by a limit', async () => {
    let clock = T0;
    const store = await make(() => clock);
    for (let m = 0; m < 60; m += 5) await store.addSample(sample(m, m), { keep: 96, ttlSeconds: 4 * 3600 });
    await store.addSample(sample(7, 99, 'orders-api'), { keep: 96, ttlSeconds: 4 * 3600 });
    const all = await store.listSamples('billing-api', T0, 100);
    expect(all.map((s) => s.leaked)).toEqual([0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55]);
    expect((await store.listSamples('billing-api', T0 + 30 * 60_000, 100)).map((s) => s.leaked)).toEqual([30, 35, 40, 45, 50, 55]);
    // The newest `limit`, still oldest first.
    expect((await store.listSamples('billing-api', T0, 3)).map((s) => s.leaked)).toEqual([45, 50, 55]);
    expect((await store.listSamples('orders-api', T0, 10)).map((s) => s.leaked)).toEqual([99]);
    // Past their TTL they are gone, whatever the backend still holds.
    clock = T0 + 5 * 3600_000;
    expect(await store.listSamples('billing-api', T0, 100)).toEqual([]);
  });

  it('one notice per service and kind, replaced and cleared; restart marks until their window ends', async () => {
    let clock = T0;
    const store = await make(() => clock);
    const notice = { service: 'billing-api', kind: 'developing' as const, channel: 'C0BILLING', ts: '1.000001', postedAt: new Date(T0).toISOString(), updatedAt: new Date(T0).toISOString(), incidentId: null };
    expect(await store.getNotice('billing-api', 'developing')).toBeNull();
    await store.putNotice(notice, 3600);
    await store.putNotice({ ...notice, updatedAt: new Date(T0 + 60_000).toISOString() }, 3600);
    expect(await store.getNotice('billing-api', 'developing')).toEqual({ ...notice, updatedAt: new Date(T0 + 60_000).toISOString() });
    expect(await store.getNotice('billing-api', 'regression')).toBeNull();
    await store.clearNotice('billing-api', 'developing');
    expect(await store.getNotice('billing-api', 'developing')).toBeNull();

    const mark = { service: 'billing-api', incidentId: 'billing-api:db-connections-high:x', restartedAt: new Date(T0).toISOString(), culprit: 'route=/transfer', thread: { channel: 'C0BILLING', ts: '1.1' }, until: new Date(T0 + 24 * 3600_000).toISOString() };
    await store.markRestart(mark);
    expect(await store.getRestart('billing-api')).toEqual(mark);
    clock = T0 + 25 * 3600_000;
    expect(await store.getRestart('billing-api')).toBeNull();
  });

  it('refuses a malformed sample', async () => {
    const store = await make(() => T0);
    await expect(store.addSample({ ...sample(0, 1), leaked: -1 }, { keep: 10, ttlSeconds: 60 })).rejects.toThrow();
  });
});

describe('memory watch records in a file', () => {
  it('survive a new process (the CLI runs one per invocation)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'lh-watch-file-')), 'watch.json');
    const a = await MemoryWatchStore.open(file, { now: () => T0 });
    await a.addSample(sample(0, 3), { keep: 96, ttlSeconds: 3600 });
    const b = await MemoryWatchStore.open(file, { now: () => T0 });
    expect((await b.listSamples('billing-api', 0, 10)).map((s) => s.leaked)).toEqual([3]);
  });
});
