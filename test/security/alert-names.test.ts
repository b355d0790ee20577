// 10,000 random alert names (every Unicode plane, control characters, lone surrogates, 1 to
// 10,000 characters) through the three ways alerts come in — the Alertmanager and Grafana
// webhooks and CloudWatch alarms through the alarm function — into the store; 500 more into
// DynamoDB (dynalite). None maps to a service, so each becomes an "unmapped" incident named
// after the alert. Every alert must be ingested (no 4xx/5xx, no failed record), every incident id
// must stay within 128 characters, every incident must be listed, and `/leak status` must still
// answer through the real Slack handler.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseAlerts } from '../../lib/alerts/parse.ts';
import { handleAlarmEvent } from '../../lib/intake/alarm-event.ts';
import { unmappedService } from '../../lib/intake/ingest.ts';
import { memoryLog } from '../support/memory-log.ts';
import { seededRandom } from '../support/latency-store.ts';
import { SnsVerifier } from '../../lib/webhook/sns-signature.ts';
import { createWebhookApp } from '../../lib/webhook/app.ts';
import { sourceAuth } from '../../lib/webhook/source-auth.ts';
import { createSlackLambdaHandler } from '../../lib/slack/app/lambda-receiver.ts';
import { DynamoStore, MemoryStore, type Store, type UnreadableRecord } from '../../lib/store/index.ts';
import { fixture, RecordingQueue, testCatalog } from '../support/functions-harness.ts';
import { BOT_TOKEN, SIGNING_SECRET, apiGatewayEvent, commandBody } from '../support/slack-events.ts';
import { quietLogger } from '../support/slack-harness.ts';
import { startDynalite, type Dynalite } from '../support/dynalite.ts';

const NAMES = Number(process.env.NAMES ?? 10_000);
const TOKEN = 'alert-names-webhook-token-0123456789';

let dyn: Dynalite;
beforeAll(async () => {
  dyn = await startDynalite();
});
afterAll(async () => {
  await dyn?.close();
});

/** Characters that broke ids before: accented, CJK, astral, controls, bidi overrides, cut surrogate pairs. */
const AWKWARD = ['é', '接', '😀', '\u0000', '\u001b', '\u0007', '\n', '\u009b', '\u202e', '\ud83d', '\ude00', ':', '%', '#', '/', ' ', 'a'];

/**
 * Names of 1 to 10,000 characters (code points): most short, a tenth long. Characters from every
 * Unicode plane (0 to 16, lone surrogates included), C0/C1 controls, and the awkward ones above.
 * By hand rather than with fast-check: its string arbitraries spend seconds on 10,000 long strings.
 */
function alertNames(count: number, seed: number): { names: string[]; lengths: number[] } {
  const next = seededRandom(seed);
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const char = (): string => {
    const r = next();
    if (r < 0.15) return AWKWARD[int(0, AWKWARD.length - 1)]!;
    if (r < 0.25) return String.fromCodePoint(next() < 0.5 ? int(0, 0x1f) : int(0x7f, 0x9f));
    if (r < 0.6) return String.fromCodePoint(int(0x20, 0xffff));
    return String.fromCodePoint(int(0, 16) * 0x10000 + int(0, 0xffff));
  };
  const lengths: number[] = [];
  const names = Array.from({ length: count }, (_, i) => {
    const r = next();
    // The bounds themselves, then most short and a few long (long ones cost memory, not coverage).
    const length = i === 0 ? 1 : i === 1 ? 10_000 : r < 0.9 ? int(1, 200) : r < 0.98 ? int(200, 2_000) : int(2_000, 10_000);
    const chars: string[] = [];
    for (let c = 0; c < length; c++) chars.push(char());
    lengths.push(length);
    return chars.join('');
  });
  return { names, lengths };
}

/** Groups items into request bodies of at most ~200 KB (the webhook takes 256 KB). */
function batches<T>(items: readonly T[], size: (t: T) => number, max = 200_000, maxCount = 100): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = size(item);
    if (cur.length && (bytes + n > max || cur.length >= maxCount)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(item);
    bytes += n;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** An upper bound of a name's size in a JSON body (6 bytes for an escaped character), without encoding it. */
const jsonBytes = (s: string) => s.length * 6 + 2;

type Made = { store: Store; unreadable: UnreadableRecord[] };

const STORES: Array<[string, number, number, () => Promise<Made>]> = [
  // All 10,000 through the webhooks and the alarm function into the store the CLI and tests use
  // (it refuses what its reader would reject, like DynamoStore).
  ['MemoryStore', NAMES, 12, async () => ({ store: new MemoryStore(), unreadable: [] })],
  // 500 of the same kind into DynamoDB (dynalite): each write is a signed HTTP request here, so
  // ten thousand would take minutes on this machine and slow every other suite.
  [
    'DynamoStore (dynalite)',
    Math.min(NAMES, 500),
    13,
    async () => {
      const unreadable: UnreadableRecord[] = [];
      const store = new DynamoStore({ client: dyn.client, tableName: await dyn.newTable(), requestTimeoutMs: 60_000, onUnreadable: (r) => unreadable.push(r) });
      return { store, unreadable };
    },
  ],
];

it.each(STORES)('%s: %i random alert names through Alertmanager, Grafana and CloudWatch: all ingested, ids bounded, /leak status answers', { timeout: 600_000 }, async (storeName, count, seed, make) => {
  // Seeded: the same names every run (a failure reproduces); the seed is in the message.
  const { names, lengths } = alertNames(count, seed);
  expect(Math.min(...lengths)).toBe(1);
  expect(Math.max(...lengths)).toBe(10_000);

  const { store, unreadable } = await make();
  const queue = new RecordingQueue();
  const catalog = testCatalog();
  const log = memoryLog();
  const deps = { catalog, store, queue, retriageSeconds: 900, log };
  const app = createWebhookApp({
    deps: async () => ({ ...deps, auth: { alertmanager: sourceAuth(TOKEN), grafana: sourceAuth(TOKEN) }, sns: new SnsVerifier({ topicArns: [] }), confirm: async () => '' }),
    maxBodyBytes: 256 * 1024,
    log,
  });

  const bySource = { alertmanager: [] as string[], grafana: [] as string[], cloudwatch: [] as string[] };
  names.forEach((n, i) => [bySource.alertmanager, bySource.grafana, bySource.cloudwatch][i % 3]!.push(n));
  const failures: string[] = [];
  let accepted = 0;
  /** The alert names as the parsers read them (they trim, and name a nameless alert). */
  const parsedNames: string[] = [];

  const post = async (path: '/webhooks/alertmanager' | '/webhooks/grafana', payload: unknown, count: number) => {
    const parsed = parseAlerts(JSON.stringify(payload), path === '/webhooks/grafana' ? 'grafana' : 'alertmanager');
    if (parsed.ok) parsedNames.push(...parsed.alerts.map((a) => a.name));
    const res = await app.request(path, { method: 'POST', body: JSON.stringify(payload), headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` } });
    const body = (await res.json()) as { accepted?: number; error?: string };
    if (res.status !== 200 || body.accepted !== count) failures.push(`${path}: ${res.status} ${JSON.stringify(body).slice(0, 200)} (seed ${seed})`);
    accepted += body.accepted ?? 0;
  };
  const startsAt = new Date().toISOString();
  for (const group of batches(bySource.alertmanager, jsonBytes)) {
    await post('/webhooks/alertmanager', { version: '4', status: 'firing', receiver: 'leakhound', alerts: group.map((alertname) => ({ status: 'firing', labels: { alertname }, annotations: {}, startsAt })) }, group.length);
  }
  const grafana = fixture('grafana-unified-mixed.json');
  for (const group of batches(bySource.grafana, jsonBytes)) {
    await post('/webhooks/grafana', { ...grafana, status: 'firing', alerts: group.map((alertname, i) => ({ status: 'firing', labels: { alertname }, annotations: {}, startsAt, endsAt: '0001-01-01T00:00:00Z', fingerprint: `${i}` })) }, group.length);
  }
  const sns = fixture('sns-rds-connections-alarm.json') as { Records: Array<{ Sns: Record<string, unknown> }> };
  const template = sns.Records[0]!;
  const alarm = JSON.parse(String(template.Sns['Message'])) as Record<string, unknown>;
  const trigger = { ...(alarm['Trigger'] as Record<string, unknown>), Dimensions: [{ name: 'DBInstanceIdentifier', value: 'no-such-database' }] };
  for (const group of batches(bySource.cloudwatch, jsonBytes, 200_000, 10)) {
    const event = {
      Records: group.map((AlarmName) => ({
        ...template,
        Sns: { ...template.Sns, MessageId: randomUUID(), Message: JSON.stringify({ ...alarm, AlarmName, AlarmArn: `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${randomUUID()}`, Trigger: trigger }) },
      })),
    };
    const parsed = parseAlerts(event, 'cloudwatch-sns');
    if (parsed.ok) parsedNames.push(...parsed.alerts.map((a) => a.name));
    try {
      const r = await handleAlarmEvent(event, deps);
      if (r.bad || r.routes.length !== group.length) failures.push(`cloudwatch: ${r.bad} bad, ${r.routes.length} routes of ${group.length} (seed ${seed})`);
      accepted += r.routes.length;
    } catch (err) {
      failures.push(`cloudwatch: ${(err as Error).message.slice(0, 200)} (seed ${seed})`);
    }
  }

  expect(failures.length, failures.slice(0, 5).join("\n")).toBe(0);
  expect(accepted).toBe(count);

  // Every alert is an open incident of its own unmapped service, readable, its id bounded.
  const open = await store.listOpenIncidents();
  expect(unreadable).toEqual([]);
  expect(parsedNames).toHaveLength(count);
  expect(new Set(open.map((i) => i.service))).toEqual(new Set(parsedNames.map(unmappedService)));
  expect(Math.max(...open.map((i) => i.id.length))).toBeLessThanOrEqual(128);
  expect(open.reduce((n, i) => n + i.alarmCount, 0)).toBe(count);

  // /leak status through the real Slack handler, on the same store.
  const slack = createSlackLambdaHandler({ signingSecret: SIGNING_SECRET, token: BOT_TOKEN, store, queue, catalog, slackApiUrl: 'http://127.0.0.1:9/api/', logger: quietLogger(), listenerBudgetMs: 60_000 });
  const res = await slack(apiGatewayEvent(commandBody('status')), {});
  expect(res.statusCode).toBe(200);
  expect(String(res.body)).toContain(`${open.length} open incidents`);
  console.log(`alert names, ${storeName}: ${count} fuzzed (seed ${seed}, ${Math.min(...lengths)} to ${Math.max(...lengths)} characters), ${accepted} ingested, ${open.length} open incidents, longest id ${Math.max(...open.map((i) => i.id.length))} characters; /leak status answered ${res.statusCode}`);
});
