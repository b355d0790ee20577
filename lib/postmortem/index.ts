// Public surface of the postmortem draft.
export { draftPostmortem, formatDuration, type Postmortem, type PostmortemInput } from './draft.ts';
export { followUpsFor } from './follow-ups.ts';
export { generatePostmortem, findIncident, POSTMORTEM_FILE, type PostmortemDeps, type PostmortemResult } from './generate.ts';
export { evidenceReaderOf, type EvidenceReader } from './evidence.ts';
