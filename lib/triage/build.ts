// Joins the two sides into one Report: goroutine findings from the replicas and the sessions the
// database holds for them, correlated by client address, counts, ages and last statements.
// Pure: everything it needs is passed in.
import { randomUUID } from 'node:crypto';
import type { Alert } from '../alerts/index.ts';
import type { Service } from '../catalog/index.ts';
import type { DumpCollection } from '../dumps/index.ts';
import {
  describeCulprit,
  findLeaks,
  isFindingKind,
  mergeGroups,
  signatureByKind,
  type Dump,
  type Finding,
  type FindingKind,
} from '../goroutines/index.ts';
import type { ServiceMetrics } from '../metrics/index.ts';
import { appOf, formatAge, type Session, type Snapshot, type Suspect, type SuspectKind } from '../sessions/index.ts';
import { actionsFor } from './actions.ts';
import { readingOf, sessionsInDatabase } from './reading.ts';
import type { CapacityView, Evidence, Gap, ReplicaRow, Report, ReportFinding, SessionSummary, Verdict, VerdictKind } from './report.ts';

export interface BuildInput {
  service: Service;
  alert: Alert | null;
  snapshot: Snapshot | null;
  dumps: DumpCollection | null;
  metrics: ServiceMetrics | null;
  gaps: Gap[];
  growth?: Report['growth'];
  startedAt: number;
  finishedAt: number;
  deadlineMs: number;
}

const OPEN_STATES = new Set(['idle_in_transaction', 'idle_in_transaction_aborted']);

// Titles of the kinds only the database side shows; goroutine kinds carry theirs in their signature row.
const SESSION_TITLE: Record<Exclude<VerdictKind, FindingKind>, string> = {
  'open-transactions': 'Transactions left open',
  'idle-connections': 'Connections held idle',
  'long-queries': 'Long-running queries',
  'lock-contention': 'Lock contention',
  'no-leak-found': 'No leak found',
  'unmapped-alert': 'Alert for no known service',
  resolved: 'Resolved',
};

export function buildReport(input: BuildInput): Report {
  const { service, snapshot, dumps } = input;
  const replicasWithDumps = (dumps?.replicas ?? []).filter((r) => r.dump !== null) as Array<DumpCollection['replicas'][number] & { dump: Dump }>;
  const merged = mergeGroups(replicasWithDumps.map((r) => r.dump.groups));
  const goroutineFindings = findLeaks({ groups: merged });

  const addresses = new Set((dumps?.replicas ?? []).map((r) => r.address).filter((a): a is string => !!a));
  const ours = snapshot ? sessionsOfService(sessionsInDatabase(snapshot), service.name, addresses) : { sessions: [], matched: false };
  const ourIds = new Set(ours.sessions.map((s) => s.id));
  const ourSuspects = (snapshot?.suspects ?? []).filter((s) => ourIds.has(s.sessionId));
  // The dumps can prove what the database cannot: callers waiting in (*DB).conn mean the pool is
  // full, so the service's idle sessions are connections it never got back.
  const poolExhausted = goroutineFindings.some((f) => f.kind === 'pool-exhausted' || f.kind === 'pgx-acquire-wait');
  if (poolExhausted && snapshot) ourSuspects.push(...idleInExhaustedPool(ours.sessions, ourSuspects, snapshot.thresholds.minAgeMs));

  const findings: ReportFinding[] = [];
  const explained = new Set<number>();
  for (const f of goroutineFindings) findings.push(fromGoroutines(f, ours.sessions, ourSuspects, replicasWithDumps.length, explained));
  findings.push(...fromSessionsOnly(ourSuspects, explained, goroutineFindings));
  rank(findings);

  const capacity = capacityView(snapshot, input.metrics);
  const gaps = [...input.gaps, ...gapsOf(snapshot, dumps)];
  if (snapshot && !ours.matched && snapshot.sessions.length > 0) {
    gaps.push({
      source: 'sessions',
      target: service.name,
      reason: 'no session could be tied to this service by client address or application_name; sessions of the whole database are shown',
      remedy: 'set application_name to the service name in its connection string',
    });
  }
  const verdict = verdictOf(findings, capacity, input.alert);
  const report: Report = {
    id: randomUUID(),
    service: service.name,
    createdAt: new Date(input.startedAt).toISOString(),
    elapsedMs: input.finishedAt - input.startedAt,
    deadlineMs: input.deadlineMs,
    alert: input.alert,
    verdict,
    capacity,
    findings,
    replicas: replicaRows(dumps, ours.sessions),
    sessions: snapshot ? sessionSummary(snapshot, ours.sessions, ourSuspects) : null,
    growth: input.growth ?? null,
    gaps,
    actions: [],
    channel: service.slackChannel,
    reading: readingOf(snapshot, input.metrics, service.name),
  };
  report.actions = actionsFor(report, service, snapshot?.engine ?? null);
  return report;
}

function idleInExhaustedPool(sessions: Session[], known: Suspect[], minAgeMs: number): Suspect[] {
  const flagged = new Set(known.filter((s) => s.kind === 'idle_in_full_pool').map((s) => s.sessionId));
  return sessions
    .filter((s) => s.state === 'idle' && !flagged.has(s.id) && (s.stateAgeMs ?? 0) >= minAgeMs)
    .map((s) => ({
      kind: 'idle_in_full_pool' as const,
      sessionId: s.id,
      app: appOf(s),
      ageMs: s.stateAgeMs ?? 0,
      reason: `idle ${formatAge(s.stateAgeMs ?? 0)} while the service's goroutines wait for a connection: never returned to the pool`,
      fingerprint: s.fingerprint,
    }));
}

/** Sessions that come from the service's replicas or carry its name as application_name. */
function sessionsOfService(sessions: Session[], name: string, addresses: Set<string>): { sessions: Session[]; matched: boolean } {
  const lower = name.toLowerCase();
  const mine = sessions.filter(
    (s) => (s.clientAddress !== null && addresses.has(s.clientAddress)) || (s.application !== null && s.application.toLowerCase() === lower),
  );
  return mine.length > 0 ? { sessions: mine, matched: true } : { sessions, matched: false };
}

function fromGoroutines(f: Finding, sessions: Session[], suspects: Suspect[], replicaCount: number, explained: Set<number>): ReportFinding {
  const evidence: Evidence[] = [];
  const sig = signatureByKind(f.kind);
  const wait = f.waitMinutes && f.waitMinutes.max > 0 ? `, waiting ${f.waitMinutes.min}-${f.waitMinutes.max} min` : '';
  evidence.push({
    source: 'goroutines',
    text: `${f.count} goroutine${f.count === 1 ? '' : 's'} ${sig.role === 'leak' ? 'holding' : 'in'} ${sig.lead} across ${replicaCount} replica${replicaCount === 1 ? '' : 's'}${wait}`,
  });
  let confidence = f.confidence;
  let sessionIds: number[] = [];
  let fingerprints: string[] = [];
  if (f.kind === 'tx-leak') {
    const open = sessions.filter((s) => OPEN_STATES.has(s.state));
    if (open.length > 0) {
      const oldest = Math.max(...open.map((s) => s.transactionAgeMs ?? 0));
      fingerprints = topFingerprints(open);
      evidence.push({
        source: 'sessions',
        text: `${open.length} session${open.length === 1 ? '' : 's'} idle in transaction from the service (oldest ${formatAge(oldest)})${fingerprints[0] ? `, last statement \`${fingerprints[0]}\`` : ''}`,
      });
      const minutes = Math.floor(oldest / 60_000);
      if (f.waitMinutes && Math.abs(f.waitMinutes.max - minutes) <= 1) {
        evidence.push({ source: 'sessions', text: `goroutine wait (${f.waitMinutes.max} min) matches the oldest transaction age (${formatAge(oldest)})` });
      }
      sessionIds = open.map((s) => s.id);
      open.forEach((s) => explained.add(s.id));
      // Both sides agree on the leak: the count of leaked transactions is confirmed.
      if (open.length >= f.count && confidence === 'low') confidence = 'medium';
    }
  } else if (f.kind === 'rows-leak') {
    const idle = takeByFingerprint(
      suspects.filter((s) => s.kind === 'idle_in_full_pool' && !explained.has(s.sessionId)),
      f.count,
    );
    if (idle.length > 0) {
      sessionIds = idle.map((s) => s.sessionId);
      fingerprints = uniqueFingerprints(idle.map((s) => s.fingerprint));
      idle.forEach((s) => explained.add(s.sessionId));
      evidence.push({ source: 'sessions', text: `${idle.length} session${idle.length === 1 ? '' : 's'} idle while the pool is full${fingerprints[0] ? `, last statement \`${fingerprints[0]}\`` : ''}` });
    }
  }
  const culprit = f.culprit.evidence === 'none' ? null : f.culprit;
  return {
    kind: f.kind,
    count: f.count,
    confidence,
    culprit,
    summary: f.summary,
    evidence,
    waitMinutes: f.waitMinutes,
    fingerprints,
    sessionIds,
  };
}

/**
 * The idle sessions that match `count` leaked result sets: whole fingerprint groups, largest
 * first, so rows leaked elsewhere (under context.Background(), with no goroutine) stay apart.
 */
function takeByFingerprint(idle: Suspect[], count: number): Suspect[] {
  const groups = new Map<string, Suspect[]>();
  for (const s of idle) {
    const key = s.fingerprint ?? '';
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const taken: Suspect[] = [];
  for (const group of [...groups.values()].sort((a, b) => b.length - a.length)) {
    if (taken.length + group.length <= count) taken.push(...group);
  }
  return taken;
}


/** Suspects the goroutines do not explain: the database side's own findings. */
function fromSessionsOnly(suspects: Suspect[], explained: Set<number>, goroutineFindings: Finding[]): ReportFinding[] {
  const out: ReportFinding[] = [];
  const byKind = new Map<SuspectKind, Suspect[]>();
  for (const s of suspects) {
    if (explained.has(s.sessionId)) continue;
    const list = byKind.get(s.kind) ?? [];
    list.push(s);
    byKind.set(s.kind, list);
  }
  const hasGoroutineEvidence = goroutineFindings.length > 0;
  const make = (kind: VerdictKind, list: Suspect[], what: string, extra: string): ReportFinding => {
    const fingerprints = uniqueFingerprints(list.map((s) => s.fingerprint));
    const apps = [...new Set(list.map((s) => s.app))];
    const oldest = Math.max(...list.map((s) => s.ageMs));
    return {
      kind,
      count: list.length,
      confidence: fingerprints.length === 1 ? 'medium' : 'low',
      culprit: null,
      summary: `${list.length} ${what} from ${apps.slice(0, 3).join(', ')} (oldest ${formatAge(oldest)})${fingerprints[0] ? `, last statement \`${fingerprints[0]}\`` : ''}${extra}`,
      evidence: list.slice(0, 3).map((s) => ({ source: 'sessions' as const, text: s.reason })),
      waitMinutes: null,
      fingerprints,
      sessionIds: list.map((s) => s.sessionId),
    };
  };
  const open = byKind.get('open_transaction');
  if (open) out.push(make('open-transactions', open, open.length === 1 ? 'transaction left open' : 'transactions left open', ''));
  const idle = byKind.get('idle_in_full_pool');
  if (idle) {
    out.push(
      make(
        'idle-connections',
        idle,
        idle.length === 1 ? 'connection held idle while the pool is full' : 'connections held idle while the pool is full',
        hasGoroutineEvidence ? ': no goroutine holds them, so rows or connections were never returned (e.g. rows under context.Background())' : '',
      ),
    );
  }
  const long = byKind.get('long_query');
  if (long) out.push(make('long-queries', long, long.length === 1 ? 'long-running query' : 'long-running queries', ''));
  const waiters = byKind.get('lock_waiter');
  if (waiters) out.push(make('lock-contention', waiters, waiters.length === 1 ? 'session waiting for a lock' : 'sessions waiting for locks', ''));
  return out;
}

const KIND_RANK: VerdictKind[] = [
  'tx-leak',
  'rows-leak',
  'open-transactions',
  'idle-connections',
  'http-body-leak',
  'goroutine-leak',
  'pool-exhausted',
  'pgx-acquire-wait',
  'lock-contention',
  'long-queries',
  'stuck-in-query',
];

function rank(findings: ReportFinding[]): void {
  const conf = { high: 0, medium: 1, low: 2 } as const;
  findings.sort((a, b) => KIND_RANK.indexOf(a.kind) - KIND_RANK.indexOf(b.kind) || b.count - a.count || conf[a.confidence] - conf[b.confidence]);
}

function topFingerprints(sessions: Session[]): string[] {
  return uniqueFingerprints(sessions.map((s) => s.fingerprint));
}

/** Distinct fingerprints, most frequent first. */
function uniqueFingerprints(list: Array<string | null>): string[] {
  const counts = new Map<string, number>();
  for (const f of list) if (f) counts.set(f, (counts.get(f) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([f]) => f);
}

function verdictOf(findings: ReportFinding[], capacity: CapacityView, alert: Alert | null): Verdict {
  if (alert?.state === 'resolved') {
    return { kind: 'resolved', headline: `Resolved: ${alert.name} is back to normal`, culprit: null, confidence: 'high' };
  }
  const top = findings[0];
  const load = capacity.maxConnections !== null && capacity.inUse !== null ? ` (database ${capacity.full ? 'FULL, ' : ''}${capacity.inUse}/${capacity.available ?? capacity.maxConnections} connections)` : '';
  if (!top) {
    return { kind: 'no-leak-found', headline: `No leak found${load}`, culprit: null, confidence: 'low' };
  }
  const who = top.culprit ? describeCulprit(top.culprit) : null;
  const title = titleOf(top.kind);
  const what = who ? `${title} in ${who}` : title;
  const detail = top.culprit ? `${top.count} ${unitOf(top)}` : top.summary;
  return { kind: top.kind, headline: `${what}: ${detail}${load}`, culprit: top.culprit, confidence: top.confidence };
}

function titleOf(kind: VerdictKind): string {
  return isFindingKind(kind) ? signatureByKind(kind).title : SESSION_TITLE[kind];
}

function unitOf(f: ReportFinding): string {
  if (!isFindingKind(f.kind)) return 'sessions';
  const sig = signatureByKind(f.kind);
  return `${f.count === 1 ? sig.what.one : sig.what.many} ${sig.what.verb}`;
}

function capacityView(snapshot: Snapshot | null, metrics: ServiceMetrics | null): CapacityView {
  const c = snapshot?.capacity ?? null;
  const trend = metrics?.trend ?? null;
  const elb = metrics?.elb504?.points.reduce((n, p) => n + p.value, 0) ?? null;
  return {
    engine: snapshot?.engine ?? null,
    maxConnections: c?.maxConnections ?? trend?.maxConnections ?? null,
    available: c?.availableToApplications ?? null,
    inUse: c?.inUse ?? trend?.current ?? null,
    free: c?.free ?? null,
    full: c?.full ?? (snapshot?.problems.some((p) => p.kind === 'database_full') ?? false),
    growthPerMinute: trend?.slopePerMinute ?? null,
    minutesToExhaustion: c?.full ? 0 : (trend?.minutesToMax ?? null),
    elb504: elb,
  };
}

function gapsOf(snapshot: Snapshot | null, dumps: DumpCollection | null): Gap[] {
  const gaps: Gap[] = [];
  for (const p of snapshot?.problems ?? []) gaps.push({ source: 'sessions', target: snapshot!.target, reason: p.message, remedy: p.remedy });
  for (const g of dumps?.gaps ?? []) gaps.push({ source: 'dumps', target: g.target, reason: g.reason });
  return gaps;
}

function replicaRows(dumps: DumpCollection | null, sessions: Session[]): ReplicaRow[] {
  return (dumps?.replicas ?? []).map((r) => {
    const own = r.address ? sessions.filter((s) => s.clientAddress === r.address) : [];
    const open = own.filter((s) => OPEN_STATES.has(s.state));
    // Classify each replica once; the columns are sums over its findings.
    const findings = r.dump ? findLeaks({ groups: r.dump.groups }) : [];
    const count = (kind: Finding['kind']) => findings.filter((f) => f.kind === kind).reduce((n, f) => n + f.count, 0);
    return {
      replica: r.replica,
      address: r.address,
      source: r.source,
      status: r.gap ? r.gap.reason : 'ok',
      goroutines: r.dump?.goroutines ?? null,
      leakedTransactions: count('tx-leak'),
      leakedRows: count('rows-leak'),
      poolWaiters: count('pool-exhausted') + count('pgx-acquire-wait'),
      sessions: own.length,
      idleInTransaction: open.length,
      oldestTransactionMs: open.length ? Math.max(...open.map((s) => s.transactionAgeMs ?? 0)) : null,
    };
  });
}

function sessionSummary(snapshot: Snapshot, ours: Session[], suspects: Suspect[]): SessionSummary {
  const open = ours.filter((s) => OPEN_STATES.has(s.state));
  const byKind = new Map<string, { kind: SuspectKind; count: number; oldestMs: number; fingerprint: string | null; app: string }>();
  for (const s of suspects) {
    const key = `${s.kind}\u0000${s.app}\u0000${s.fingerprint ?? ''}`;
    const e = byKind.get(key) ?? { kind: s.kind, count: 0, oldestMs: 0, fingerprint: s.fingerprint, app: s.app };
    e.count++;
    e.oldestMs = Math.max(e.oldestMs, s.ageMs);
    byKind.set(key, e);
  }
  return {
    total: snapshot.sessions.length,
    ofService: ours.length,
    idleInTransaction: open.filter((s) => s.state === 'idle_in_transaction').length,
    idleInTransactionAborted: open.filter((s) => s.state === 'idle_in_transaction_aborted').length,
    oldestTransactionMs: open.length ? Math.max(...open.map((s) => s.transactionAgeMs ?? 0)) : null,
    suspects: [...byKind.values()].sort((a, b) => b.count - a.count),
  };
}

