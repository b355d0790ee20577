// Gathering a postmortem's inputs (the incident, its audit log, the Report saved as evidence),
// drafting it, and saving it beside the evidence as POSTMORTEM.md. Shared by the CLI, the worker
// (the Slack command and button) and the dev console.
import type { EvidenceLink, EvidenceStore } from '../remediation/index.ts';
import type { Incident, Store } from '../store/index.ts';
import type { Report } from '../triage/index.ts';
import { draftPostmortem, type Postmortem } from './draft.ts';
import type { EvidenceReader } from './evidence.ts';

export const POSTMORTEM_FILE = 'POSTMORTEM.md';
/** Incident kinds (the alarm signals) a service's incidents are filed under. */
const KINDS = ['db-connections-high', 'lb-5xx', 'other'] as const;

export interface PostmortemDeps {
  store: Pick<Store, 'getIncident' | 'currentIncident' | 'listAudit'>;
  evidence: EvidenceReader | null;
  /** Where the draft is saved (the evidence store); null: not saved. */
  save: EvidenceStore | null;
  now?: () => number;
}

export type PostmortemResult =
  | { ok: true; incident: Incident; postmortem: Postmortem; saved: EvidenceLink | null; problems: string[] }
  | { ok: false; error: string };

/** An incident id, or a service name (its latest incident, open or resolved). */
export async function findIncident(store: PostmortemDeps['store'], target: string): Promise<Incident | null> {
  const byId = await store.getIncident(target).catch(() => null);
  if (byId) return byId;
  const latest = await Promise.all(KINDS.map((k) => store.currentIncident(target, k)));
  return latest.filter((i): i is Incident => i !== null).sort((a, b) => b.firstSeen.localeCompare(a.firstSeen))[0] ?? null;
}

function parseReport(text: string | null): Report | null {
  if (!text) return null;
  try {
    const r = JSON.parse(text) as Report;
    return r && typeof r === 'object' && r.verdict && typeof r.verdict.headline === 'string' ? r : null;
  } catch {
    return null;
  }
}

export async function generatePostmortem(deps: PostmortemDeps, target: string): Promise<PostmortemResult> {
  const incident = await findIncident(deps.store, target);
  if (!incident) return { ok: false, error: `no incident "${target}" (give an incident id, or a service with an incident in the store)` };
  const problems: string[] = [];
  const [audit, names, reportText] = await Promise.all([
    deps.store.listAudit(incident.id),
    deps.evidence ? deps.evidence.list(incident.id).catch((err: unknown) => (problems.push(`evidence list: ${(err as Error).message}`), [])) : Promise.resolve([]),
    deps.evidence ? deps.evidence.get(incident.id, 'report.json').catch((err: unknown) => (problems.push(`report.json: ${(err as Error).message}`), null)) : Promise.resolve(null),
  ]);
  const report = parseReport(reportText);
  if (!report) problems.push('no report.json in the evidence: root cause and impact are left to fill in');
  const postmortem = draftPostmortem({
    incident,
    audit,
    report,
    evidence: names.filter((n) => n !== POSTMORTEM_FILE).map((name) => ({ name, location: name })),
    now: (deps.now ?? Date.now)(),
  });
  let saved: EvidenceLink | null = null;
  if (deps.save) {
    try {
      saved = await deps.save.put(incident.id, POSTMORTEM_FILE, postmortem.markdown, { contentType: 'text/markdown; charset=utf-8' });
    } catch (err) {
      problems.push(`could not save ${POSTMORTEM_FILE}: ${(err as Error).message}`);
    }
  }
  return { ok: true, incident, postmortem, saved, problems };
}
