// The milder remedy: end the leaked sessions (not the service) after approval, through the
// sessions module's guarded termination: a session is ended only if it is still the one the
// snapshot condemned and still idle. Reports exactly which sessions were ended, which were left
// alone and why.
import { redact } from '../redact/index.ts';
import { terminateSessions, type TerminateOptions, type TerminationReport, type TerminationTarget } from '../sessions/index.ts';
import { runApproved, type ApprovedRunInput, type ApprovedRunResult } from './approved-run.ts';
import { errorMessage } from '../errors/index.ts';

export interface RunTerminateInput extends ApprovedRunInput {
  /** Connection URL of the approved database (resolved from the catalog by the caller; never logged). */
  databaseUrl: string;
  terminateOptions?: TerminateOptions;
  /** The termination itself; default lib/sessions' terminateSessions. */
  terminate?: (url: string, targets: TerminationTarget[], options?: TerminateOptions) => Promise<TerminationReport>;
}

export type RunTerminateResult = ApprovedRunResult<
  'not-a-termination',
  {
    /** Session ids (pid / thread id) that were ended. */
    terminated: number[];
    skipped: Array<{ id: number; reason: string }>;
    failed: Array<{ id: number; reason: string }>;
    /** One line for the thread. */
    summary: string;
    report: TerminationReport;
  }
>;

export function runTerminate(input: RunTerminateInput): Promise<RunTerminateResult> {
  return runApproved(input, {
    action: 'terminate',
    wrongAction: 'not-a-termination',
    target: ({ subject }) => `${subject.sessions.length} session${subject.sessions.length === 1 ? '' : 's'} on ${subject.database}`,
    startedAudit: 'sessions.terminate.started',
    async run(approval) {
      const { sessions } = approval.subject;
      let report: TerminationReport;
      try {
        report = await (input.terminate ?? terminateSessions)(input.databaseUrl, sessions, input.terminateOptions);
      } catch (err) {
        const message = errorMessage(err);
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
      return {
        ok,
        note: summary,
        auditAction: ok ? 'sessions.terminated' : 'sessions.terminate.failed',
        changed: terminated.length > 0,
        detail: { terminated, skipped, failed, summary, report },
      };
    },
  });
}
