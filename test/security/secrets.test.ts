// Secrets and personal data, end to end: alarm (Alertmanager webhook with its token; a malformed
// SNS record) → triage of a PostgreSQL whose application holds transactions with personal data in
// their statements, read with a password in the URL, dumps behind Basic auth → Slack → /leak
// commands (one with the bot token pasted in) → Restart, approval → a restart command that
// prints the connection string and the password when it fails. Every Slack call, every HTTP
// answer, every log line (our JSON logs, Bolt's logger, and anything written to the console or
// stdout/stderr), every audit entry and approval note is then searched for the secrets and the
// literals: none may appear.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import pg from 'pg';
import { parseCatalog } from '../../lib/catalog/parse.ts';
import { startEmbeddedPostgres, type RunningPostgres } from '../../lib/localdb/embedded-postgres.ts';
import { CommandExecutor } from '../../lib/remediation/index.ts';
import { handleAlarmEvent } from '../../lib/intake/alarm-event.ts';
import { memoryLog } from '../support/memory-log.ts';
import { SnsVerifier } from '../../lib/webhook/sns-signature.ts';
import { createWebhookApp } from '../../lib/webhook/app.ts';
import { sourceAuth } from '../../lib/webhook/source-auth.ts';
import { ACTIONS } from '../../lib/slack/render/action-ids.ts';
import { createSlackLambdaHandler } from '../../lib/slack/app/lambda-receiver.ts';
import { MemoryStore } from '../../lib/store/memory.ts';
import { replicaRoutes, startServer, type TestServer } from '../support/dump-targets.ts';
import { uniqueSuffix, withCredentials } from '../support/db-sessions.ts';
import { BOT_TOKEN, SIGNING_SECRET, apiGatewayEvent, blockActionBody, commandBody } from '../support/slack-events.ts';
import { FakeSlack } from '../support/fake-slack.ts';
import { quietLogger } from '../support/slack-harness.ts';
import { snsAlarm, startWorker } from '../support/reliability-harness.ts';

const sfx = uniqueSuffix();
const ROLE = `lh_secret_${sfx}`;
const DB_PASSWORD = `Db-Pw-${sfx}-Zx81`;
const WEBHOOK_TOKEN = `am-webhook-token-${sfx}`;
/** The `secret` replica route wants Basic pprof:s3cret; a second, unreachable replica has its own. */
const DUMP_PASSWORD = 's3cret';
const DUMP_PASSWORD_2 = `dump-pw-${sfx}`;
const LITERALS = [`alice.${sfx}@example.com`, '4111111111111111', '987-65-4320', `Zq-literal-${sfx}`, '31337.42'];
/**
 * One secret of every shape lib/redact knows, each with a part unique to this run. The restart
 * command prints them all when it fails; a dump target's login page and error page carry some;
 * an unmapped alert is named with one.
 */
const u = sfx.replace(/[^A-Za-z0-9]/g, '').slice(0, 8).padEnd(8, 'Q');
const SHAPED = {
  bearer: `Bt${u}Zk81.abc`,
  basic: Buffer.from(`admin:Ba-${u}`).toString('base64'),
  apiKey: `Ak${u}Zq7731`,
  jsonPassword: `Jp-${u}-x81`,
  yamlPassword: `Yp ${u} staple`,
  flagPassword: `Fp-${u}-x82`,
  shortFlagPassword: `Sp${u}x83`,
  dsnPassword: `Dp:${u}@/x84`,
  libpqPassword: `Lp-${u}-x85`,
  awsKeyId: `AKIA${u.toUpperCase()}Z2345678`.slice(0, 20),
  awsSecret: `Aws${u}Sk/7Qz+${'x9Yb'.repeat(7)}`.slice(0, 40),
  slackApp: `xapp-1-A0123-${u}9876543210`,
  github: `ghp_${u}${'Gh7z'.repeat(7)}`,
  githubPat: `github_pat_11AB${u}_${'Pq4x'.repeat(15)}`,
  jwt: `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOi${u}In0.Sig${u}x`,
  pemBody: `MIIEow${u}${'Kq9Z'.repeat(10)}`,
  envToken: `Env-Token-${u}-x86`,
  session: `Sess${u}Zz4455`,
  alertName: `ghp_${u}${'Al3r'.repeat(7)}`,
};

// Its own PostgreSQL: the open transactions planted here must not show in other suites' readings.
describe('secrets and personal data', () => {
  let server: RunningPostgres;
  let admin: pg.Client;
  const apps: pg.Client[] = [];
  let slack: FakeSlack;
  let replicas: TestServer;
  let dbUrl = '';
  /** Everything anything printed while the scenario ran. */
  const printed: string[] = [];
  const answers: string[] = [];
  const restores: Array<() => void> = [];
  const summary: string[] = [];

  beforeAll(async () => {
    server = await startEmbeddedPostgres();
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`CREATE ROLE ${ROLE} LOGIN PASSWORD '${DB_PASSWORD}'`);
    await admin.query(`CREATE TABLE lh_accounts_${sfx} (id int PRIMARY KEY, email text, card text, ssn text, balance numeric)`);
    await admin.query(`GRANT ALL ON lh_accounts_${sfx} TO ${ROLE}`);
    await admin.query(`INSERT INTO lh_accounts_${sfx} VALUES (1, 'x', 'x', 'x', 0), (2, 'y', 'y', 'y', 0)`);
    dbUrl = withCredentials(server.url, ROLE, DB_PASSWORD);
    // The leak: two transactions left open, their last statements full of personal data.
    const statements = [
      `UPDATE lh_accounts_${sfx} SET email = '${LITERALS[0]}', card = '${LITERALS[1]}' WHERE id = 1`,
      `UPDATE lh_accounts_${sfx} SET ssn = '${LITERALS[2]}', balance = ${LITERALS[4]} WHERE id = 2 AND email <> '${LITERALS[3]}'`,
    ];
    for (const sql of statements) {
      const c = new pg.Client({ connectionString: dbUrl, application_name: 'payments-api' });
      c.on('error', () => undefined);
      await c.connect();
      await c.query('BEGIN');
      await c.query(sql);
      apps.push(c);
    }
    [slack, replicas] = await Promise.all([
      new FakeSlack().start(),
      startServer({
        ...replicaRoutes,
        login: (_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end(`<html><body><form>csrf session=${SHAPED.session}</form></body></html>`),
        broken: (_req, res) => void res.writeHead(500, { 'content-type': 'text/plain' }).end(`internal error: Authorization: Bearer ${SHAPED.bearer} rejected by upstream (session=${SHAPED.session})`),
      }),
    ]);

    // Everything written to the console or the process's streams from here on is kept.
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      const spy = vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' ')));
      restores.push(() => spy.mockRestore());
    }
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        printed.push(String(chunk));
        return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write;
      restores.push(() => void (stream.write = original));
    }
  });

  afterAll(async () => {
    for (const r of restores) r();
    for (const line of summary) console.log(line);
    await Promise.all(apps.map((c) => c.end().catch(() => undefined)));
    await admin?.query(`DROP TABLE IF EXISTS lh_accounts_${sfx}`).catch(() => undefined);
    await admin?.query(`DROP ROLE IF EXISTS ${ROLE}`).catch(() => undefined);
    await admin?.end().catch(() => undefined);
    await Promise.all([slack?.stop(), replicas?.close(), server?.stop()]);
  });

  it('no secret, connection string or query literal in any Slack call, answer, log line or audit entry', async () => {
    const secretReplica = `http://pprof:${DUMP_PASSWORD}@127.0.0.1:${replicas.port}/secret/debug/pprof/goroutine`;
    const deadReplica = `http://pprof:${DUMP_PASSWORD_2}@127.0.0.1:1/debug/pprof/goroutine`;
    // Replicas that answer pages instead of dumps: a login page and an error, both carrying tokens.
    const loginPage = `http://127.0.0.1:${replicas.port}/login/debug/pprof/goroutine`;
    const errorPage = `http://127.0.0.1:${replicas.port}/broken/debug/pprof/goroutine`;
    const env = { BILLING_DB: dbUrl };
    // The restart command fails, and says why the careless way: the connection string, the password.
    // Multi-line shapes first; the single-line ones on the last line, which becomes the message.
    const multiLine = ['database:\n  password: ' + SHAPED.yamlPassword, '-----BEGIN RSA PRIVATE KEY-----\n' + SHAPED.pemBody + '\n-----END RSA PRIVATE KEY-----'].join('\n');
    const lastLine = [
      'Authorization: Bearer ' + SHAPED.bearer,
      'x-api-key: ' + SHAPED.apiKey,
      'mysql -uroot -p' + SHAPED.shortFlagPassword,
      'mysqladmin --password ' + SHAPED.flagPassword,
      'dial app:' + SHAPED.dsnPassword + '@tcp(ledger:3306)/ledger',
      SHAPED.github,
      SHAPED.slackApp,
      SHAPED.jwt,
      JSON.stringify({ password: SHAPED.jsonPassword }),
      'password=' + SHAPED.libpqPassword,
      SHAPED.awsKeyId,
      'SecretAccessKey=' + SHAPED.awsSecret,
      SHAPED.githubPat,
      'authorization: Basic ' + SHAPED.basic,
    ].join(' | ');
    // The restart command fails, and says why the careless way: the connection string, the
    // password, its own token, and a credential of every other shape.
    const script = `console.log('stopping payments-api'); console.error(${JSON.stringify(multiLine)}); console.error('restart failed: cannot reach ' + process.env.BILLING_DB + ' (PGPASSWORD=' + process.env.LH_PW + ') token ' + process.env.LH_API_TOKEN + ' | ' + ${JSON.stringify(lastLine)}); process.exit(1)`;
    const parsed = parseCatalog(
      `defaults:
  slackChannel: "#incidents"
  deadlineSeconds: 3
  dumps: { timeoutSeconds: 1 }
services:
  - name: payments-api
    database: { engine: postgres, url: { env: BILLING_DB } }
    dumps: { sources: [ { http: { urls: ${JSON.stringify([secretReplica, deadReplica, loginPage, errorPage])} } } ] }
    restart: { command: { argv: ${JSON.stringify([process.execPath, '-e', script])} } }
    slackChannel: "#billing"
    approvers: { users: [UAPPROVER1] }
    alarms: { names: ["orders-db-*"], labels: { service: payments-api } }
`,
      'secrets.yml',
      { env },
    );
    if (!parsed.ok) throw parsed.error;
    const catalog = parsed.catalog;
    const store = new MemoryStore();
    const logs = { worker: memoryLog(), webhook: memoryLog(), alarm: memoryLog() };
    const worker = startWorker({
      catalog,
      store,
      slack,
      log: logs.worker,
      gather: { env, cloudwatch: null },
      executors: { command: new CommandExecutor({ env: { ...process.env, BILLING_DB: dbUrl, LH_PW: DB_PASSWORD, LH_API_TOKEN: SHAPED.envToken } }) },
    });
    const ingest = { catalog, store, queue: worker.queue, retriageSeconds: 900, log: logs.webhook };
    const hooks = createWebhookApp({
      deps: async () => ({ ...ingest, auth: { alertmanager: sourceAuth(WEBHOOK_TOKEN), grafana: null }, sns: new SnsVerifier({ topicArns: [] }), confirm: async () => '' }),
      maxBodyBytes: 256 * 1024,
      log: logs.webhook,
    });
    const bolt = quietLogger();
    const slackHandler = createSlackLambdaHandler({ signingSecret: SIGNING_SECRET, token: BOT_TOKEN, store, queue: worker.queue, catalog, slackApiUrl: slack.apiUrl, logger: bolt });
    const send = async (body: string, opts: Parameters<typeof apiGatewayEvent>[1] = {}) => {
      const res = await slackHandler(apiGatewayEvent(body, opts), {});
      answers.push(res.body ?? '');
      return res;
    };

    // 1. The alarm, by Alertmanager with its token (and once with the token in the wrong place).
    const alert = JSON.stringify({ version: '4', status: 'firing', alerts: [{ status: 'firing', labels: { alertname: 'PostgresTooManyConnections', service: 'payments-api' }, annotations: { summary: 'payments-api: 97 of 100 connections' }, startsAt: new Date().toISOString() }] });
    for (const headers of [{ authorization: `Bearer ${WEBHOOK_TOKEN}` }, { authorization: `Token ${WEBHOOK_TOKEN}` }, { authorization: `Bearer ${WEBHOOK_TOKEN}x` }]) {
      const res = await hooks.request('/webhooks/alertmanager', { method: 'POST', body: alert, headers: { 'content-type': 'application/json', ...headers } });
      answers.push(await res.text());
    }
    // An alert no service claims, named with a token (pasted into a rule by mistake): an unmapped incident.
    const unmapped = JSON.stringify({ version: '4', status: 'firing', alerts: [{ status: 'firing', labels: { alertname: `DBDown ${SHAPED.alertName}` }, annotations: {}, startsAt: new Date().toISOString() }] });
    answers.push(await (await hooks.request('/webhooks/alertmanager', { method: 'POST', body: unmapped, headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` } })).text());
    // A malformed SNS record that carries a connection string in a field.
    await handleAlarmEvent(snsAlarm({ AlarmName: 'orders-db-connections-high', NewStateValue: `ALARM ${dbUrl}`, StateChangeTime: dbUrl }), { ...ingest, log: logs.alarm });
    await worker.queue.drain();

    // 2. People: commands (one with the bot token pasted in by mistake), Restart, approvals.
    for (const text of ['triage payments-api', 'sessions payments-api', `triage ${BOT_TOKEN}`, `restart payments-api ${dbUrl}`, 'status']) await send(commandBody(text, { user: 'UREQUESTER' }));
    await send(commandBody('help'), { secret: 'forged' });
    await worker.queue.drain();
    const incident = (await store.listOpenIncidents())[0]!;
    await send(blockActionBody({ user: 'UREQUESTER', actionId: ACTIONS.restart, value: `i:${incident.id}`, channel: incident.thread!.channel, messageTs: incident.thread!.ts }));
    const approvalId = (await store.listAudit(incident.id)).map((a) => /^ok: (apr_\S+)$/.exec(a.result)?.[1]).find(Boolean)!;
    expect(approvalId).toBeTruthy();
    await send(blockActionBody({ user: 'URANDOM', actionId: ACTIONS.approve, value: `a:${approvalId}` }));
    await send(blockActionBody({ user: 'UAPPROVER1', actionId: ACTIONS.approve, value: `a:${approvalId}` }));
    const until = Date.now() + 20_000;
    while ((await store.getApproval(approvalId))!.state !== 'failed' && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    await worker.poster.flush();
    worker.queue.close(); // the verification scheduled after the restart is not part of this test

    // 3. What there is to search.
    expect((await store.getApproval(approvalId))!.state).toBe('failed');
    const audit = [...(await store.listAudit(incident.id)), ...(await store.listAudit(null))];
    const approval = (await store.getApproval(approvalId))!;
    // The evidence page written before the restart: stacks, sessions, timeline (the audit above).
    const page = Buffer.from((await worker.deps.evidence.get!(incident.id, 'evidence.html')) ?? '').toString('utf8');
    expect(page).toMatch(/^<!doctype html>/);
    const corpus: Array<[string, string]> = [
      ...slack.calls.map((c): [string, string] => [`slack ${c.method}`, [c.raw, safeDecode(c.raw), JSON.stringify(c.params)].join('\n')]),
      ...answers.map((a, i): [string, string] => [`answer ${i}`, a]),
      ...Object.entries(logs).flatMap(([k, l]) => l.lines.map((line): [string, string] => [`log ${k}`, JSON.stringify(line)])),
      ...[...bolt.warns, ...bolt.errors].map((l): [string, string] => ['bolt log', l]),
      ...printed.map((p): [string, string] => ['console/stdout/stderr', p]),
      ...audit.map((a): [string, string] => [`audit ${a.action}`, JSON.stringify(a)]),
      ['approval history', JSON.stringify(approval.history)],
      // As written and as a browser shows it (entities decoded).
      ['evidence page', page],
      ['evidence page, decoded', page.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!)],
    ];
    const forbidden = [DB_PASSWORD, dbUrl, `${ROLE}:${DB_PASSWORD}`, BOT_TOKEN, SIGNING_SECRET, WEBHOOK_TOKEN, `pprof:${DUMP_PASSWORD}`, DUMP_PASSWORD_2, ...LITERALS, ...Object.values(SHAPED)];
    const found = corpus.flatMap(([where, text]) => forbidden.filter((s) => text.includes(s)).map((s) => `${where}: ${s.slice(0, 14)}… in ${JSON.stringify(text.slice(Math.max(0, text.indexOf(s) - 60), text.indexOf(s) + s.length + 20))}`));
    expect(found).toEqual([]);

    // The scan looked at real traffic: the report, the approval, the failed restart, the refusals.
    const methods = slack.calls.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c.method]: (acc[c.method] ?? 0) + 1 }), {});
    expect(methods['chat.postMessage']).toBeGreaterThan(3);
    const slackText = JSON.stringify(slack.calls.map((c) => c.params));
    expect(slackText).toMatch(/Restart failed/);
    // The shapes were really there to find: the command's output, the pages, the unmapped alert.
    expect(slackText).toMatch(/maps to no service/);
    expect(slackText).toMatch(/not a goroutine dump: the target answered \d+ bytes of an HTML page/);
    expect(slackText).toMatch(/HTTP 500 from the target: internal error: Authorization: Bearer \[redacted\]/);
    expect(slackText).toMatch(/idle in transaction|open transaction/i);
    expect(slackText).toContain('UPDATE lh_accounts_');
    // The page shows the same evidence: the sessions' fingerprints, the failed replicas, the timeline.
    expect(page).toContain('UPDATE lh_accounts_');
    expect(page).toMatch(/restart\.requested/);
    expect(printed.length + logs.worker.lines.length + logs.webhook.lines.length + bolt.warns.length).toBeGreaterThan(5);
    summary.push(`secrets scan: ${corpus.length} items (${slack.calls.length} Slack calls ${JSON.stringify(methods)}, ${answers.length} answers, ${printed.length} console/stream writes, ${Object.values(logs).reduce((n, l) => n + l.lines.length, 0)} JSON log lines, ${bolt.warns.length + bolt.errors.length} Bolt log lines, ${audit.length} audit entries); ${forbidden.length} secrets and literals; found ${found.length}`);
  });
});

function safeDecode(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}
