// The restart job, after a human approved it. Order matters and is enforced here:
//   1. the approval must be `approved`, and this run must win `approved → executing` (a retried
//      or duplicated job finds it `executing` and stops: one approval, at most one restart);
//   2. evidence is saved BEFORE the restart, which destroys it;
//   3. restart, record done/failed on the approval, audit every step;
//   4. schedule the delayed verification.
// What runs is what was approved (the target stored on the approval), not today's catalog.
import type { RestartTarget } from '../catalog/model.ts';
import type { JobQueue } from '../jobs/index.ts';
import { redact } from '../redact/index.ts';
import type { Approval, ApprovalState, Store } from '../store/index.ts';
import { deadlineMs, describeTarget, executorFor, type Executor, type Executors, type RestartProgress, type RestartResult } from './executor.ts';
import { saveEvidence, type EvidenceItem, type EvidenceStore, type SavedEvidence } from './evidence.ts';
import { scheduleVerification, type VerificationPlan } from './verify.ts';

export const BOT_ACTOR = 'leakhound';

export interface RunRestartInput {
  store: Store;
  queue: JobQueue;
  /** Executors by platform (or one function choosing). */
  executors: Executors | ((target: RestartTarget) => Executor | null);
  evidence: EvidenceStore;
  approvalId: string;
  /** Gathers what the restart would destroy (dumps, session snapshot, the Report). */
  collectEvidence: () => Promise<EvidenceItem[]>;
  /** The whole run (evidence + restart) ends by then. */
  deadline: number | Date;
  /** Evidence collection gets at most this long (and never past the deadline). Default 30 s. */
  evidenceTimeoutMs?: number;
  /** Refuse to restart when no evidence could be saved. Default false: the outage wins. */
  requireEvidence?: boolean;
  /** null: no verification job. */
  verification: VerificationPlan | null;
  onProgress?: (progress: RestartProgress) => void;
  /** Audit actor for the bot's own steps. */
  actor?: string;
  now?: () => number;
}

export type SkipReason = 'not-found' | 'not-a-restart' | 'not-approved' | 'already-claimed';

export type RunRestartResult =
  | { status: 'skipped'; reason: SkipReason; state: ApprovalState | null; message: string }
  | {
      status: 'done' | 'failed';
      approval: Approval;
      result: RestartResult;
      evidence: SavedEvidence;
      verifyJobId: string | null;
    };

export async function runRestart(input: RunRestartInput): Promise<RunRestartResult> {
  const actor = input.actor ?? BOT_ACTOR;
  const now = input.now ?? Date.now;
  const deadline = deadlineMs(input.deadline);
  const { store } = input;

  const approval = await store.getApproval(input.approvalId);
  if (!approval) return skipped('not-found', null, `approval ${input.approvalId} not found (expired or never made)`);
  if (approval.subject.action !== 'restart') return skipped('not-a-restart', approval.state, `approval ${approval.id} is for ${approval.subject.action}, not restart`);
  if (approval.state !== 'approved') return skipped('not-approved', approval.state, `approval ${approval.id} is ${approval.state}, not approved`);

  const target = approval.subject.target;
  const what = describeTarget(target);
  const audit = (action: string, result: string) =>
    store.appendAudit({ actor, action, target: what, incidentId: approval.incidentId, result: redact(result).slice(0, 2000), at: now() });

  const claimed = await store.transition(approval.id, 'approved', 'executing', actor);
  if (!claimed.ok) {
    const state = 'approval' in claimed ? claimed.approval.state : null;
    return skipped('already-claimed', state, `approval ${approval.id} was taken by another run (now ${state ?? claimed.reason})`);
  }
  await audit('restart.started', 'ok');

  // 2. Evidence first: after the restart there is nothing left to look at.
  const evidence = await collectAndSave(input, approval, Math.min(now() + (input.evidenceTimeoutMs ?? 30_000), deadline));
  await audit(
    'evidence.saved',
    `${evidence.links.length} saved${evidence.problems.length ? `; not saved: ${evidence.problems.join('; ')}` : ''}`,
  );

  // 3. Restart.
  let result: RestartResult;
  const executor = typeof input.executors === 'function' ? input.executors(target) : executorFor(target, input.executors);
  if (input.requireEvidence && evidence.links.length === 0) {
    result = notRun(what, 'no evidence could be saved and this service requires it; not restarted');
  } else if (!executor) {
    result = notRun(what, `no ${target.type} executor is configured here; not restarted`);
  } else {
    try {
      result = await executor.restart(target, { deadline, onProgress: input.onProgress });
    } catch (err) {
      result = notRun(what, `executor error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // The message goes into the approval's history, the audit log and Slack: no credential in it,
  // whatever a platform's error or a command's output said.
  result = { ...result, message: redact(result.message) };
  const ok = result.outcome === 'completed';
  const final = await store.transition(approval.id, 'executing', ok ? 'done' : 'failed', actor, result.message.slice(0, 2000));
  await audit(ok ? 'restart.completed' : 'restart.failed', `${result.outcome}: ${result.message}`);

  // 4. Verify whenever something was restarted, even late: a slow rollout may still land.
  let verifyJobId: string | null = null;
  if (result.issued && input.verification) {
    verifyJobId = (
      await scheduleVerification(
        input.queue,
        { service: approval.service, incidentId: approval.incidentId, approvalId: approval.id, action: 'restart' },
        input.verification,
        now(),
      )
    ).id;
  }
  return {
    status: ok ? 'done' : 'failed',
    approval: final.ok ? final.approval : ((await store.getApproval(approval.id)) ?? approval),
    result,
    evidence,
    verifyJobId,
  };
}

async function collectAndSave(input: RunRestartInput, approval: Approval, until: number): Promise<SavedEvidence> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const items = await Promise.race([
      input.collectEvidence(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('evidence collection ran out of time')), Math.max(0, until - Date.now()));
      }),
    ]);
    return await saveEvidence(input.evidence, approval.incidentId ?? `approval-${approval.id}`, items);
  } catch (err) {
    return { links: [], problems: [redact(`collect: ${err instanceof Error ? err.message : String(err)}`)] };
  } finally {
    clearTimeout(timer);
  }
}

function notRun(target: string, message: string): RestartResult {
  const at = new Date().toISOString();
  return { outcome: 'failed', target, message, issued: false, startedAt: at, finishedAt: at, rollout: null, output: null };
}

function skipped(reason: SkipReason, state: ApprovalState | null, message: string): RunRestartResult {
  return { status: 'skipped', reason, state, message };
}
