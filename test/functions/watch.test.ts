// functions/watch.ts: the scheduled event runs one watch over the catalog (here a real
// PostgreSQL database shared by two services, one opted out) and answers a summary; anything
// else is ignored without a read; an unconfigured function fails loudly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/watch.ts';
import { parseCatalog } from '../../lib/catalog/index.ts';
import type { SlackSink } from '../../lib/slack/post/sink.ts';
import { MemoryWatchStore } from '../../lib/store/watch-memory.ts';
import { watchContext } from '../../lib/wiring/watch-context.ts';
import { createScratchDb, isPostgresAvailable, type ScratchDb } from '../support/scratch-db.ts';

const required = Boolean(process.env.LEAKHOUND_REQUIRE_ALL);
const pgUp = await isPostgresAvailable();
const scheduled = { version: '0', id: 'evt-1', source: 'aws.events', 'detail-type': 'Scheduled Event', account: '123456789012', time: '2026-12-02T05:00:00Z', region: 'eu-west-1', resources: [], detail: {} };

describe.runIf(required || pgUp)('functions/watch', () => {
  let db: ScratchDb;
  const posted: string[] = [];
  const sink: SlackSink = {
    post: async (t, m) => (posted.push(m.text), { channel: t.channel, ts: '1.1' }),
    update: async () => undefined,
    ephemeral: async () => undefined,
    delete: async () => undefined,
    upload: async () => undefined,
  };

  beforeAll(async () => {
    db = await createScratchDb({ applicationName: 'billing-api' });
    const parsed = parseCatalog(
      `defaults: { slackChannel: "#incidents" }
databases: { orders: { engine: postgres, url: { env: ORDERS_URL } } }
services:
  - { name: billing-api, database: orders }
  - { name: nightly, database: orders, watch: false }
`,
      'watch-fn.yml',
      { env: { ORDERS_URL: db.url } },
    );
    if (!parsed.ok) throw parsed.error;
    watchContext.set({ catalog: parsed.catalog, store: new MemoryWatchStore(), sink, gather: { env: { ORDERS_URL: db.url } } });
  });
  afterAll(async () => {
    watchContext.set(null);
    await db?.drop();
  });

  it('a scheduled event runs the watch: one database read, the opted-out service skipped, nothing said on a flat start', async () => {
    const r = await handler(scheduled, { getRemainingTimeInMillis: () => 30_000 });
    if ('ignored' in r) throw new Error('expected a run');
    expect(r).toMatchObject({ services: 1, databaseReads: 1, skipped: [], problems: [], said: { nothing: 1 } });
    expect(posted).toEqual([]);
  });

  it('anything else is ignored without a read', async () => {
    expect(await handler({ Records: [] })).toEqual({ ignored: 'not an EventBridge scheduled event' });
  });
});

describe('functions/watch without configuration', () => {
  it('fails with a pointer to the log', async () => {
    watchContext.set(null);
    const saved = process.env['LEAKHOUND_CONFIG'];
    delete process.env['LEAKHOUND_CONFIG'];
    try {
      await expect(handler(scheduled)).rejects.toThrow(/leakhound watch is not configured/);
    } finally {
      if (saved !== undefined) process.env['LEAKHOUND_CONFIG'] = saved;
    }
  });
});
