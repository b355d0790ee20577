// Reading back what a restart saved as evidence (report.json above all), through the evidence
// store that wrote it (lib/remediation/evidence.ts): a directory locally, the bucket in production.
import type { EvidenceStore } from '../remediation/index.ts';

export interface EvidenceReader {
  /** The item's text, or null when there is none. */
  get(incidentId: string, name: string): Promise<string | null>;
  /** Names of the items saved for the incident. */
  list(incidentId: string): Promise<string[]>;
}

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._:%-]{0,299}$/;
const usable = (incidentId: string, name = 'x') => SAFE.test(incidentId) && !incidentId.includes('..') && SAFE.test(name) && !name.includes('..');
/** Evidence files are small (a Report, a snapshot); a larger one is not read whole here. */
const MAX_BYTES = 16 * 1024 * 1024;

/** The postmortem's view of an evidence store: text items, and an id that is not one reads as nothing. */
export function evidenceReaderOf(store: Required<Pick<EvidenceStore, 'get' | 'list'>>): EvidenceReader {
  return {
    async get(incidentId, name) {
      if (!usable(incidentId, name)) return null;
      const bytes = await store.get(incidentId, name);
      return bytes && bytes.byteLength <= MAX_BYTES ? Buffer.from(bytes).toString('utf8') : null;
    },
    async list(incidentId) {
      return usable(incidentId) ? store.list(incidentId) : [];
    },
  };
}
