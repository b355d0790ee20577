// Faults end to end: one alarm for four services while everything around them misbehaves, and
// the real worker still puts each triage in Slack by its deadline, naming every gap:
//   billing-api  PostgreSQL full for its role (53300, CONNECTION LIMIT), replicas that hang,
//                trickle, answer garbage, 500 or 500 MB, one whose name does not resolve, and a
//                Kubernetes API that answers 403 to the pod list
//   ledger       MariaDB full for its user (1226, MAX_USER_CONNECTIONS)
//   orders-api   PostgreSQL down (connection refused)
//   search-api   a database host that does not resolve (.invalid)
// with DynamoDB (dynalite) throttling some requests (ProvisionedThroughputExceededException,
// injected below the SDK's retries) and Slack answering 5xx. Then: a restart job whose
// Kubernetes PATCH first meets 409 and whose report to Slack fails until the job is retried
// restarts once; and a top message the store could not record (throttled past the SDK's
// retries) is taken back, so the incident keeps one top message, not two.
import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import mysql from 'mysql2';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalog } from '../../lib/catalog/parse.ts';
import type { Catalog } from '../../lib/catalog/model.ts';
import { KubernetesExecutor, RESTARTED_AT_ANNOTATION } from '../../lib/remediation/kubernetes.ts';
import { handleAlarmEvent } from '../../lib/intake/alarm-event.ts';
import { memoryLog } from '../support/memory-log.ts';
import { messageToText } from '../../lib/slack/render/console-text.ts';
import { DynamoStore } from '../../lib/store/dynamo.ts';
import { replicaRoutes, startServer, type TestServer } from '../support/dump-targets.ts';
import { deployment, startFakeKube, status, type FakeKube } from '../support/fake-kube.ts';
import { startEmbeddedPostgres, type RunningPostgres } from '../../lib/localdb/embedded-postgres.ts';
import { assertAvailable, MARIADB_URL, mysqlReachable, skipUnless, uniqueSuffix, withCredentials } from '../support/db-sessions.ts';
import { channelId, FakeSlack, type RecordedCall } from '../support/fake-slack.ts';
import { startDynalite, type Dynalite } from '../support/dynalite.ts';
import { snsAlarm, startWorker } from '../support/reliability-harness.ts';

const myUp = await mysqlReachable(MARIADB_URL);
// Generous enough that a machine at load 12 (2 cores, other suites) still answers a fast replica within a
// target's timeout: the test is about every gap being named by the deadline, not about speed.
const DEADLINE_S = 5;
const DEPLOYMENT = '/apis/apps/v1/namespaces/shop/deployments/orders-api';

/** DynamoDB throttling, below the SDK's retry middleware so its retries see it, as in AWS. */
class Throttle {
  requests = 0;
  throttled = 0;
  /** Throttle the first attempt of these request numbers (the SDK's retry then succeeds). */
  once = new Set<number>();
  /** Throttle every attempt (past the SDK's retries) of the next `times` requests matching this. */
  always: { match: RegExp; times: number } | null = null;
  private persisting = false;

  install(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request as { headers?: Record<string, string>; body?: unknown };
        const first = /attempt=1;/.test(req.headers?.['amz-sdk-request'] ?? '');
        if (first) this.requests += 1;
        const body = typeof req.body === 'string' ? req.body : req.body instanceof Uint8Array ? new TextDecoder().decode(req.body) : '';
        if (this.always?.match.test(body)) {
          if (first) this.persisting = this.always.times-- > 0;
          if (this.persisting) return this.throttle();
        }
        if (first && this.once.has(this.requests)) return this.throttle();
        return next(args);
      },
      { step: 'finalizeRequest', name: 'leakhoundTestThrottle', priority: 'low' },
    );
  }

  private throttle(): never {
    this.throttled += 1;
    throw new ProvisionedThroughputExceededException({ message: 'The level of configured provisioned throughput for the table was exceeded.', $metadata: { httpStatusCode: 400 } });
  }
}

describe.skipIf(skipUnless(myUp))('faults end to end', () => {
  const sfx = uniqueSuffix();
  const pgRole = `lh_full_${sfx}`;
  const myUser = `lh_full_${sfx}`;
  const pw = `pw-${sfx}`;
  // Its own PostgreSQL, so the role held here shows in no other suite's readings.
  let pgServer: RunningPostgres;
  let admin: pg.Client;
  let holder: pg.Client;
  let myRoot: mysql.Connection;
  let myHolder: mysql.Connection;
  let dynamo: Dynalite;
  let slack: FakeSlack;
  let replicas: TestServer;
  let kube: FakeKube;
  let catalog: Catalog;
  let env: Record<string, string>;
  const throttle = new Throttle();
  let store: DynamoStore;
  const patches = { ok: 0, conflicts: 0 };

  beforeAll(async () => {
    assertAvailable(myUp, `MariaDB at ${MARIADB_URL}`);
    // PostgreSQL: a role whose CONNECTION LIMIT its application already uses up.
    pgServer = await startEmbeddedPostgres();
    admin = new pg.Client({ connectionString: pgServer.url });
    await admin.connect();
    await admin.query(`CREATE ROLE ${pgRole} LOGIN PASSWORD '${pw}' CONNECTION LIMIT 1`);
    holder = new pg.Client({ connectionString: withCredentials(pgServer.url, pgRole, pw), application_name: 'lh-faults-holder' });
    holder.on('error', () => undefined);
    await holder.connect();
    // MariaDB: a user whose MAX_USER_CONNECTIONS its application already uses up.
    myRoot = mysql.createConnection({ uri: MARIADB_URL });
    myRoot.on('error', () => undefined);
    await myRoot.promise().query(`CREATE USER '${myUser}'@'%' IDENTIFIED BY '${pw}' WITH MAX_USER_CONNECTIONS 1`);
    myHolder = mysql.createConnection({ uri: withCredentials(MARIADB_URL, myUser, pw, '') });
    myHolder.on('error', () => undefined);
    await myHolder.promise().query('SELECT 1');

    [dynamo, slack, replicas] = await Promise.all([startDynalite(), new FakeSlack().start(), startServer(replicaRoutes)]);
    let patched = false;
    kube = await startFakeKube((req) => {
      const path = req.path.split('?')[0]!;
      if (path === '/api/v1/namespaces/shop/pods') return status(403, 'Forbidden', 'pods is forbidden: User "system:serviceaccount:ops:leakhound" cannot list resource "pods" in API group "" in the namespace "shop"');
      if (path !== DEPLOYMENT) return status(404, 'NotFound', `no ${path}`);
      if (req.method === 'PATCH') {
        if (patches.conflicts === 0) {
          patches.conflicts += 1;
          return status(409, 'Conflict', 'Operation cannot be fulfilled on deployments.apps "orders-api": the object has been modified');
        }
        patches.ok += 1;
        patched = true;
      }
      const gen = patched ? 6 : 5;
      return { status: 200, body: deployment('shop', 'orders-api', { generation: gen, observedGeneration: gen, replicas: 2, desired: 2, updated: 2, available: 2, annotations: patched ? { [RESTARTED_AT_ANNOTATION]: 'now' } : {} }) };
    });

    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 3 });
    throttle.install(client);
    store = new DynamoStore({ client, tableName: await dynamo.newTable() });

    const dump = (route: string) => `${replicas.url}/${route}/debug/pprof/goroutine`;
    const urls = ['fast', 'hung', 'trickle', 'garbage', 'endless', 'boom'].map(dump).concat('http://replica-9.leakhound.invalid:6060');
    env = {
      BILLING_DB: withCredentials(pgServer.url, pgRole, pw),
      LEDGER_DB: withCredentials(MARIADB_URL, myUser, pw, ''),
      ORDERS_DB: 'postgres://leakhound@127.0.0.1:1/orders',
      SEARCH_DB: 'postgres://leakhound@db.leakhound.invalid:5432/search',
    };
    const parsed = parseCatalog(
      `defaults:
  slackChannel: "#incidents"
  deadlineSeconds: ${DEADLINE_S}
  dumps: { timeoutSeconds: 3.5, maxBytes: 2MiB, concurrency: 8 }
services:
  - name: billing-api
    database: { engine: postgres, url: { env: BILLING_DB } }
    dumps:
      sources:
        - http: { urls: ${JSON.stringify(urls)} }
        - kubernetes: { namespace: shop, selector: app=billing-api, port: 6060 }
    slackChannel: "#billing"
    alarms: { names: ["shop-*"] }
  - name: ledger
    database: { engine: mysql, url: { env: LEDGER_DB } }
    slackChannel: "#ledger"
    alarms: { names: ["shop-*"] }
  - name: orders-api
    database: { engine: postgres, url: { env: ORDERS_DB } }
    restart: { kubernetes: { namespace: shop, deployment: orders-api } }
    slackChannel: "#orders"
    approvers: { users: [UAPPROVER1] }
    alarms: { names: ["shop-*"] }
  - name: search-api
    database: { engine: postgres, url: { env: SEARCH_DB } }
    slackChannel: "#search"
    alarms: { names: ["shop-*"] }
`,
      'faults.yml',
      { env },
    );
    if (!parsed.ok) throw parsed.error;
    catalog = parsed.catalog;
  });

  afterAll(async () => {
    await holder?.end().catch(() => undefined);
    await admin?.query(`DROP ROLE IF EXISTS ${pgRole}`).catch(() => undefined);
    await admin?.end().catch(() => undefined);
    myHolder?.destroy();
    await myRoot?.promise().query(`DROP USER IF EXISTS '${myUser}'@'%'`).catch(() => undefined);
    myRoot?.destroy();
    await Promise.all([slack?.stop(), replicas?.close(), kube?.close(), dynamo?.close(), pgServer?.stop()]);
  });

  const worker = (log = memoryLog(), delayScale = 1) =>
    startWorker({
      catalog,
      store,
      slack,
      log,
      delayScale,
      gather: { env, cloudwatch: null, dumpClients: { kube: () => kube.kubeConfig } },
      executors: { kubernetes: new KubernetesExecutor({ kubeConfig: kube.kubeConfig, pollIntervalMs: 50, requestTimeoutMs: 2_000 }) },
    });
  const text = (c: RecordedCall) => messageToText({ text: String(c.params['text'] ?? ''), blocks: (c.params['blocks'] ?? []) as never });
  const inChannel = (calls: RecordedCall[], name: string) => calls.filter((c) => channelId(String(c.params['channel'])) === channelId(name));

  it('every service gets its triage in Slack by the deadline, each gap named', async () => {
    const log = memoryLog();
    const w = worker(log);
    throttle.once = new Set([2, 5, 9, 14, 20]);
    slack.fail('chat.postMessage', 503, 1);
    const from = slack.calls.length;
    const t0 = Date.now();
    const handled = await handleAlarmEvent(snsAlarm({ AlarmName: 'shop-connections-high' }), { catalog, store, queue: w.queue, retriageSeconds: 900, log });
    expect(handled.routes.map((r) => `${r.service} ${r.outcome}`).sort()).toEqual(['billing-api opened', 'ledger opened', 'orders-api opened', 'search-api opened']);
    await w.queue.drain();
    const calls = slack.calls.slice(from);
    expect(throttle.throttled).toBeGreaterThan(0);
    expect(calls.some((c) => c.status === 503)).toBe(true);
    expect(w.queue.deadLetters).toEqual([]);

    const expected: Record<string, RegExp[]> = {
      '#billing': [/CONNECTION LIMIT|too many connections for role/, /hung.*timed out|timed out/, /not a goroutine dump/, /2 MiB/, /HTTP 500/, /leakhound\.invalid/, /403|forbidden/i],
      '#ledger': [/max_user_connections/],
      '#orders': [/refused|ECONNREFUSED/i],
      '#search': [/db\.leakhound\.invalid|ENOTFOUND|not resolve|DNS/i],
    };
    const figures: string[] = [];
    for (const [channel, reasons] of Object.entries(expected)) {
      const mine = inChannel(calls, channel).filter((c) => c.status === 200);
      // The top message was posted once and turned into the summary; the details follow in the thread.
      expect(mine.filter((c) => c.method === 'chat.postMessage' && !c.params['thread_ts']), channel).toHaveLength(1);
      const details = mine.find((c) => c.method === 'chat.postMessage' && c.params['thread_ts'] && /^Details/.test(String(c.params['text'])));
      expect(details, `${channel}: the details of the report`).toBeTruthy();
      const summary = mine.filter((c) => c.method === 'chat.update').at(-1)!;
      // By the deadline, give or take Slack's pacing (one write a second per channel) and retries.
      expect(summary.at - t0, `${channel}: summary after ${summary.at - t0} ms`).toBeLessThan(DEADLINE_S * 1000 + 3_000);
      expect(details!.at - t0, `${channel}: details after ${details!.at - t0} ms`).toBeLessThan(DEADLINE_S * 1000 + 4_500);
      const said = `${text(summary)}\n${text(details!)}`;
      for (const r of reasons) expect(said, `${channel} names ${r}`).toMatch(r);
      figures.push(`${channel} summary +${summary.at - t0} ms, details +${details!.at - t0} ms`);
    }
    // The good replica was still read: the verdict names the leak, not only the gaps.
    expect(text(inChannel(calls, '#billing').filter((c) => c.method === 'chat.update').at(-1)!)).toMatch(/Transaction leak|tx-leak|leak/i);
    console.log(`faults → Slack: ${figures.join('; ')}; DynamoDB throttled ${throttle.throttled}×, Slack 503 ×1`);
  });

  it('a restart job retried after Slack failed restarts once (Kubernetes 409 met and retried inside)', async () => {
    const w = worker(memoryLog(), 1);
    const approval = await store.createApproval({ incidentId: null, service: 'orders-api', subject: { action: 'restart', target: { type: 'kubernetes', namespace: 'shop', deployment: 'orders-api' } }, requestedBy: 'UREQUESTER', ttlMinutes: 15 });
    expect((await store.transition(approval.id, 'requested', 'approved', 'UAPPROVER1')).ok).toBe(true);
    // The note of the first attempt fails (WebClient's 3 retries included), so the job fails and is redelivered.
    slack.fail('chat.postMessage', 500, 4);
    const from = slack.calls.length;
    await w.queue.enqueue({ type: 'restart', approvalId: approval.id, incidentId: null, service: 'orders-api' });
    const deadline = Date.now() + 20_000;
    while (!slack.calls.slice(from).some((c) => c.status === 200 && c.method === 'chat.postMessage') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    w.queue.close(); // the verification scheduled after the restart is not part of this test
    expect(patches).toEqual({ ok: 1, conflicts: 1 });
    expect((await store.getApproval(approval.id))!.state).toBe('done');
    const notes = slack.calls.slice(from).filter((c) => c.method === 'chat.postMessage').map((c) => `${c.status} ${String(c.params['text']).slice(0, 80)}`);
    expect(notes.filter((n) => n.startsWith('500'))).toHaveLength(4);
    expect(notes.filter((n) => n.startsWith('200'))).toEqual([expect.stringMatching(/Restart not run: approval .* is done/)]);
    const audit = (await store.listAudit(null)).map((a) => a.action);
    expect(audit.filter((a) => a === 'restart.started')).toHaveLength(1);
    expect(audit.filter((a) => a === 'restart.completed')).toHaveLength(1);
    console.log(`restart job delivered twice: ${patches.ok} restart (PATCH after one 409); Slack 500 ×4 on the first attempt's note`);
  });

  it('a top message the store could not record is taken back: the next write posts the one that stays', async () => {
    const w = worker(memoryLog(), 1);
    const opened = await store.recordAlarm({ service: 'search-api', kind: 'lb-5xx', state: 'alarm' });
    throttle.always = { match: /threadTs/, times: 1 };
    const before = new Set(slack.messages.keys());
    const from = slack.calls.length;
    await w.queue.enqueue({ type: 'triage', service: 'search-api', incidentId: opened.incident!.id, trigger: 'alarm', requestedBy: null });
    await w.queue.drain();
    const calls = slack.calls.slice(from).filter((c) => c.status === 200);
    // Posted twice (the first setThread was throttled past the SDK's retries), the unrecorded one deleted.
    expect(calls.filter((c) => c.method === 'chat.postMessage' && !c.params['thread_ts'])).toHaveLength(2);
    expect(calls.filter((c) => c.method === 'chat.delete')).toHaveLength(1);
    const thread = (await store.getIncident(opened.incident!.id))!.thread!;
    const tops = [...slack.messages.values()].filter((m) => !before.has(m.ts) && m.threadTs === null && !m.deleted);
    expect(tops.map((m) => m.ts)).toEqual([thread.ts]);
    expect(w.queue.deadLetters).toEqual([]);
  });
});
