// The restart job, after a human approved it. Order matters and is enforced here:
//   1. the approval must be `approved`, and this run must win `approved → executing` (a retried
//      or duplicated job finds it `executing` and stops: one approval, at most one restart);
//   2. evidence is saved BEFORE the restart, which destroys it;
//   3. restart, record done/failed on the approval, audit every step;
//   4. schedule the delayed verification.
// What runs is what was approved (the target stored on the approval), not today's catalog.
import type { RestartTarget } from '../catalog/index.ts';
import { DeadlineError, errorMessage, remainingMs, within } from '../errors/index.ts';
import { redact } from '../redact/index.ts';
import type { Approval } from '../store/index.ts';
import { runApproved, type ApprovedRunInput, type ApprovedRunResult } from './approved-run.ts';
import { deadlineMs, executorFor, type Executor, type Executors, type RestartProgress, type RestartResult } from './executor.ts';
import { saveEvidence, type EvidenceItem, type EvidenceStore, type SavedEvidence } from './evidence.ts';
import { describeRestartTarget } from '../catalog/index.ts';

export interface RunRestartInput extends ApprovedRunInput {
  /** Executors by platform (or one function choosing). */
  executors: Executors | ((target: RestartTarget) => Executor | null);
  evidence: EvidenceStore;
  /** Gathers what the restart would destroy (dumps, session snapshot, the Report). */
  collectEvidence: () => Promise<EvidenceItem[]>;
  /** The whole run (evidence + restart) ends by then. */
  deadline: number | Date;
  /** Evidence collection gets at most this long (and never past the deadline). Default 30 s. */
  evidenceTimeoutMs?: number;
  /** Refuse to restart when no evidence could be saved. Default false: the outage wins. */
  requireEvidence?: boolean;
  onProgress?: (progress: RestartProgress) => void;
}

export type SkipReason = 'not-found' | 'not-a-restart' | 'not-approved' | 'already-claimed';

export type RunRestartResult = ApprovedRunResult<'not-a-restart', { result: RestartResult; evidence: SavedEvidence }>;

export function runRestart(input: RunRestartInput): Promise<RunRestartResult> {
  const now = input.now ?? Date.now;
  const deadline = deadlineMs(input.deadline);
  return runApproved(input, {
    action: 'restart',
    wrongAction: 'not-a-restart',
    target: (approval) => describeRestartTarget(approval.subject.target),
    startedAudit: 'restart.started',
    async run(approval, audit) {
      const target = approval.subject.target;
      const what = describeRestartTarget(target);
      // Evidence first: after the restart there is nothing left to look at.
      const evidence = await collectAndSave(input, approval, Math.min(now() + (input.evidenceTimeoutMs ?? 30_000), deadline));
      await audit(
        'evidence.saved',
        `${evidence.links.length} saved${evidence.problems.length ? `; not saved: ${evidence.problems.join('; ')}` : ''}`,
      );

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
          result = notRun(what, `executor error: ${errorMessage(err)}`);
        }
      }
      // The message goes into the approval's history, the audit log and Slack: no credential in
      // it, whatever a platform's error or a command's output said.
      result = { ...result, message: redact(result.message) };
      const ok = result.outcome === 'completed';
      return {
        ok,
        note: result.message,
        auditAction: ok ? 'restart.completed' : 'restart.failed',
        auditResult: `${result.outcome}: ${result.message}`,
        changed: result.issued,
        detail: { result, evidence },
      };
    },
  });
}

async function collectAndSave(input: RunRestartInput, approval: Approval, until: number): Promise<SavedEvidence> {
  try {
    const left = remainingMs(until);
    const items = await within(input.collectEvidence(), left, () => new DeadlineError(left, 'evidence collection ran out of time'));
    return await saveEvidence(input.evidence, approval.incidentId ?? `approval-${approval.id}`, items);
  } catch (err) {
    return { links: [], problems: [redact(`collect: ${errorMessage(err)}`)] };
  }
}

function notRun(target: string, message: string): RestartResult {
  const at = new Date().toISOString();
  return { outcome: 'failed', target, message, issued: false, startedAt: at, finishedAt: at, rollout: null, output: null };
}
