// Fleet bench child: the bot. Alone in its process, so its peak RSS is the triage's own and not
// the session holders' sockets or the replicas' servers. Runs the alarm through the production
// path (SNS CloudWatch payload -> parseAlerts -> catalog mapping -> triageAlert) `warmups` +
// `runs` times, reports each run's time as it ends, then the last Report's figures.
import { parseAlerts } from '../../lib/alerts/index.ts';
import { parseCatalog, type Catalog } from '../../lib/catalog/index.ts';
import { rdsConnectionsAlarmEvent } from '../../lib/demo/alarm.ts';
import { triageAlert, type Report } from '../../lib/triage/index.ts';
import { log, receive, runChild, send } from './ipc.ts';
import type { StartTriage } from './messages.ts';

const LIFETIME_MS = 30 * 60_000;
const SERVICE = 'billing-api';
const RDS_INSTANCE = 'fleet-orders';

function fleetCatalog(start: StartTriage): Catalog {
  const result = parseCatalog(
    `defaults:
  slackChannel: "#incidents"
  deadlineSeconds: ${start.deadlineSeconds}
  dumps: { concurrency: ${start.dumpConcurrency} }
services:
  - name: ${SERVICE}
    database: { engine: postgres, url: { env: FLEET_DB_URL }, rds: { instance: ${RDS_INSTANCE} } }
    dumps: { sources: [ { http: { urls: ${JSON.stringify(start.replicaUrls)} } } ] }
    slackChannel: "#billing"
`,
    'fleet.yml',
    { env: { FLEET_DB_URL: start.databaseUrl } },
  );
  if (!result.ok) throw result.error;
  return result.catalog;
}

/** One alarm → Report, timed from the raw SNS event to the finished Report. */
async function triageOnce(
  catalog: Catalog,
  event: unknown,
  databaseUrl: string,
): Promise<{ report: Report; ms: number; cpuMs: number; sessionsDoneMs: number | null; dumpsDoneMs: number | null }> {
  let sessionsDoneMs: number | null = null;
  let dumpsDoneMs: number | null = null;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const parsed = parseAlerts(JSON.stringify(event));
  if (!parsed.ok) throw new Error(parsed.error.message);
  const [report] = await triageAlert(
    catalog,
    parsed.alerts[0]!,
    { env: { FLEET_DB_URL: databaseUrl }, cloudwatch: null },
    {
      minAgeMs: 0,
      onProgress: (p) => {
        if (!p.done) return;
        if (p.stage === 'sessions') sessionsDoneMs ??= performance.now() - t0;
        if (p.stage === 'dumps') dumpsDoneMs ??= performance.now() - t0;
      },
    },
  );
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  if (!report) throw new Error('the alarm produced no Report');
  return { report, ms, cpuMs: (cpu.user + cpu.system) / 1000, sessionsDoneMs, dumpsDoneMs };
}

const replicasRead = (report: Report) => report.verdict.restsOn?.dumpsRead ?? report.replicas.filter((r) => r.status === 'ok').length;

async function main(): Promise<void> {
  const start = await receive('start-triage');
  const catalog = fleetCatalog(start);
  const event = rdsConnectionsAlarmEvent({ instance: RDS_INSTANCE, value: 5000, threshold: 4000 });
  const maxRssKiBBeforeRuns = process.resourceUsage().maxRSS;
  let last: Report | null = null;
  for (let i = 0; i < start.warmups + start.runs; i++) {
    const run = await triageOnce(catalog, event, start.databaseUrl);
    const warmup = i < start.warmups; // a Lambda is warm after its first alarm
    log(`triage run ${i}${warmup ? ' (warm-up)' : ''}: ${run.ms.toFixed(0)} ms, ${run.cpuMs.toFixed(0)} ms CPU`);
    send({
      type: 'triage-run',
      index: i,
      warmup,
      ms: run.ms,
      cpuMs: run.cpuMs,
      sessionsDoneMs: run.sessionsDoneMs,
      dumpsDoneMs: run.dumpsDoneMs,
      replicasRead: replicasRead(run.report),
      gaps: run.report.gaps.length,
    });
    last = run.report;
  }
  const report = last!;
  send({
    type: 'triage-done',
    headline: report.verdict.headline,
    verdictKind: report.verdict.kind,
    gaps: report.gaps.map((g) => `${g.source}:${g.target}: ${g.reason}`),
    replicasRead: replicasRead(report),
    replicasTotal: report.verdict.restsOn?.dumpsTotal ?? report.replicas.length,
    sessionsOnDatabase: report.sessions?.total ?? 0,
    sessionsOfService: report.sessions?.ofService ?? 0,
    findings: report.findings.map((f) => `${f.kind} ${f.count}`),
    maxRssKiBBeforeRuns,
    maxRssKiB: process.resourceUsage().maxRSS,
    heapUsedAfter: process.memoryUsage().heapUsed,
  });
  // Stay until the parent stops us: exiting now could drop the message in flight.
}

runChild('fleet triage', LIFETIME_MS, main);
