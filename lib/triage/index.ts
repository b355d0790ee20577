// Public surface of triage: gather evidence under one deadline, correlate, produce a Report.
export type * from './report.ts';
export { triageService, triageAlert, unmappedReport, type TriageOptions } from './triage.ts';
export { buildReport, type BuildInput } from './build.ts';
export type { GatherDeps, Progress, Stage } from './gather.ts';
export { alignColumns, poolerLines, replicaTableRows, restsOnSentence, sessionsSentence } from './present.ts';
export { collectEvidence, readVerification } from './remediation-inputs.ts';
export type { EvidenceParts } from './remediation-inputs.ts';
