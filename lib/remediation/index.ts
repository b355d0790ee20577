// Public surface of remediation: executors, evidence, restart/terminate orchestration, verification.
export * from './executor.ts';
export { KubernetesExecutor, rolloutState, RESTARTED_AT_ANNOTATION, STRATEGIC_MERGE_PATCH, type KubernetesExecutorOptions } from './kubernetes.ts';
export { EcsExecutor, type EcsExecutorOptions } from './ecs.ts';
export { CommandExecutor, type CommandExecutorOptions } from './command.ts';
export {
  S3EvidenceStore,
  DirectoryEvidenceStore,
  saveEvidence,
  type EvidenceStore,
  type EvidenceLink,
  type EvidenceItem,
  type PutEvidenceOptions,
  type SavedEvidence,
  type S3EvidenceStoreOptions,
} from './evidence.ts';
export { runRestart, BOT_ACTOR, type RunRestartInput, type RunRestartResult, type SkipReason } from './restart.ts';
export { runTerminate, type RunTerminateInput, type RunTerminateResult } from './end-sessions.ts';
export {
  evaluateVerification,
  scheduleVerification,
  runVerificationCheck,
  DEFAULT_THRESHOLDS,
  DEFAULT_VERIFICATION,
  type Verdict,
  type VerificationVerdict,
  type MetricComparison,
  type VerificationThresholds,
  type VerificationPlan,
  type VerificationCheck,
} from './verify.ts';
// The approval policy lives with the store's approvals; re-exported for the Slack side.
export { decideApproval, type ApprovalDecision, type ApprovalRefusal } from '../store/index.ts';
