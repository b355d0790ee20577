// One interface for restarting a service, whatever runs it. Executors never throw for things
// that happen on the other side (forbidden, not found, a rollout that fails or takes too long):
// those are results, reported in the thread. They throw only for caller bugs (a target of the
// wrong type).
import type { RestartTarget } from '../catalog/index.ts';

export type RestartOutcome =
  /** The new pods/tasks/process are up and healthy. */
  | 'completed'
  /** The restart was issued but did not finish before the deadline (it may still finish). */
  | 'timed-out'
  /** The platform said no: missing RBAC/IAM permission. */
  | 'forbidden'
  | 'not-found'
  /** Concurrent modification kept winning (Kubernetes 409). */
  | 'conflict'
  /** Anything else: rollout failed, command exited non-zero, platform unreachable. */
  | 'failed';

export interface RolloutStatus {
  desired: number | null;
  updated: number | null;
  ready: number | null;
  available: number | null;
  /** Replicas/tasks of the previous version still running. */
  old: number | null;
}

export interface CommandOutput {
  exitCode: number | null;
  signal: string | null;
  /** The end of each stream, at most the executor's limit. */
  stdout: string;
  stderr: string;
  truncated: boolean;
}

export interface RestartResult {
  outcome: RestartOutcome;
  /** Human-readable target, e.g. `deployment prod/billing-api`. */
  target: string;
  /** One line for the thread. */
  message: string;
  /** Whether the restart itself was issued (false: nothing changed on the platform). */
  issued: boolean;
  startedAt: string;
  finishedAt: string;
  /** Last rollout state seen (Kubernetes, ECS). */
  rollout: RolloutStatus | null;
  /** Command executor only. */
  output: CommandOutput | null;
}

export interface RestartProgress {
  at: string;
  message: string;
  rollout: RolloutStatus | null;
}

export interface RestartOptions {
  /** Epoch ms (or Date) by which the executor returns, finished or not. */
  deadline: number | Date;
  /** Called as the rollout moves (for "rolling out 2/4…" updates in Slack). */
  onProgress?: (progress: RestartProgress) => void;
}

export interface Executor {
  restart(target: RestartTarget, options: RestartOptions): Promise<RestartResult>;
}

export const deadlineMs = (d: number | Date): number => (typeof d === 'number' ? d : d.getTime());

/**
 * The executors this deployment has, by target type. Keyed by RestartTarget['type'], so a new
 * target type in restartTargetSchema (lib/catalog/restart-target.ts) gets its slot here.
 */
export type Executors = Partial<Record<RestartTarget['type'], Executor>>;

/** The executor for a target's platform, or null when this deployment has none configured. */
export function executorFor(target: RestartTarget, executors: Executors): Executor | null {
  return executors[target.type] ?? null;
}

/** Sleeps, but never past the deadline. */
export function pause(ms: number, deadline: number): Promise<void> {
  const wait = Math.max(0, Math.min(ms, deadline - Date.now()));
  return new Promise((r) => setTimeout(r, wait));
}

export function wrongTarget(expected: string, target: RestartTarget): never {
  throw new TypeError(`${expected} executor cannot restart a ${target.type} target`);
}
