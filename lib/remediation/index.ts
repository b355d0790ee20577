// Public surface of remediation: executors, evidence, restart/terminate orchestration, verification.
export * from './executor.ts';
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
export { BOT_ACTOR } from './approved-run.ts';
export { runRestart, type RunRestartInput, type RunRestartResult, type SkipReason } from './restart.ts';
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
// Who may approve (pure; the Slack side asks it before it records a decision)
export { decideApproval, type ApprovalDecision, type ApprovalRefusal, type DecideApprovalInput } from './approval-policy.ts';
export { ecsExecutorOnFirstUse, kubernetesExecutorOnFirstUse } from './on-first-use.ts';
export type { EcsExecutorOptions } from './ecs.ts';
export type { KubernetesExecutorOptions } from './kubernetes.ts';
