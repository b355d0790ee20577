// The milder remedy: end the leaked sessions (not the service) after approval, through the
// sessions module's guarded termination: a session is ended only if it is still the one the
// snapshot condemned and still idle. Reports exactly which sessions were ended, which were left
// alone and why.
import { redact } from '../redact/index.ts';
import type { JobQueue } from '../jobs/index.ts';
import { terminateSessions, type TerminateOptions, type TerminationReport, type TerminationTarget } from '../sessions/index.ts';
import type { Approval, ApprovalState, Store } from '../store/index.ts';
import { BOT_ACTOR } from './restart.ts';
import { scheduleVerification, type VerificationPlan } from './verify.ts';

export interface RunTerminateInput {
  store: Store;
  queue: JobQueue;
  approvalId: string;
  /** Connection URL of the approved database (resolved from the catalog by the caller; never logged). */
  databaseUrl: string;
  terminateOptions?: TerminateOptions;
  verification: VerificationPlan | null;
  actor?: string;
  now?: () => number;
  /** The termination itself; default lib/sessions' terminateSessions. */
  terminate?: (url: string, targets: TerminationTarget[], options?: TerminateOptions) => Promise<TerminationReport>;
}

export type RunTerminateResult =
  | { status: 'skipped'; reason: 'not-found' | 'not-a-termination' | 'not-approved' | 'already-claimed'; state: ApprovalState | null; message: string }
  | {
      status: 'done' | 'failed';
      approval: Approval;
      /** Session ids (pid / thread id) that were ended. */
      terminated: number[];
      skipped: Array<{ id: number; reason: string }>;
      failed: Array<{ id: number; reason: string }>;
      /** One line for the thread. */
      summary: string;
      report: TerminationReport;
      verifyJobId: string | null;
    };

export async function runTerminate(input: RunTerminateInput): Promise<RunTerminateResult> {
  const actor = input.actor ?? BOT_ACTOR;
  const now = input.now ?? Date.now;
  const { store } = input;
  const skip = (reason: Extract<RunTerminateResult, { status: 'skipped' }>['reason'], state: ApprovalState | null, message: string): RunTerminateResult => ({
    status: 'skipped', reason, state, message,
  });

  const approval = await store.getApproval(input.approvalId);
  if (!approval) return skip('not-found', null, `approval ${input.approvalId} not found (expired or never made)`);
  if (approval.subject.action !== 'terminate') return skip('not-a-termination', approval.state, `approval ${approval.id} is for ${approval.subject.action}, not terminate`);
  if (approval.state !== 'approved') return skip('not-approved', approval.state, `approval ${approval.id} is ${approval.state}, not approved`);
  const { database, sessions } = approval.subject;
  const what = `${sessions.length} session${sessions.length === 1 ? '' : 's'} on ${database}`;
  const audit = (action: string, result: string) =>
    store.appendAudit({ actor, action, target: what, incidentId: approval.incidentId, result: redact(result).slice(0, 2000), at: now() });

  const claimed = await store.transition(approval.id, 'approved', 'executing', actor);
  if (!claimed.ok) {
    const state = 'approval' in claimed ? claimed.approval.state : null;
    return skip('already-claimed', state, `approval ${approval.id} was taken by another run (now ${state ?? claimed.reason})`);
  }
  await audit('sessions.terminate.started', 'ok');

  let report: TerminationReport;
  try {
    report = await (input.terminate ?? terminateSessions)(input.databaseUrl, sessions, input.terminateOptions);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    report = { results: sessions.map((s) => ({ id: s.id, outcome: 'failed', reason: message })), problems: [] };
  }
  const terminated = report.results.filter((r) => r.outcome === 'terminated').map((r) => r.id);
  const skipped = report.results.filter((r) => r.outcome === 'skipped').map(({ id, reason }) => ({ id, reason }));
  const failed = report.results.filter((r) => r.outcome === 'failed').map(({ id, reason }) => ({ id, reason }));
  const ok = failed.length === 0 && report.problems.length === 0;
  // Reasons quote driver errors: redacted before anything clips them.
  const summary = redact(
    `terminated ${terminated.length} of ${sessions.length}` +
      (terminated.length ? ` (${terminated.join(', ')})` : '') +
      (skipped.length ? `; left alone ${skipped.map((s) => `${s.id}: ${s.reason}`).join('; ')}` : '') +
      (failed.length ? `; failed ${failed.map((s) => `${s.id}: ${s.reason}`).join('; ')}` : ''),
  );

  const final = await store.transition(approval.id, 'executing', ok ? 'done' : 'failed', actor, summary.slice(0, 2000));
  await audit(ok ? 'sessions.terminated' : 'sessions.terminate.failed', summary);

  let verifyJobId: string | null = null;
  if (terminated.length > 0 && input.verification) {
    verifyJobId = (
      await scheduleVerification(input.queue, { service: approval.service, incidentId: approval.incidentId, approvalId: approval.id, action: 'terminate' }, input.verification, now())
    ).id;
  }
  return {
    status: ok ? 'done' : 'failed',
    approval: final.ok ? final.approval : ((await store.getApproval(approval.id)) ?? approval),
    terminated,
    skipped,
    failed,
    summary,
    report,
    verifyJobId,
  };
}
