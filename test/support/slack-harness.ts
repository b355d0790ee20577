// A catalog, Reports (typical and oversized) and a harness wiring the real Lambda handler to the
// fake Slack API, the in-memory store and the in-process job queue.
import { parseCatalog } from '../../lib/catalog/parse.ts';
import type { Catalog } from '../../lib/catalog/model.ts';
import { InProcessJobQueue } from '../../lib/jobs/in-process.ts';
import type { Job, JobInput, JobQueue } from '../../lib/jobs/model.ts';
import { fingerprint } from '../../lib/sessions/fingerprint.ts';
import { createSlackLambdaHandler, type AwsEvent, type AwsResponse } from '../../lib/slack/app/lambda-receiver.ts';
import type { Meter } from '../../lib/lambda/meter.ts';
import { MemoryStore } from '../../lib/store/memory.ts';
import type { Report } from '../../lib/triage/report.ts';
import { BOT_TOKEN, SIGNING_SECRET, apiGatewayEvent } from './slack-events.ts';
import { FakeSlack } from './fake-slack.ts';

export const CATALOG_YAML = `
defaults:
  slackChannel: "#leakhound"
services:
  - name: billing-api
    database:
      engine: postgres
      url: { env: BILLING_DATABASE_URL }
    dumps:
      sources:
        - http: { urls: ["http://10.0.0.1:6060/debug/pprof/goroutine"] }
    restart:
      kubernetes: { namespace: prod, deployment: billing-api }
    slackChannel: "#billing-oncall"
    approvers:
      users: [UAPPROVER1, UAPPROVER2, UREQUESTER]
      usergroup: SONCALL01
  - name: checkout
    database:
      engine: postgres
      url: { env: CHECKOUT_DATABASE_URL }
    slackChannel: C0CHECKOUT1
  - name: ledger
    database:
      engine: postgres
      url: { env: LEDGER_DATABASE_URL }
    restart:
      command: { argv: ["systemctl", "restart", "ledger"] }
    approvers:
      users: [UAPPROVER1]
    twoPersonRule: false
    approvalTtlMinutes: 5
`;

export function testCatalog(): Catalog {
  const r = parseCatalog(CATALOG_YAML, 'test-catalog.yml', { env: {} });
  if (!r.ok) throw r.error;
  return r.catalog;
}

/** Raw statements as the application sent them: personal data the bot must never post. */
export const RAW_QUERIES = [
  "UPDATE accounts SET balance = balance - 250.00 WHERE email = 'alice.private@example.com' AND card = '4111111111111111'",
  "SELECT * FROM invoices WHERE customer_ssn = '078-05-1120' AND id IN (1, 2, 3, 4, 5)",
];
export const RAW_LITERALS = ['alice.private@example.com', '4111111111111111', '078-05-1120', '250.00'];
export const DB_PASSWORD = 'Sup3r-S3cret-DB-pw';

export function sampleReport(overrides: Partial<Report> = {}): Report {
  const fps = RAW_QUERIES.map((q) => fingerprint(q)!);
  return {
    id: 'rep-1',
    reading: { connections: 97, idleInTransaction: 40, elb504: 12 },
    service: 'billing-api',
    createdAt: '2026-11-23T05:00:00.000Z',
    elapsedMs: 2300,
    deadlineMs: 8000,
    alert: {
      source: 'cloudwatch-sns',
      kind: 'db-connections-high',
      signal: 'db-connections-high',
      state: 'firing',
      name: 'billing-db-connections-high',
      key: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:billing-db-connections-high',
      resources: [],
      dimensions: { DBInstanceIdentifier: 'billing' },
      metrics: [],
      labels: {},
      annotations: {},
      service: 'billing-api',
      value: 97,
      threshold: 90,
      time: '2026-11-23T04:59:00.000Z',
      link: null,
      reason: 'Threshold Crossed',
      suppressed: null,
    },
    verdict: {
      kind: 'tx-leak',
      headline: 'Transaction leak in route=/transfer (main.(*api).transfer, handlers.go:70)',
      culprit: { function: 'main.(*api).transfer', file: '/src/billing/internal/api/handlers.go', line: 70, labels: { route: '/transfer' }, evidence: 'labels' },
      confidence: 'high',
      restsOn: { sessions: true, dumpsRead: 1, dumpsTotal: 1, unread: [] },
    },
    capacity: { engine: 'postgres', maxConnections: 100, available: 97, inUse: 97, free: 0, full: true, growthPerMinute: 3.2, minutesToExhaustion: 0, elb504: 231 },
    findings: [
      {
        kind: 'tx-leak',
        count: 42,
        confidence: 'high',
        culprit: { function: 'main.(*api).transfer', file: '/src/billing/internal/api/handlers.go', line: 70, labels: { route: '/transfer' }, evidence: 'labels' },
        summary: '42 transactions opened in main.(*api).transfer never finished',
        evidence: [
          { source: 'goroutines', text: '42 goroutines in database/sql.(*Tx).awaitDone with labels route=/transfer' },
          { source: 'sessions', text: '40 sessions idle in transaction from 10.0.0.1, oldest 12m' },
          { source: 'metrics', text: 'DatabaseConnections +3.2/min over 30 min' },
        ],
        waitMinutes: { min: 1, median: 6, max: 12 },
        fingerprints: fps,
        sessionIds: [101, 102, 103],
      },
    ],
    replicas: [
      { replica: 'billing-api-7d9f-abcde', address: '10.0.0.1', source: 'http', status: 'ok', goroutines: 512, leakedTransactions: 42, leakedRows: 0, poolWaiters: 7, sessions: 48, idleInTransaction: 40, oldestTransactionMs: 720_000 },
    ],
    sessions: {
      total: 97,
      ofService: 48,
      idleInTransaction: 40,
      idleInTransactionAborted: 0,
      oldestTransactionMs: 720_000,
      suspects: [{ kind: 'open_transaction', count: 40, oldestMs: 720_000, fingerprint: fps[0]!, app: 'billing-api' }],
      attribution: [101, 102, 103].map((id) => ({ id, by: 'application_name' as const, application: 'billing-api', clientAddress: '10.0.0.1', state: 'idle_in_transaction' as const, offered: true })),
      otherApplications: [{ application: 'reports-cron', sessions: 49, idleInTransaction: 0 }],
    },
    growth: null,
    gaps: [
      {
        source: 'sessions',
        target: 'database billing',
        reason: `could not connect to postgres://billing:${DB_PASSWORD}@db.internal:5432/billing: too many connections; password=${DB_PASSWORD}`,
        remedy: 'grant pg_use_reserved_connections',
      },
    ],
    actions: [
      { kind: 'terminate-sessions', text: 'Terminate the 3 leaked sessions to free connections now', sessionIds: [101, 102, 103] },
      { kind: 'restart', text: 'Restart billing-api (deployment prod/billing-api) to release every connection it holds; evidence is saved first' },
      { kind: 'code-fix', text: 'Fix route=/transfer in main.(*api).transfer (handlers.go:70): commit or roll back every transaction (defer tx.Rollback())' },
    ],
    channel: null,
    ...overrides,
  };
}

/** Everything too long and too many: 200 findings with 30 evidence lines each, 500 replicas… */
export function oversizedReport(): Report {
  const base = sampleReport();
  const long = (n: number, s: string) => s.repeat(Math.ceil(n / s.length)).slice(0, n);
  const finding = base.findings[0]!;
  return {
    ...base,
    service: 'billing-api',
    verdict: { ...base.verdict, headline: long(600, 'Transaction leak <&> in `route=/transfer` ') },
    findings: Array.from({ length: 200 }, (_, i) => ({
      ...finding,
      count: i + 1,
      summary: long(4000, `finding ${i} & <summary> `),
      culprit: { ...finding.culprit!, function: long(500, `main.(*api).handler${i}`), labels: { route: long(300, '/x') } },
      evidence: Array.from({ length: 30 }, (_, j) => ({ source: 'goroutines' as const, text: long(400, `evidence ${j} 😀 &amp; `) })),
      fingerprints: Array.from({ length: 10 }, () => long(500, 'SELECT ? FROM t ')),
      sessionIds: Array.from({ length: 5000 }, (_, k) => k + 1),
    })),
    replicas: Array.from({ length: 500 }, (_, i) => ({ ...base.replicas[0]!, replica: long(120, `replica-${i}-`), status: long(200, 'timeout ') })),
    gaps: Array.from({ length: 300 }, (_, i) => ({ source: 'dumps' as const, target: `replica-${i}`, reason: long(300, 'connection refused '), remedy: 'open the port' })),
    actions: [
      { kind: 'terminate-sessions', text: long(5000, 'terminate '), sessionIds: Array.from({ length: 5000 }, (_, k) => k + 1) },
      { kind: 'restart', text: long(5000, 'restart ') },
      ...Array.from({ length: 100 }, (_, i) => ({ kind: 'code-fix' as const, text: long(300, `fix ${i} `) })),
    ],
    sessions: { ...base.sessions!, suspects: Array.from({ length: 300 }, () => base.sessions!.suspects[0]!) },
    growth: { afterSeconds: 30, goroutinesBefore: 1, goroutinesAfter: 99999, grew: Array.from({ length: 100 }, (_, i) => ({ kind: 'tx-leak' as const, delta: i, top: long(400, 'main.f') })) },
  };
}

/** Jobs the in-process queue delivered, and a knob to make each one slow. */
export class RecordingQueue implements JobQueue {
  readonly jobs: Job[] = [];
  /** Time each job takes in the worker (the ack must not wait for it). */
  workMs = 0;
  /** Time enqueue itself takes (an SQS round trip). */
  enqueueMs = 0;
  readonly inner: InProcessJobQueue;

  constructor() {
    this.inner = new InProcessJobQueue(async (job) => {
      this.jobs.push(job);
      if (this.workMs) await new Promise((r) => setTimeout(r, this.workMs));
    });
  }

  async enqueue(job: JobInput, options?: { delaySeconds?: number }): Promise<{ id: string }> {
    if (this.enqueueMs) await new Promise((r) => setTimeout(r, this.enqueueMs));
    return this.inner.enqueue(job, options);
  }

  ofType<T extends Job['type']>(type: T): Array<Extract<Job, { type: T }>> {
    return this.jobs.filter((j): j is Extract<Job, { type: T }> => j.type === type);
  }
}

export interface Harness {
  slack: FakeSlack;
  store: MemoryStore;
  queue: RecordingQueue;
  catalog: Catalog;
  clock: { now: number };
  /** What the Slack app logged at warn and error level. */
  logger: ReturnType<typeof quietLogger>;
  /** What the Slack app counted (approvals), as `name outcome` → total. */
  meter: Meter & { totals: Record<string, number> };
  handler: (event: AwsEvent) => Promise<AwsResponse>;
  send: (body: string, options?: Parameters<typeof apiGatewayEvent>[1]) => Promise<AwsResponse>;
  close: () => Promise<void>;
}

export async function harness(): Promise<Harness> {
  const slack = await new FakeSlack().start();
  slack.usergroups = { SONCALL01: ['UGROUPMEMBER'] };
  const clock = { now: Date.now() };
  const store = new MemoryStore({ now: () => clock.now });
  const queue = new RecordingQueue();
  const catalog = testCatalog();
  const logger = quietLogger();
  const totals: Record<string, number> = {};
  const meter: Harness['meter'] = {
    totals,
    count: (name, value = 1, dimension) => {
      const key = dimension ? `${name} ${dimension[1]}` : name;
      totals[key] = (totals[key] ?? 0) + value;
    },
    milliseconds: () => {},
  };
  const lambda = createSlackLambdaHandler({
    signingSecret: SIGNING_SECRET,
    token: BOT_TOKEN,
    store,
    queue,
    catalog,
    slackApiUrl: slack.apiUrl,
    now: () => clock.now,
    secrets: [DB_PASSWORD],
    logger,
    meter,
  });
  const handler = (event: AwsEvent) => lambda(event, {});
  return {
    slack,
    store,
    queue,
    catalog,
    clock,
    logger,
    meter,
    handler,
    send: (body, options) => handler(apiGatewayEvent(body, options)),
    close: async () => {
      await queue.inner.drain();
      queue.inner.close();
      await slack.stop();
    },
  };
}

/** Bolt's logger interface, keeping warnings and errors for the test (and printing nothing). */
export function quietLogger() {
  const errors: string[] = [];
  const warns: string[] = [];
  return {
    errors,
    warns,
    debug: () => {},
    info: () => {},
    warn: (...msg: unknown[]) => void warns.push(msg.map(String).join(' ')),
    error: (...msg: unknown[]) => void errors.push(msg.map(String).join(' ')),
    setLevel: () => {},
    getLevel: () => 'error' as never,
    setName: () => {},
  };
}
