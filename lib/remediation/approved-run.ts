// The sequence every remedy runs after a human approved it, written once: the approval must be
// for this action and `approved`; this run must win `approved → executing` (a retried or
// duplicated job finds it `executing` and stops: one approval, at most one run); every step is
// audited; the outcome is recorded on the approval; a verification job is scheduled when
// something was changed. Each remedy (restart.ts, end-sessions.ts) supplies only its work.
import type { JobQueue } from '../jobs/index.ts';
import { redact } from '../redact/index.ts';
import type { Approval, ApprovalState, ApprovalSubject, Store } from '../store/index.ts';
import { scheduleVerification, type VerificationPlan } from './verify.ts';

export const BOT_ACTOR = 'leakhound';

type Action = ApprovalSubject['action'];
export type ApprovalFor<A extends Action> = Approval & { subject: Extract<ApprovalSubject, { action: A }> };

export interface ApprovedRunInput {
  store: Store;
  queue: JobQueue;
  approvalId: string;
  /** null: no verification job. */
  verification: VerificationPlan | null;
  /** Audit actor for the bot's own steps. */
  actor?: string;
  now?: () => number;
}

/** Appends an audit entry for this run (target and incident filled in, result redacted and clipped). */
export type Audit = (action: string, result: string) => Promise<unknown>;

export interface RemedyOutcome<R> {
  ok: boolean;
  /** Recorded on the approval's history and in the final audit entry. */
  note: string;
  auditAction: string;
  /** Defaults to `note`. */
  auditResult?: string;
  /** Something was changed, so the verification job is scheduled. */
  changed: boolean;
  detail: R;
}

export interface Remedy<A extends Action, R> {
  action: A;
  /** The skip reason when the approval is for another action ('not-a-restart'). */
  wrongAction: string;
  /** What the audit entries name as their target. */
  target(approval: ApprovalFor<A>): string;
  startedAudit: string;
  run(approval: ApprovalFor<A>, audit: Audit): Promise<RemedyOutcome<R>>;
}

export type ApprovedRunResult<Skip extends string, R> =
  | { status: 'skipped'; reason: Skip | 'not-found' | 'not-approved' | 'already-claimed'; state: ApprovalState | null; message: string }
  | ({ status: 'done' | 'failed'; approval: Approval; verifyJobId: string | null } & R);

export async function runApproved<A extends Action, Skip extends string, R>(input: ApprovedRunInput, remedy: Remedy<A, R> & { wrongAction: Skip }): Promise<ApprovedRunResult<Skip, R>> {
  const actor = input.actor ?? BOT_ACTOR;
  const now = input.now ?? Date.now;
  const { store } = input;
  const skip = (reason: Skip | 'not-found' | 'not-approved' | 'already-claimed', state: ApprovalState | null, message: string): ApprovedRunResult<Skip, R> => ({
    status: 'skipped',
    reason,
    state,
    message,
  });

  const found = await store.getApproval(input.approvalId);
  if (!found) return skip('not-found', null, `approval ${input.approvalId} not found (expired or never made)`);
  if (found.subject.action !== remedy.action) return skip(remedy.wrongAction, found.state, `approval ${found.id} is for ${found.subject.action}, not ${remedy.action}`);
  if (found.state !== 'approved') return skip('not-approved', found.state, `approval ${found.id} is ${found.state}, not approved`);
  const approval = found as ApprovalFor<A>;

  const what = remedy.target(approval);
  const audit: Audit = (action, result) =>
    store.appendAudit({ actor, action, target: what, incidentId: approval.incidentId, result: redact(result).slice(0, 2000), at: now() });

  const claimed = await store.transition(approval.id, 'approved', 'executing', actor);
  if (!claimed.ok) {
    const state = 'approval' in claimed ? claimed.approval.state : null;
    return skip('already-claimed', state, `approval ${approval.id} was taken by another run (now ${state ?? claimed.reason})`);
  }
  await audit(remedy.startedAudit, 'ok');

  const outcome = await remedy.run(approval, audit);

  const final = await store.transition(approval.id, 'executing', outcome.ok ? 'done' : 'failed', actor, outcome.note.slice(0, 2000));
  await audit(outcome.auditAction, outcome.auditResult ?? outcome.note);

  // Verify whenever something was changed, even late: a slow rollout may still land.
  let verifyJobId: string | null = null;
  if (outcome.changed && input.verification) {
    verifyJobId = (
      await scheduleVerification(
        input.queue,
        { service: approval.service, incidentId: approval.incidentId, approvalId: approval.id, action: remedy.action },
        input.verification,
        now(),
      )
    ).id;
  }
  return {
    status: outcome.ok ? 'done' : 'failed',
    approval: final.ok ? final.approval : ((await store.getApproval(approval.id)) ?? approval),
    verifyJobId,
    ...outcome.detail,
  };
}
