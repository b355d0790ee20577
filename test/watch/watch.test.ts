// The watch on real parts: PostgreSQL 15, the leaking Go service (billing-api) read through its
// debug=1 dumps and /metrics, Slack as a local stand-in at the wire. The Go service leaks slowly
// (a few transactions between runs) while the watch's clock moves 5 minutes per run, so hours of
// history take seconds. Then a real restart (the process replaced) and the leak coming back.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog, type Catalog } from '../../lib/catalog/index.ts';
import { createSlackClient } from '../../lib/slack/post/web-client.ts';
import { WebApiSink } from '../../lib/slack/post/sink.ts';
import { messageToText } from '../../lib/slack/render/console-text.ts';
import { MemoryStore } from '../../lib/store/memory.ts';
import { MemoryWatchStore } from '../../lib/store/watch-memory.ts';
import { markRestartHook, runWatch, type WatchDeps, type WatchRunResult } from '../../lib/watch/index.ts';
import { FakeSlack } from '../support/fake-slack.ts';
import { buildGoService, goVersion, leaks, startGoService, type GoService } from '../../lib/demo/run-goservice.ts';
import { createScratchDb, isPostgresAvailable, type ScratchDb } from '../support/scratch-db.ts';

const required = Boolean(process.env.LEAKHOUND_REQUIRE_ALL);
const [go, pgUp] = await Promise.all([goVersion(), isPostgresAvailable()]);
const BOT_TOKEN = 'xoxb-watch-test-0000000000';
const STEP_MS = 5 * 60_000;

describe.runIf(required || (go !== null && pgUp))('the watch (Go service leaking slowly + PostgreSQL 15)', () => {
  let db: ScratchDb;
  let svc: GoService;
  let slack: FakeSlack;
  const dir = mkdtempSync(join(tmpdir(), 'lh-watch-'));
  let clock = Date.now();
  const now = () => clock;
  const watchStore = new MemoryWatchStore({ now });

  async function catalogFor(url: string): Promise<Catalog> {
    const file = join(dir, 'leakhound.yml');
    writeFileSync(
      file,
      `defaults:
  slackChannel: "#incidents"
  watch: { minPoints: 6, windowHours: 2 }
services:
  - name: billing-api
    database: orders
    dumps: { sources: [ { http: { urls: ["${url}"] } } ] }
    slackChannel: "#billing"
    # The shared test server's free slots vary with the other suites: a wide horizon keeps the
    # projection inside it whatever they hold.
    watch: { horizonHours: 72 }
  - name: quiet-api
    database: orders
    slackChannel: "#quiet"
  - name: nightly-batch
    database: orders
    watch: false
databases:
  orders: { engine: postgres, url: { env: WATCH_DATABASE_URL } }
`,
    );
    const loaded = await loadCatalog(file, { WATCH_DATABASE_URL: db.url });
    if (!loaded.ok) throw loaded.error;
    return loaded.catalog;
  }

  const deps = async (): Promise<WatchDeps> => ({
    catalog: await catalogFor(svc.url),
    store: watchStore,
    sink: new WebApiSink(createSlackClient(BOT_TOKEN, { slackApiUrl: slack.apiUrl, timeoutMs: 5_000 }), { secrets: [BOT_TOKEN] }),
    gather: { env: { WATCH_DATABASE_URL: db.url } },
    now,
  });

  /** One scheduled run, `STEP_MS` after the last one. */
  async function tick(): Promise<WatchRunResult> {
    clock += STEP_MS;
    return runWatch(await deps(), { minAgeMs: 0, deadline: Date.now() + 20_000 });
  }
  const saidOf = (r: WatchRunResult, service: string) => r.outcomes.find((o) => o.service === service)?.said;

  beforeAll(async () => {
    if (!go) throw new Error('LEAKHOUND_REQUIRE_ALL is set but the Go toolchain is missing');
    if (!pgUp) throw new Error('LEAKHOUND_REQUIRE_ALL is set but PostgreSQL is not reachable on 127.0.0.1:5432');
    await buildGoService();
    [db, slack] = await Promise.all([createScratchDb({ applicationName: 'billing-api' }), new FakeSlack().start()]);
    svc = await startGoService({ dsn: db.dsn, maxOpen: 60 });
  }, 180_000);

  afterAll(async () => {
    await svc?.stop();
    await db?.drop();
    await slack?.stop();
  });

  it('stays quiet while flat, then posts one "leak developing" message and updates it', async () => {
    // Flat and noise-free at zero: six runs, nothing said.
    for (let i = 0; i < 6; i++) {
      const r = await tick();
      expect(saidOf(r, 'billing-api')).toBe('nothing');
    }
    expect(slack.callsTo('chat.postMessage')).toHaveLength(0);

    // A slow leak: two or three transactions between runs (never a straight line).
    const results: WatchRunResult[] = [];
    for (let i = 0; i < 8; i++) {
      for (let k = 0; k < (i % 2 === 0 ? 2 : 3); k++) await leaks.transfer(svc);
      results.push(await tick());
    }
    const said = results.map((r) => saidOf(r, 'billing-api'));
    // Silent until the trend has enough points inside the window, then one post and updates.
    const firstPost = said.indexOf('developing-posted');
    expect(firstPost).toBeGreaterThanOrEqual(2);
    expect(said.filter((s) => s === 'developing-posted')).toHaveLength(1);
    expect(said.slice(firstPost + 1).every((s) => s === 'developing-updated')).toBe(true);

    // The wire: one top-level message in #billing, updated in place on every later run.
    const posts = slack.callsTo('chat.postMessage');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.params['channel']).toBe('#billing');
    expect(slack.callsTo('chat.update')).toHaveLength(said.length - firstPost - 1);
    const [message] = slack.topLevel();
    expect(message!.text).toMatch(/^Leak developing in billing-api: \d+ → \d+ leaked transactions in \d+ (h|min)[^;]*; max_connections in ~/);
    const last = results.at(-1)!.outcomes.find((o) => o.service === 'billing-api')!;
    if (last.said !== 'developing-updated') throw new Error('expected an update');
    expect(last.line.to).toBeGreaterThan(last.line.from);
    expect(last.line.trend!.mannKendall.pIncreasing).toBeLessThan(0.05);
    // The Report rides along: the culprit route from the dumps' pprof labels.
    expect(JSON.stringify(message!.blocks)).toMatch(/route=\/transfer/);
    expect(JSON.stringify(message!.blocks)).toMatch(/Theil–Sen slope \+\d+(\.\d)?\/h, Mann–Kendall p (&lt;|=) /);
    // LEAKHOUND_SAMPLES=<dir> keeps the message as the console shows it (what Slack displays).
    if (process.env.LEAKHOUND_SAMPLES) writeFileSync(join(process.env.LEAKHOUND_SAMPLES, 'EARLY-WARNING.txt'), `${messageToText({ text: message!.text, blocks: message!.blocks as never })}\n`);

    // Cost: the three services share one database, read once per run; the opted-out one is not read.
    for (const r of results) {
      expect(r.databaseReads).toBe(1);
      expect(r.services).toBe(2);
      expect(saidOf(r, 'quiet-api')).toBe('nothing');
      expect(r.outcomes.map((o) => o.service)).not.toContain('nightly-batch');
    }
    expect(slack.topLevel('#quiet')).toHaveLength(0);
  }, 180_000);

  it('after a restart: a leak back with the same culprit is a "regressed" note in the incident thread, updated after', async () => {
    // The incident whose restart it was: its top message is in #billing.
    const store = new MemoryStore({ now });
    const incident = (await store.recordAlarm({ service: 'billing-api', kind: 'db-connections-high', state: 'alarm', at: clock })).incident!;
    const top = await new WebApiSink(createSlackClient(BOT_TOKEN, { slackApiUrl: slack.apiUrl })).post({ channel: '#billing' }, { text: 'incident', blocks: [] });
    await store.setThread(incident.id, top);
    // The culprit as the incident's Report named it (its report.json is what the worker hands over).
    const before = (await watchStore.listSamples('billing-api', 0, 100)).at(-1)!;
    expect(before.culprit).toMatch(/route=\/transfer/);

    // The real restart: the process is replaced, its leaked sessions go with it.
    await svc.stop();
    svc = await startGoService({ dsn: db.dsn, maxOpen: 60 });
    const reportJson = JSON.stringify({ verdict: { culprit: { function: '', labels: Object.fromEntries(before.culprit!.split(' ').map((kv) => kv.split('='))) } } });
    await markRestartHook((await deps()).catalog, store, watchStore)({ service: 'billing-api', incidentId: incident.id, at: clock, reportJson });

    // Right after the restart: nothing leaked yet, nothing said in the thread.
    const quiet = await tick();
    expect(saidOf(quiet, 'billing-api')).not.toMatch(/^regression/);
    // Two hours later it leaks again from the same code.
    clock += 2 * 3_600_000 - 2 * STEP_MS;
    for (let k = 0; k < 4; k++) await leaks.transfer(svc);
    const back = await tick();
    expect(saidOf(back, 'billing-api')).toBe('regression-posted');
    const replies = [...slack.messages.values()].filter((m) => m.threadTs === top.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toMatch(/^billing-api regressed: 4 leaked transactions 2 h after the restart, same culprit \(method=POST route=\/transfer\); growing ~\d/);

    for (let k = 0; k < 3; k++) await leaks.transfer(svc);
    const later = await tick();
    expect(saidOf(later, 'billing-api')).toBe('regression-updated');
    expect([...slack.messages.values()].filter((m) => m.threadTs === top.ts)).toHaveLength(1);
    expect(slack.messages.get(`${replies[0]!.channel}:${replies[0]!.ts}`)?.text ?? [...slack.messages.values()].find((m) => m.ts === replies[0]!.ts)!.text).toMatch(/regressed: 7 leaked transactions/);
    if (process.env.LEAKHOUND_SAMPLES) {
      const note = [...slack.messages.values()].find((m) => m.threadTs === top.ts)!;
      writeFileSync(join(process.env.LEAKHOUND_SAMPLES, 'REGRESSION.txt'), `${messageToText({ text: note.text, blocks: note.blocks as never })}\n`);
    }
    // No secret at the wire.
    for (const c of slack.calls) expect(c.raw).not.toContain(BOT_TOKEN);
  }, 180_000);
});
