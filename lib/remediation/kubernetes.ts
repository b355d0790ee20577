// Restart a Deployment exactly as `kubectl rollout restart` does: a strategic-merge PATCH that
// stamps `kubectl.kubernetes.io/restartedAt` on the pod template (new template hash → new
// ReplicaSet → pods replaced under the Deployment's own rollout strategy), then follow the
// rollout the way `kubectl rollout status` does. Through @kubernetes/client-node's AppsV1Api,
// loaded on first use so importing remediation never pays for (or trips over) the client.
//
// RBAC needed on the deployment: get, patch (see infra/ for the Role).
import type { AppsV1Api, KubeConfig, V1Deployment } from '@kubernetes/client-node';
import type { RestartTarget } from '../catalog/index.ts';
import { kubernetesClientProblem } from '../dumps/index.ts';
import {
  deadlineMs,
  pause,
  wrongTarget,
  type Executor,
  type RestartOptions,
  type RestartOutcome,
  type RestartResult,
  type RolloutStatus,
} from './executor.ts';
import { errorMessage } from '../errors/index.ts';
import { describeRestartTarget } from '../catalog/index.ts';

export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

export interface KubernetesExecutorOptions {
  /** A KubeConfig (or a function making one); default: `loadFromDefault()` (in-cluster or ~/.kube/config). */
  kubeConfig?: KubeConfig | (() => KubeConfig | Promise<KubeConfig>);
  /** Between rollout status reads. Default 2 s. */
  pollIntervalMs?: number;
  /** Per API request. Default 10 s (never beyond the deadline). */
  requestTimeoutMs?: number;
  /** Attempts at the PATCH when the API answers 409 Conflict. Default 3. */
  conflictAttempts?: number;
  clock?: () => Date;
}

/** `kubectl rollout status` for a Deployment: done, failed, or what it is waiting for. */
export function rolloutState(d: V1Deployment, sinceGeneration: number): { done: boolean; failed: string | null; message: string; status: RolloutStatus } {
  const st = d.status ?? {};
  const desired = d.spec?.replicas ?? 1;
  const updated = st.updatedReplicas ?? 0;
  const replicas = st.replicas ?? 0;
  const available = st.availableReplicas ?? 0;
  const status: RolloutStatus = { desired, updated, ready: st.readyReplicas ?? 0, available, old: Math.max(0, replicas - updated) };
  const generation = d.metadata?.generation ?? 0;
  if (generation < sinceGeneration || (st.observedGeneration ?? 0) < generation) {
    return { done: false, failed: null, message: 'waiting for the deployment controller to observe the restart', status };
  }
  const progressing = st.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    const why = `rollout exceeded its progress deadline${progressing.message ? `: ${progressing.message}` : ''}`;
    return { done: false, failed: why, message: 'progress deadline exceeded', status };
  }
  if (updated < desired) return { done: false, failed: null, message: `${updated} of ${desired} new replicas updated`, status };
  if (replicas > updated) return { done: false, failed: null, message: `${replicas - updated} old replicas pending termination`, status };
  if (available < updated) return { done: false, failed: null, message: `${available} of ${updated} updated replicas available`, status };
  return { done: true, failed: null, message: `rolled out: ${available}/${desired} replicas available`, status };
}

type RequestOptions = Parameters<AppsV1Api['patchNamespacedDeployment']>[1];

/**
 * A value the client's middleware chain accepts whichever way it is built: 1.x awaits
 * `.toPromise()` of an observable, 2.x wraps promise middleware. A promise with a `toPromise`
 * serves both.
 */
function settled<T>(value: T): Promise<T> & { toPromise(): Promise<T> } {
  const p = Promise.resolve(value);
  return Object.assign(p, { toPromise: () => p });
}

/** Per-request options: extra headers and an abort signal (the client has no timeout of its own). */
function requestOptions(timeoutMs: number, headers: Record<string, string> = {}): RequestOptions {
  const middleware = {
    pre: (ctx: { setHeaderParam(k: string, v: string): void; setSignal(s: AbortSignal): void }) => {
      for (const [k, v] of Object.entries(headers)) ctx.setHeaderParam(k, v);
      ctx.setSignal(AbortSignal.timeout(Math.max(1, timeoutMs)));
      return settled(ctx);
    },
    post: (ctx: unknown) => settled(ctx),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' } as unknown as RequestOptions;
}

/** A call's outcome without exceptions: the Deployment, or the HTTP status (0: no answer) and body. */
type Answer = { ok: true; deployment: V1Deployment } | { ok: false; status: number; body: unknown; error: string };

async function attempt(call: () => Promise<V1Deployment>): Promise<Answer> {
  try {
    return { ok: true, deployment: await call() };
  } catch (err) {
    const e = err as { code?: unknown; body?: unknown; name?: string; message?: string };
    if (typeof e?.code === 'number' && e.code >= 100) return { ok: false, status: e.code, body: e.body, error: e.message ?? '' };
    const timedOut = e?.name === 'AbortError' || e?.name === 'TimeoutError';
    return { ok: false, status: 0, body: null, error: timedOut ? 'request timed out' : (e?.message ?? String(err)) };
  }
}

export class KubernetesExecutor implements Executor {
  private readonly kubeConfig: KubernetesExecutorOptions['kubeConfig'];
  private readonly pollMs: number;
  private readonly requestTimeoutMs: number;
  private readonly conflictAttempts: number;
  private readonly clock: () => Date;

  constructor(options: KubernetesExecutorOptions = {}) {
    this.kubeConfig = options.kubeConfig;
    this.pollMs = options.pollIntervalMs ?? 2_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.conflictAttempts = options.conflictAttempts ?? 3;
    this.clock = options.clock ?? (() => new Date());
  }

  async restart(target: RestartTarget, options: RestartOptions): Promise<RestartResult> {
    if (target.type !== 'kubernetes') wrongTarget('kubernetes', target);
    const deadline = deadlineMs(options.deadline);
    const startedAt = new Date().toISOString();
    const what = describeRestartTarget(target);
    let issued = false;
    let rollout: RolloutStatus | null = null;
    const finish = (outcome: RestartOutcome, message: string): RestartResult => ({
      outcome, target: what, message, issued, startedAt, finishedAt: new Date().toISOString(), rollout, output: null,
    });
    const progress = (message: string) => options.onProgress?.({ at: new Date().toISOString(), message, rollout });
    const timeout = () => Math.min(this.requestTimeoutMs, deadline - Date.now());

    let api: AppsV1Api;
    try {
      api = await this.connect();
    } catch (err) {
      return finish('failed', `cannot reach Kubernetes: ${errorMessage(err)}`);
    }
    const { namespace, deployment: name } = target;
    const read = () => attempt(() => api.readNamespacedDeployment({ name, namespace }, requestOptions(timeout())));

    // kubectl refuses a paused deployment: the patch would do nothing until someone resumes it.
    const first = await read();
    if (!first.ok) return finish(...apiFailure(first, 'read', what));
    if (first.deployment.spec?.paused) return finish('failed', `${what} is paused; resume it (kubectl rollout resume) before restarting`);

    const restartedAt = this.clock().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const patch = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } } };
    let patched: Answer;
    for (let n = 1; ; n++) {
      patched = await attempt(() =>
        api.patchNamespacedDeployment({ name, namespace, body: patch }, requestOptions(timeout(), { 'Content-Type': STRATEGIC_MERGE_PATCH })),
      );
      if (!patched.ok && patched.status === 409 && n < this.conflictAttempts && Date.now() < deadline) continue;
      break;
    }
    if (!patched.ok) return finish(...apiFailure(patched, 'patch', what));
    issued = true;
    const generation = patched.deployment.metadata?.generation ?? 0;
    progress(`restart issued (restartedAt ${restartedAt}); following the rollout`);

    let lastMessage = '';
    let lastError: string | null = null;
    while (Date.now() < deadline) {
      await pause(this.pollMs, deadline);
      if (Date.now() >= deadline) break;
      const answer = await read();
      if (!answer.ok) {
        const [outcome, message] = apiFailure(answer, 'read', what);
        // Permission or the object gone mid-rollout will not fix itself; anything else might.
        if (outcome === 'forbidden' || outcome === 'not-found') return finish(outcome, `restart issued, but ${message}`);
        lastError = message;
        continue;
      }
      const state = rolloutState(answer.deployment, generation);
      rollout = state.status;
      if (state.failed) return finish('failed', `${what}: ${state.failed}`);
      if (state.done) return finish('completed', `${what} ${state.message}`);
      if (state.message !== lastMessage) progress((lastMessage = state.message));
    }
    return finish('timed-out', `${what}: restart issued, rollout not finished by the deadline (${lastMessage || lastError || 'no status read'})`);
  }

  private async connect(): Promise<AppsV1Api> {
    const problem = kubernetesClientProblem();
    if (problem) throw new Error(problem);
    const client = await import('@kubernetes/client-node');
    let kc: KubeConfig;
    if (this.kubeConfig === undefined) {
      kc = new client.KubeConfig();
      kc.loadFromDefault();
    } else {
      kc = typeof this.kubeConfig === 'function' ? await this.kubeConfig() : this.kubeConfig;
    }
    if (!kc.getCurrentCluster()) throw new Error('the Kubernetes configuration has no current cluster');
    return kc.makeApiClient(client.AppsV1Api);
  }
}

/** A failed call as an outcome and a message that says what to do about it. */
function apiFailure(answer: Extract<Answer, { ok: false }>, verb: 'read' | 'patch', what: string): [RestartOutcome, string] {
  if (answer.status === 0) return ['failed', `could not ${verb} ${what}: ${answer.error}`];
  const reason = statusMessage(answer.body) ?? `HTTP ${answer.status}`;
  if (answer.status === 401) return ['forbidden', `the API server rejected the credentials (401: ${reason})`];
  if (answer.status === 403) return ['forbidden', `forbidden to ${verb} ${what}: grant get and patch on deployments (${reason})`];
  if (answer.status === 404) return ['not-found', `${what} not found (${reason})`];
  if (answer.status === 409) return ['conflict', `${what} kept changing under the patch (409 Conflict: ${reason})`];
  return ['failed', `could not ${verb} ${what}: ${answer.status} ${reason}`];
}

/** The `message` of a Kubernetes Status body (parsed or raw), or a short quote of anything else. */
function statusMessage(body: unknown): string | null {
  let b: unknown = body;
  if (typeof body === 'string') {
    try {
      b = JSON.parse(body);
    } catch {
      const text = body.trim().replace(/\s+/g, ' ');
      return text ? text.slice(0, 200) : null;
    }
  }
  const m = (b as { message?: unknown } | null)?.message;
  return typeof m === 'string' ? m.slice(0, 300) : null;
}
