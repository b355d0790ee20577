// "Silence 1 h" lives in the audit log (the record of who silenced what, until when), so the
// store needs no extra table and every silence is accounted for.
import type { AuditEntry, Store } from '../../store/index.ts';

export const SILENCE_ACTION = 'incident.silenced';
export const SILENCE_MINUTES = 60;

export const silenceResult = (until: Date): string => `until ${until.toISOString()}`;

/** When the newest silence of the incident ends, or null when it is not silenced now. */
export async function silencedUntil(store: Pick<Store, 'listAudit'>, incidentId: string, now: number = Date.now()): Promise<Date | null> {
  const entries = await store.listAudit(incidentId);
  return untilOf(entries, now);
}

export function untilOf(entries: readonly AuditEntry[], now: number): Date | null {
  let until: number | null = null;
  for (const e of entries) {
    if (e.action !== SILENCE_ACTION) continue;
    const m = /^until (\S+)$/.exec(e.result);
    const t = m ? Date.parse(m[1]!) : NaN;
    if (Number.isFinite(t) && t > now && (until === null || t > until)) until = t;
  }
  return until === null ? null : new Date(until);
}
