// `leakhound demo` (npm run demo): the whole job on a fresh machine with no cloud account.
// An embedded PostgreSQL, a service that leaks connections, a CloudWatch alarm through the same
// parsing, mapping and triage path as production, and the full Report printed. Cleans up after
// itself, also on Ctrl-C.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAlerts } from '../alerts/index.ts';
import { rdsConnectionsAlarmEvent } from '../demo/alarm.ts';
import { loadSchema, startLeakyService, type LeakyService } from '../demo/leaky-service.ts';
import { startEmbeddedPostgres, type RunningPostgres } from '../localdb/embedded-postgres.ts';
import { triageAlert } from '../triage/index.ts';
import { parseCliArgs } from './args.ts';
import { CliError } from './errors.ts';
import { catalogOrFail } from './inputs.ts';
import { renderReportText } from './report-text.ts';

// 9 less PostgreSQL's 3 superuser slots leaves 6 for applications: exactly billing-api's pool,
// so the leak fills the database, as in production. Leakhound gets in through a reserved slot.
const MAX_CONNECTIONS = 9;
// The demo's leaks are seconds old, not minutes: treat sessions idle this long as suspects.
const MIN_AGE_MS = 1_000;

function demoCatalog(dbUrl: string, serviceUrl: string): string {
  // Inline URLs are allowed only with demoOnly: a real catalog takes them from env or a secret.
  return `# written by leakhound demo
version: 1
defaults:
  deadlineSeconds: 8
  slackChannel: "#incidents"
services:
  - name: billing-api
    database:
      engine: postgres
      url: { inline: ${JSON.stringify(dbUrl)}, demoOnly: true }
      rds: { instance: demo-orders }
    dumps:
      debug: 1
      sources:
        - http: { urls: [${JSON.stringify(serviceUrl)}] }
    restart:
      command: { argv: ["echo", "restart billing-api"], timeoutSeconds: 30 }
    slackChannel: "#billing-oncall"
    approvers: { users: [U0DEMO1, U0DEMO2] }
`;
}

export const demoCommand = {
  summary: 'the whole triage on this machine',
  async run(argv: string[]): Promise<number> {
    const { values } = parseCliArgs(argv, { help: { type: 'boolean', short: 'h' }, format: { type: 'string' } }, false);
    if (values.help) {
      console.log('usage: leakhound demo [--format text|json]\n\nStarts an embedded PostgreSQL and a leaking service, sends a CloudWatch alarm through the production path and prints the triage. Needs no cloud account; uses Go when installed.');
      return 0;
    }
    const json = values.format === 'json';
    const step = (line: string) => (json ? process.stderr : process.stdout).write(`${json ? '' : '\u001b[2m'}> ${line}${json ? '' : '\u001b[0m'}\n`);

    let db: RunningPostgres | undefined;
    let svc: LeakyService | undefined;
    let dir: string | undefined;
    const cleanup = async () => {
      step('cleaning up: stopping the service and the database');
      await svc?.stop().catch(() => undefined);
      await db?.stop().catch(() => undefined);
      if (dir) await rm(dir, { recursive: true, force: true });
    };
    const onSignal = () => {
      void cleanup().finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      step(`starting an embedded PostgreSQL with max_connections=${MAX_CONNECTIONS}`);
      db = await startEmbeddedPostgres({ maxConnections: MAX_CONNECTIONS });
      await loadSchema(db.url);
      svc = await startLeakyService(db.url, step);

      dir = await mkdtemp(join(tmpdir(), 'leakhound-demo-'));
      const catalogPath = join(dir, 'leakhound.yml');
      await writeFile(catalogPath, demoCatalog(db.url, svc.url), { mode: 0o600 });
      const catalog = await catalogOrFail(catalogPath);
      step(`catalog: billing-api on database demo-orders, dumps from ${svc.url}`);

      await new Promise((r) => setTimeout(r, MIN_AGE_MS + 200)); // let the leaked sessions age
      const event = rdsConnectionsAlarmEvent({ instance: 'demo-orders', value: MAX_CONNECTIONS - 3, threshold: 5 });
      step('alarm: CloudWatch "demo-orders-db-connections-high" (AWS/RDS DatabaseConnections) delivered by SNS');
      const parsed = parseAlerts(event);
      if (!parsed.ok) throw new CliError(`demo alarm did not parse: ${parsed.error.message}`);

      step('triage: reading sessions, fetching dumps (in parallel, 8 s deadline)');
      const reports = await triageAlert(catalog, parsed.alerts[0]!, { env: process.env, cloudwatch: null }, {
        minAgeMs: MIN_AGE_MS,
        onProgress: (p) => {
          if (p.done) step(`  ${p.text}`);
        },
      });
      if (json) process.stdout.write(JSON.stringify(reports, null, 2) + '\n');
      else for (const r of reports) process.stdout.write('\n' + renderReportText(r) + '\n');
      return 0;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await cleanup();
    }
  },
};
