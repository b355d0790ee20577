// Restart a Deployment exactly as `kubectl rollout restart` does: a strategic-merge PATCH that
// stamps `kubectl.kubernetes.io/restartedAt` on the pod template (new template hash → new
// ReplicaSet → pods replaced under the Deployment's own rollout strategy), then follow the
// rollout the way `kubectl rollout status` does.
//
// Credentials and the API server come from a @kubernetes/client-node KubeConfig (token, client
// certificate, exec plugin, CA: whatever it resolves, via applyToHTTPSOptions). The two calls
// themselves go over node:http(s): the 2.x generated API client rides on undici 8, which does not
// load before Node 22.19, and a restart must not depend on that (lib/dumps does the same).
//
// RBAC needed on the deployment: get, patch (see infra/ for the Role).
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig, V1Deployment } from '@kubernetes/client-node';
import { z } from 'zod';
import type { RestartTarget } from '../catalog/model.ts';
import { kubernetesClientProblem } from '../dumps/index.ts';
import {
  deadlineMs,
  describeTarget,
  pause,
  wrongTarget,
  type Executor,
  type RestartOptions,
  type RestartOutcome,
  type RestartResult,
  type RolloutStatus,
} from './executor.ts';

export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

/** What the executor needs from a KubeConfig; a real `KubeConfig` is one. */
export type KubeCredentials = Pick<KubeConfig, 'getCurrentCluster' | 'applyToHTTPSOptions'>;

export interface KubernetesExecutorOptions {
  /** A KubeConfig (or a function making one); default: `loadFromDefault()` (in-cluster or ~/.kube/config). */
  kubeConfig?: KubeCredentials | (() => KubeCredentials | Promise<KubeCredentials>);
  /** Between rollout status reads. Default 2 s. */
  pollIntervalMs?: number;
  /** Per API request. Default 10 s (never beyond the deadline). */
  requestTimeoutMs?: number;
  /** Attempts at the PATCH when the API answers 409 Conflict. Default 3. */
  conflictAttempts?: number;
  clock?: () => Date;
}

/** The parts of a Deployment that `kubectl rollout status` reads. */
const deploymentSchema = z.object({
  metadata: z.object({ generation: z.number().optional() }).optional(),
  spec: z.object({ replicas: z.number().optional(), paused: z.boolean().optional() }).optional(),
  status: z
    .object({
      observedGeneration: z.number().optional(),
      replicas: z.number().optional(),
      updatedReplicas: z.number().optional(),
      readyReplicas: z.number().optional(),
      availableReplicas: z.number().optional(),
      conditions: z.array(z.object({ type: z.string(), reason: z.string().optional(), message: z.string().optional() })).optional(),
    })
    .optional(),
});
type Deployment = z.infer<typeof deploymentSchema>;

/** `kubectl rollout status` for a Deployment: done, failed, or what it is waiting for. */
export function rolloutState(d: Deployment | V1Deployment, sinceGeneration: number): { done: boolean; failed: string | null; message: string; status: RolloutStatus } {
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

interface ApiAnswer {
  status: number;
  body: unknown;
  text: string;
}

class KubeApi {
  constructor(
    private readonly server: string,
    private readonly options: https.RequestOptions,
  ) {}

  request(method: 'GET' | 'PATCH', path: string, timeoutMs: number, body?: { contentType: string; json: unknown }): Promise<ApiAnswer> {
    // The server may carry a path prefix (Rancher, some gateways): keep it.
    const url = new URL(this.server.replace(/\/+$/, '') + path);
    const secure = url.protocol === 'https:';
    let agent = this.options.agent;
    // An https agent cannot carry a plain-http request (and the reverse): let Node pick then.
    if (agent && typeof agent === 'object' && (agent as { protocol?: string }).protocol !== url.protocol) agent = undefined;
    const payload = body ? JSON.stringify(body.json) : undefined;
    const headers: Record<string, string> = { ...(this.options.headers as Record<string, string> | undefined), accept: 'application/json' };
    if (body) headers['content-type'] = body.contentType;
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(url, { ...this.options, agent, method, headers, signal: AbortSignal.timeout(Math.max(1, timeoutMs)) }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          // A Deployment is a few KB; anything huge is not an answer we need.
          if (size > 4 << 20) req.destroy(new Error('API answer larger than 4 MiB'));
          else chunks.push(c);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = null;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Not JSON (a proxy's error page): keep the text for the message.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
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
    const what = describeTarget(target);
    const path = `/apis/apps/v1/namespaces/${encodeURIComponent(target.namespace)}/deployments/${encodeURIComponent(target.deployment)}`;
    let issued = false;
    let rollout: RolloutStatus | null = null;
    const finish = (outcome: RestartOutcome, message: string): RestartResult => ({
      outcome, target: what, message, issued, startedAt, finishedAt: new Date().toISOString(), rollout, output: null,
    });
    const progress = (message: string) => options.onProgress?.({ at: new Date().toISOString(), message, rollout });
    const timeout = () => Math.min(this.requestTimeoutMs, deadline - Date.now());

    let api: KubeApi;
    try {
      api = await this.connect();
    } catch (err) {
      return finish('failed', `cannot reach Kubernetes: ${errorText(err)}`);
    }
    const call = async (method: 'GET' | 'PATCH', body?: { contentType: string; json: unknown }) => {
      try {
        return await api.request(method, path, timeout(), body);
      } catch (err) {
        return { status: 0, body: null, text: errorText(err) } satisfies ApiAnswer;
      }
    };

    // kubectl refuses a paused deployment: the patch would do nothing until someone resumes it.
    const first = await call('GET');
    if (first.status !== 200) return finish(...apiFailure(first, 'read', what));
    const current = deploymentSchema.safeParse(first.body);
    if (!current.success) return finish('failed', `the API server answered something that is not a Deployment for ${what}`);
    if (current.data.spec?.paused) return finish('failed', `${what} is paused; resume it (kubectl rollout resume) before restarting`);

    const restartedAt = this.clock().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const patch = { spec: { template: { metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: restartedAt } } } } };
    let patched: ApiAnswer;
    for (let attempt = 1; ; attempt++) {
      patched = await call('PATCH', { contentType: STRATEGIC_MERGE_PATCH, json: patch });
      if (patched.status === 409 && attempt < this.conflictAttempts && Date.now() < deadline) continue;
      break;
    }
    if (patched.status !== 200) return finish(...apiFailure(patched, 'patch', what));
    issued = true;
    const generation = deploymentSchema.safeParse(patched.body).data?.metadata?.generation ?? 0;
    progress(`restart issued (restartedAt ${restartedAt}); following the rollout`);

    let lastMessage = '';
    let lastError: string | null = null;
    while (Date.now() < deadline) {
      await pause(this.pollMs, deadline);
      if (Date.now() >= deadline) break;
      const read = await call('GET');
      if (read.status !== 200) {
        const [outcome, message] = apiFailure(read, 'read', what);
        // Permission or the object gone mid-rollout will not fix itself; anything else might.
        if (outcome === 'forbidden' || outcome === 'not-found') return finish(outcome, `restart issued, but ${message}`);
        lastError = message;
        continue;
      }
      const parsed = deploymentSchema.safeParse(read.body);
      if (!parsed.success) {
        lastError = 'unreadable Deployment status';
        continue;
      }
      const state = rolloutState(parsed.data, generation);
      rollout = state.status;
      if (state.failed) return finish('failed', `${what}: ${state.failed}`);
      if (state.done) return finish('completed', `${what} ${state.message}`);
      if (state.message !== lastMessage) progress((lastMessage = state.message));
    }
    return finish('timed-out', `${what}: restart issued, rollout not finished by the deadline (${lastMessage || lastError || 'no status read'})`);
  }

  private async connect(): Promise<KubeApi> {
    const kc = this.kubeConfig === undefined ? await loadDefaultKubeConfig() : typeof this.kubeConfig === 'function' ? await this.kubeConfig() : this.kubeConfig;
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the Kubernetes configuration has no current cluster');
    const options: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(options);
    return new KubeApi(cluster.server, options);
  }
}

async function loadDefaultKubeConfig(): Promise<KubeCredentials> {
  const problem = kubernetesClientProblem();
  if (problem) throw new Error(problem);
  // Loaded only when needed, so importing remediation never pulls in the client.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  kc.loadFromDefault();
  return kc;
}

/** An API answer as an outcome and a message that says what to do about it. */
function apiFailure(answer: ApiAnswer, verb: 'read' | 'patch', what: string): [RestartOutcome, string] {
  if (answer.status === 0) return ['failed', `could not ${verb} ${what}: ${answer.text}`];
  const reason = statusMessage(answer) ?? `HTTP ${answer.status}`;
  if (answer.status === 401) return ['forbidden', `the API server rejected the credentials (401: ${reason})`];
  if (answer.status === 403) return ['forbidden', `forbidden to ${verb} ${what}: grant get and patch on deployments (${reason})`];
  if (answer.status === 404) return ['not-found', `${what} not found (${reason})`];
  if (answer.status === 409) return ['conflict', `${what} kept changing under the patch (409 Conflict: ${reason})`];
  return ['failed', `could not ${verb} ${what}: ${answer.status} ${reason}`];
}

/** The `message` of a Kubernetes Status answer, or a short quote of a non-JSON one. */
function statusMessage(answer: ApiAnswer): string | null {
  const m = (answer.body as { message?: unknown } | null)?.message;
  if (typeof m === 'string') return m.slice(0, 300);
  const text = answer.text.trim().replace(/\s+/g, ' ');
  return text ? text.slice(0, 200) : null;
}

function errorText(err: unknown): string {
  const e = err as Error;
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError') return 'request timed out';
  return e?.message ?? String(err);
}
