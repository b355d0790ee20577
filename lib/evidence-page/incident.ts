// The page of an incident, as the worker writes it: first with the evidence saved before a
// restart (the timeline so far, the graph), then again after the final verification check, from
// the evidence already stored, with the readings after the remedy and the whole timeline.
import type { ReplicaDump } from '../dumps/index.ts';
import type { EvidenceItem, EvidenceLink, EvidenceStore } from '../remediation/index.ts';
import type { Snapshot } from '../sessions/index.ts';
import type { Store } from '../store/index.ts';
import type { Report } from '../triage/index.ts';
import type { EvidenceParts } from '../triage/index.ts';
import { PAGE_CONTENT_TYPE, PAGE_NAME } from './link.ts';
import type { PageReading, PageReplica } from './model.ts';
import { renderEvidencePage } from './render.ts';

export const GRAPH_NAME = 'graph.png';

export interface IncidentPageDeps {
  store: Pick<Store, 'getIncident' | 'listAudit'>;
  /** The metric graph (GetMetricWidgetImage), when there is CloudWatch. */
  graph?: (report: Report) => Promise<Uint8Array | null>;
}

const replicasOf = (dumps: ReadonlyArray<Pick<ReplicaDump, 'replica' | 'address' | 'capturedAt' | 'dump'>>): PageReplica[] =>
  dumps.map((r) => ({ replica: r.replica, address: r.address, capturedAt: r.capturedAt, dump: r.dump }));

/** The page (and the graph beside it) from the evidence just gathered before a remedy. */
export async function incidentPageItems(deps: IncidentPageDeps, incidentId: string | null, parts: EvidenceParts): Promise<EvidenceItem[]> {
  const graph = deps.graph ? await deps.graph(parts.report).catch(() => null) : null;
  const html = await renderIncident(deps, incidentId, {
    report: parts.report,
    snapshot: parts.snapshot,
    replicas: replicasOf(parts.dumps?.replicas ?? []),
    graph,
    readings: [],
  });
  return [{ name: PAGE_NAME, body: html, contentType: PAGE_CONTENT_TYPE }, ...(graph ? [{ name: GRAPH_NAME, body: graph, contentType: 'image/png' }] : [])];
}

async function renderIncident(
  deps: IncidentPageDeps,
  incidentId: string | null,
  p: { report: Report; snapshot: Snapshot | null; replicas: PageReplica[]; graph: Uint8Array | null; readings: PageReading[] },
): Promise<string> {
  const [incident, audit] = incidentId ? await Promise.all([deps.store.getIncident(incidentId), deps.store.listAudit(incidentId)]) : [null, []];
  return renderEvidencePage({ report: p.report, incident, audit, snapshot: p.snapshot, replicas: p.replicas, graphPng: p.graph, readings: p.readings });
}

/**
 * Re-writes the stored page with what happened since: the readings after the remedy and the
 * audit log to now. Null when the evidence store cannot read back or no Report was saved.
 */
export async function rewriteIncidentPage(deps: IncidentPageDeps & { evidence: EvidenceStore }, incidentId: string, readings: PageReading[]): Promise<EvidenceLink | null> {
  const get = deps.evidence.get?.bind(deps.evidence);
  if (!get) return null;
  const text = async (name: string) => {
    const bytes = await get(incidentId, name);
    return bytes ? Buffer.from(bytes).toString('utf8') : null;
  };
  const [report, sessions, dumps, graph] = await Promise.all([text('report.json'), text('sessions.json'), text('dumps.json'), get(incidentId, GRAPH_NAME)]);
  if (!report) return null;
  const html = await renderIncident(deps, incidentId, {
    report: JSON.parse(report) as Report,
    snapshot: sessions ? (JSON.parse(sessions) as Snapshot) : null,
    replicas: dumps ? replicasOf(JSON.parse(dumps) as PageReplica[]) : [],
    graph,
    readings,
  });
  return deps.evidence.put(incidentId, PAGE_NAME, html, { contentType: PAGE_CONTENT_TYPE });
}
