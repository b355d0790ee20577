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
import { applicationOf, attributeSessions, type AttributedBy, type AttributedSession } from './attribution.ts';
import { readingOf, sessionsInDatabase } from './reading.ts';
import { attachCommentRoutes } from './sql-route.ts';
import { poolFindings, poolGaps, poolSummaries } from './pool-findings.ts';
import { poolerEvidence, replicaByAddress, seeThrough } from './pooler-evidence.ts';
import type { PoolerReadings } from '../pooler/index.ts';
import type {
  CapacityView,
  Evidence,
  EvidenceRead,
  Gap,
  ReplicaRow,
  Report,
  ReportFinding,
  SessionAttribution,
  SessionSummary,
  Verdict,
  VerdictKind,
} from './report.ts';
import { traitsOf } from './kinds.ts';

export interface BuildInput {
  service: Service;
  alert: Alert | null;
  snapshot: Snapshot | null;
  dumps: DumpCollection | null;
  metrics: ServiceMetrics | null;
  gaps: Gap[];
  /** PgBouncer / RDS Proxy readings, when the catalog names a pooler. */
  poolers?: PoolerReadings | null;
  growth?: Report['growth'];
  startedAt: number;
  finishedAt: number;
  deadlineMs: number;
}

const OPEN_STATES = new Set(['idle_in_transaction', 'idle_in_transaction_aborted']);

export function buildReport(input: BuildInput): Report {
  const { service, dumps } = input;
  // Behind PgBouncer, each pooled backend is shown with its client's address and name.
  const replicaOf = replicaByAddress(dumps);
  const seen = seeThrough(input.snapshot, input.poolers, replicaOf);
  const snapshot = seen.snapshot;
  const replicasWithDumps = (dumps?.replicas ?? []).filter((r) => r.dump !== null) as Array<DumpCollection['replicas'][number] & { dump: Dump }>;
  const merged = mergeGroups(replicasWithDumps.map((r) => r.dump.groups));
  const goroutineFindings = findLeaks({ groups: merged });

  const addresses = new Set((dumps?.replicas ?? []).map((r) => r.address).filter((a): a is string => !!a));
  const attributed = snapshot ? attributeSessions(sessionsInDatabase(snapshot), service.applicationNames, addresses) : [];
  const ours = attributed.map((a) => a.session);
  const ourIds = new Set(ours.map((s) => s.id));
  const ourSuspects = (snapshot?.suspects ?? []).filter((s) => ourIds.has(s.sessionId));
  // The dumps can prove what the database cannot: callers waiting in (*DB).conn mean the pool is
  // full, so the service's idle sessions are connections it never got back.
  const poolExhausted = goroutineFindings.some((f) => signatureByKind(f.kind).poolWait);
  if (poolExhausted && snapshot) ourSuspects.push(...idleInExhaustedPool(ours, ourSuspects, snapshot.thresholds.minAgeMs));

  const perReplica = new Map(replicasWithDumps.map((r) => [r, findLeaks({ groups: r.dump.groups })] as const));
  const attribution = attributionOf(attributed, replicasWithDumps, perReplica);
  const certain = new Set(attribution.filter((a) => a.offered).map((a) => a.id));

  const findings: ReportFinding[] = [];
  const explained = new Set<number>();
  const byId = new Map(attributed.map((a) => [a.session.id, a.by] as const));
  const howTied = (ids: number[]): string => describeTies(ids.map((id) => byId.get(id)!), service.applicationNames);
  for (const f of goroutineFindings) findings.push(fromGoroutines(f, ours, ourSuspects, replicasWithDumps.length, explained, howTied));
  findings.push(...fromSessionsOnly(ourSuspects, explained, goroutineFindings, howTied));
  for (const f of findings) {
    const uncertain = f.sessionIds.filter((id) => !certain.has(id));
    if (uncertain.length === 0) continue;
    f.sessionIds = f.sessionIds.filter((id) => certain.has(id));
    addEvidence(f, {
      source: 'sessions',
      text: `${uncertain.length} of its sessions ${uncertain.length === 1 ? 'is' : 'are'} tied to the service only by client address, with no pprof evidence from that replica: not offered for termination`,
    });
  }
  const pools = poolSummaries(dumps);
  findings.push(...poolFindings(findings, pools));
  attachCommentRoutes(findings, ours);
  rank(findings);
  const pooler = poolerEvidence(findings, input.poolers, seen.links, ourIds, replicaOf);

  const capacity = capacityView(snapshot, input.metrics);
  const gaps = [...input.gaps, ...gapsOf(snapshot, dumps), ...poolGaps(dumps)];
  if (snapshot && attributed.length === 0 && snapshot.sessions.length > 0) {
    gaps.push({
      source: 'sessions',
      target: service.name,
      reason: `no session on the database names this service (application_name ${service.applicationNames.join(' or ')}) or comes, unnamed, from one of its replicas' addresses`,
      remedy: 'set application_name to the service name in its connection string (or list the names it uses under applicationName in the catalog)',
    });
  }
  const evidence = evidenceRead(snapshot, dumps, gaps);
  const verdict = verdictOf(findings, capacity, input.alert, evidence);
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
    replicas: replicaRows(dumps, ours, perReplica).map((row, i) => ({ ...row, pool: pools.get(dumps!.replicas[i]!) ?? null })),
    sessions: snapshot ? sessionSummary(snapshot, ours, ourSuspects, attribution) : null,
    growth: input.growth ?? null,
    gaps,
    actions: [],
    channel: service.slackChannel,
    reading: readingOf(snapshot, input.metrics, service.applicationNames),
    ...(pooler ? { pooler } : {}),
  };
  report.actions = actionsFor(report, service, snapshot?.engine ?? null);
  return report;
}

type ReadReplica = DumpCollection['replicas'][number] & { dump: Dump };


/**
 * How each of the service's sessions was tied to it, and whether that is certain enough to end
 * it: by application_name always; by client address only when that replica's dump shows a
 * database leak of its own (an unnamed session from a shared address could be anyone's).
 */
function attributionOf(attributed: AttributedSession[], replicas: ReadReplica[], perReplica: Map<ReadReplica, Finding[]>): SessionAttribution[] {
  const leaking = new Set<string>();
  for (const r of replicas) if (r.address && perReplica.get(r)!.some((f) => signatureByKind(f.kind).databaseLeak)) leaking.add(r.address);
  return attributed.map(({ session, by }) => ({
    id: session.id,
    by,
    application: session.application,
    clientAddress: session.clientAddress,
    state: session.state,
    offered: by === 'application_name' || (session.clientAddress !== null && leaking.has(session.clientAddress)),
  }));
}

/** Adds a line of evidence unless the finding already says exactly that. */
function addEvidence(f: Pick<ReportFinding, 'evidence'>, e: Evidence): void {
  if (!f.evidence.some((x) => x.source === e.source && x.text === e.text)) f.evidence.push(e);
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


function fromGoroutines(
  f: Finding,
  sessions: Session[],
  suspects: Suspect[],
  replicaCount: number,
  explained: Set<number>,
  howTied: (ids: number[]) => string,
): ReportFinding {
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
    // Sessions already claimed by a larger tx-leak finding are not counted (and printed) again.
    const open = sessions.filter((s) => OPEN_STATES.has(s.state) && !explained.has(s.id));
    if (open.length > 0) {
      const oldest = Math.max(...open.map((s) => s.transactionAgeMs ?? 0));
      fingerprints = topFingerprints(open);
      evidence.push({
        source: 'sessions',
        text: `${open.length} session${open.length === 1 ? '' : 's'} idle in transaction from the service (oldest ${formatAge(oldest)}; ${howTied(open.map((s) => s.id))})${fingerprints[0] ? `, last statement \`${fingerprints[0]}\`` : ''}`,
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
      evidence.push({
        source: 'sessions',
        text: `${idle.length} session${idle.length === 1 ? '' : 's'} idle while the pool is full (${howTied(sessionIds)})${fingerprints[0] ? `, last statement \`${fingerprints[0]}\`` : ''}`,
      });
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
function fromSessionsOnly(suspects: Suspect[], explained: Set<number>, goroutineFindings: Finding[], howTied: (ids: number[]) => string): ReportFinding[] {
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
      evidence: [...sampleReasons(list), { source: 'sessions' as const, text: `tied to the service ${howTied(list.map((s) => s.sessionId))}` }],
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

/** Up to three distinct reasons, oldest first: the same sentence is never printed twice. */
function sampleReasons(list: Suspect[]): Evidence[] {
  const seen = new Set<string>();
  const out: Evidence[] = [];
  for (const s of [...list].sort((a, b) => b.ageMs - a.ageMs)) {
    if (seen.has(s.reason)) continue;
    seen.add(s.reason);
    out.push({ source: 'sessions', text: s.reason });
    if (out.length === 3) break;
  }
  return out;
}

/** "by application_name billing-api" / "2 by application_name billing-api, 1 by client address only". */
function describeTies(ties: AttributedBy[], applicationNames: readonly string[]): string {
  const byName = ties.filter((t) => t === 'application_name').length;
  const byAddress = ties.length - byName;
  const name = `application_name ${applicationNames.join('/')}`;
  if (byAddress === 0) return `by ${name}`;
  if (byName === 0) return 'by client address only: they set no application_name';
  return `${byName} by ${name}, ${byAddress} by client address only`;
}

function rank(findings: ReportFinding[]): void {
  const conf = { high: 0, medium: 1, low: 2 } as const;
  findings.sort((a, b) => traitsOf(a.kind).rank - traitsOf(b.kind).rank || b.count - a.count || conf[a.confidence] - conf[b.confidence]);
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

/** What the verdict can rest on: the database read or not, how many replicas' dumps were read. */
function evidenceRead(snapshot: Snapshot | null, dumps: DumpCollection | null, gaps: Gap[]): EvidenceRead {
  const sessions = snapshot !== null && !snapshot.problems.some((p) => p.fatal);
  const replicas = dumps?.replicas ?? [];
  const dumpsRead = replicas.filter((r) => r.dump !== null).length;
  const unread: string[] = [];
  if (!sessions) {
    const why = snapshot?.problems.find((p) => p.fatal)?.message ?? gaps.find((g) => g.source === 'sessions' || g.source === 'catalog' || g.target === 'sessions')?.reason;
    unread.push(`the database${why ? ` (${why})` : ''}`);
  }
  if (dumpsRead === 0) {
    const why = replicas.find((r) => r.gap)?.gap?.reason ?? dumps?.gaps[0]?.reason ?? gaps.find((g) => g.source === 'dumps' || g.target === 'dumps')?.reason;
    const which = replicas.length > 1 ? `the dumps of all ${replicas.length} replicas` : 'the dumps';
    unread.push(`${which}${why ? ` (${why})` : ''}`);
  }
  return { sessions, dumpsRead, dumpsTotal: replicas.length, unread };
}

function verdictOf(findings: ReportFinding[], capacity: CapacityView, alert: Alert | null, read: EvidenceRead): Verdict {
  if (alert?.state === 'resolved') {
    return { kind: 'resolved', headline: `Resolved: ${alert.name} is back to normal`, culprit: null, confidence: 'high', restsOn: read };
  }
  const top = findings[0];
  const load = capacity.maxConnections !== null && capacity.inUse !== null ? ` (database ${capacity.full ? 'FULL, ' : ''}${capacity.inUse}/${capacity.available ?? capacity.maxConnections} connections)` : '';
  const replicas = `${read.dumpsRead === read.dumpsTotal ? 'all' : `${read.dumpsRead} of`} ${read.dumpsTotal} replica${read.dumpsTotal === 1 ? '' : 's'}`;
  if (!top) {
    // The all-clear only over evidence that was read: the database and at least one dump.
    if (read.sessions && read.dumpsRead > 0) {
      return {
        kind: 'no-leak-found',
        headline: `No leak found in the database sessions or the dumps of ${replicas}${load}`,
        culprit: null,
        confidence: read.dumpsRead === read.dumpsTotal ? 'medium' : 'low',
        restsOn: read,
      };
    }
    const partial = read.sessions ? '; the database sessions show no leak' : read.dumpsRead > 0 ? `; the dumps of ${replicas} show no leak` : '';
    return { kind: 'unknown', headline: `Unknown: could not read ${read.unread.join(' or ')}${partial}${load}`, culprit: null, confidence: 'low', restsOn: read };
  }
  const who = top.culprit ? describeCulprit(top.culprit) : null;
  const title = titleOf(top.kind);
  const what = who ? `${title} in ${who}` : title;
  const detail = top.culprit ? `${top.count} ${unitOf(top)}` : top.summary;
  // Partial evidence: say what the verdict rests on.
  const basis = !read.sessions ? ' [from the dumps alone: the database could not be read]' : read.dumpsRead === 0 ? ' [from the database alone: no dump could be read]' : '';
  return { kind: top.kind, headline: `${what}: ${detail}${load}${basis}`, culprit: top.culprit, confidence: top.confidence, restsOn: read };
}

function titleOf(kind: VerdictKind): string {
  return traitsOf(kind).title;
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

function replicaRows(dumps: DumpCollection | null, sessions: Session[], perReplica: Map<ReadReplica, Finding[]>): ReplicaRow[] {
  // Sessions by client address in one pass: filtering all sessions once per replica was
  // replicas × sessions comparisons (2.5 M for 500 replicas and 5,000 sessions, every Report).
  const byAddress = new Map<string, Session[]>();
  for (const s of sessions) {
    if (s.clientAddress === null) continue;
    const list = byAddress.get(s.clientAddress);
    if (list) list.push(s);
    else byAddress.set(s.clientAddress, [s]);
  }
  return (dumps?.replicas ?? []).map((r) => {
    const own = r.address ? (byAddress.get(r.address) ?? []) : [];
    const open = own.filter((s) => OPEN_STATES.has(s.state));
    // Each replica is classified once (in buildReport); the columns are sums over its findings.
    const findings = perReplica.get(r as ReadReplica) ?? [];
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

function sessionSummary(snapshot: Snapshot, ours: Session[], suspects: Suspect[], attribution: SessionAttribution[]): SessionSummary {
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
    attribution,
    otherApplications: otherApplications(sessionsInDatabase(snapshot), new Set(ours.map((s) => s.id))),
  };
}

/** Who else holds sessions on the database, largest first: on a shared database, the others' share. */
function otherApplications(sessions: Session[], ours: Set<number>): SessionSummary['otherApplications'] {
  const byApp = new Map<string, { application: string; sessions: number; idleInTransaction: number }>();
  for (const s of sessions) {
    if (ours.has(s.id)) continue;
    const key = applicationOf(s) ?? `(unnamed${s.clientAddress ? ` from ${s.clientAddress}` : ''})`;
    const e = byApp.get(key) ?? { application: key, sessions: 0, idleInTransaction: 0 };
    e.sessions++;
    if (OPEN_STATES.has(s.state)) e.idleInTransaction++;
    byApp.set(key, e);
  }
  return [...byApp.values()].sort((a, b) => b.sessions - a.sessions || (a.application < b.application ? -1 : 1)).slice(0, 5);
}

