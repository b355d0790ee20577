// The Kubernetes executor, driven through the real @kubernetes/client-node against a wire-level
// stand-in for the API server.
import { afterEach, describe, expect, it } from 'vitest';
import type { RestartProgress } from '../../lib/remediation/index.ts';
import { KubernetesExecutor, RESTARTED_AT_ANNOTATION } from '../../lib/remediation/kubernetes.ts';
import { deployment, startFakeKube, status, TOKEN, type DeploymentState, type FakeKube } from '../support/fake-kube.ts';

const PATH = '/apis/apps/v1/namespaces/prod/deployments/billing-api';
const target = { type: 'kubernetes' as const, namespace: 'prod', deployment: 'billing-api' };
const FIXED = new Date('2025-05-01T12:03:04.567Z');

let kube: FakeKube | null = null;
afterEach(async () => {
  await kube?.close();
  kube = null;
});

const executor = (k: FakeKube, over: { pollIntervalMs?: number; requestTimeoutMs?: number } = {}) =>
  new KubernetesExecutor({
    kubeConfig: k.kubeConfig,
    pollIntervalMs: over.pollIntervalMs ?? 10,
    requestTimeoutMs: over.requestTimeoutMs ?? 2_000,
    clock: () => FIXED,
  });
const soon = (ms = 5_000) => Date.now() + ms;

/** A deployment that rolls out over a few status reads after the patch. */
function rollingDeployment(steps: Array<Partial<DeploymentState>>) {
  let state: DeploymentState = { generation: 4, observedGeneration: 4, replicas: 3, desired: 3, updated: 3, available: 3 };
  let reads = 0;
  let patched = false;
  return (req: { method: string; path: string }) => {
    if (req.path.split('?')[0] !== PATH) return status(404, 'NotFound', `path ${req.path}`);
    if (req.method === 'PATCH') {
      patched = true;
      state = { ...state, generation: state.generation + 1, annotations: { [RESTARTED_AT_ANNOTATION]: 'x' } };
      return { status: 200, body: deployment('prod', 'billing-api', state) };
    }
    if (patched) state = { ...state, ...(steps[Math.min(reads++, steps.length - 1)] ?? {}) };
    return { status: 200, body: deployment('prod', 'billing-api', state) };
  };
}

describe('KubernetesExecutor (real client, fake API server)', () => {
  it('patches like `kubectl rollout restart` and follows the rollout to completion', async () => {
    kube = await startFakeKube(
      rollingDeployment([
        { observedGeneration: 4 }, // controller has not seen generation 5 yet
        { observedGeneration: 5, updated: 1, replicas: 4, available: 3 },
        { updated: 3, replicas: 4, available: 3 },
        { updated: 3, replicas: 3, available: 2 },
        { updated: 3, replicas: 3, available: 3 },
      ]),
    );
    const progress: RestartProgress[] = [];
    const result = await executor(kube).restart(target, { deadline: soon(), onProgress: (p) => progress.push(p) });

    expect(result).toMatchObject({ outcome: 'completed', issued: true, target: 'deployment prod/billing-api', rollout: { desired: 3, updated: 3, available: 3, old: 0 } });
    expect(result.message).toMatch(/rolled out: 3\/3/);

    const [first, patch, ...reads] = kube.requests;
    expect(first).toMatchObject({ method: 'GET', path: PATH });
    expect(patch!.method).toBe('PATCH');
    expect(patch!.path.split('?')[0]).toBe(PATH);
    expect(patch!.headers['content-type']).toBe('application/strategic-merge-patch+json');
    expect(JSON.parse(patch!.body)).toEqual({ spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-05-01T12:03:04Z' } } } } });
    for (const r of kube.requests) expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(reads.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual(Array(5).fill(`GET ${PATH}`));

    expect(progress.map((p) => p.message)).toEqual([
      'restart issued (restartedAt 2025-05-01T12:03:04Z); following the rollout',
      'waiting for the deployment controller to observe the restart',
      '1 of 3 new replicas updated',
      '1 old replicas pending termination',
      '2 of 3 updated replicas available',
    ]);
  });

  it('403 on the first read: forbidden, nothing patched, no throw', async () => {
    kube = await startFakeKube(() => status(403, 'Forbidden', 'deployments.apps "billing-api" is forbidden: User "system:serviceaccount:ops:leakhound" cannot get resource'));
    const result = await executor(kube).restart(target, { deadline: soon() });
    expect(result).toMatchObject({ outcome: 'forbidden', issued: false });
    expect(result.message).toMatch(/forbidden to read deployment prod\/billing-api: grant get and patch/);
    expect(result.message).toMatch(/cannot get resource/);
    expect(kube.requests.map((r) => r.method)).toEqual(['GET']);
  });

  it('403 on the patch: forbidden, issued false', async () => {
    kube = await startFakeKube((req) =>
      req.method === 'PATCH'
        ? status(403, 'Forbidden', 'cannot patch resource "deployments"')
        : { status: 200, body: deployment('prod', 'billing-api', { generation: 1, observedGeneration: 1, replicas: 1, desired: 1, updated: 1, available: 1 }) },
    );
    const result = await executor(kube).restart(target, { deadline: soon() });
    expect(result).toMatchObject({ outcome: 'forbidden', issued: false });
    expect(result.message).toMatch(/forbidden to patch/);
  });

  it('404: not-found with the API message', async () => {
    kube = await startFakeKube(() => status(404, 'NotFound', 'deployments.apps "billing-api" not found'));
    const result = await executor(kube).restart(target, { deadline: soon() });
    expect(result).toMatchObject({ outcome: 'not-found', issued: false, message: 'deployment prod/billing-api not found (deployments.apps "billing-api" not found)' });
  });

  it('409 on every patch attempt: conflict after 3 tries', async () => {
    kube = await startFakeKube((req) =>
      req.method === 'PATCH'
        ? status(409, 'Conflict', 'Operation cannot be fulfilled on deployments.apps "billing-api": the object has been modified')
        : { status: 200, body: deployment('prod', 'billing-api', { generation: 1, observedGeneration: 1, replicas: 1, desired: 1, updated: 1, available: 1 }) },
    );
    const result = await executor(kube).restart(target, { deadline: soon() });
    expect(result).toMatchObject({ outcome: 'conflict', issued: false });
    expect(result.message).toMatch(/409 Conflict: Operation cannot be fulfilled/);
    expect(kube.requests.filter((r) => r.method === 'PATCH')).toHaveLength(3);
  });

  it('409 once, then the retried patch goes through', async () => {
    const inner = rollingDeployment([{ observedGeneration: 5 }]);
    let conflicts = 0;
    kube = await startFakeKube((req) => (req.method === 'PATCH' && conflicts++ === 0 ? status(409, 'Conflict', 'modified') : inner(req)));
    const result = await executor(kube).restart(target, { deadline: soon() });
    expect(result.outcome).toBe('completed');
    expect(kube.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);
  });

  it('refuses a paused deployment, as kubectl does', async () => {
    kube = await startFakeKube(() => ({ status: 200, body: deployment('prod', 'billing-api', { generation: 1, observedGeneration: 1, replicas: 1, desired: 1, updated: 1, available: 1, paused: true }) }));
    const result = await executor(kube).restart(target, { deadline: soon() });
    expect(result).toMatchObject({ outcome: 'failed', issued: false });
    expect(result.message).toMatch(/paused/);
    expect(kube.requests.some((r) => r.method === 'PATCH')).toBe(false);
  });

  it('reports a rollout that exceeded its progress deadline as failed', async () => {
    kube = await startFakeKube(rollingDeployment([{ observedGeneration: 5, updated: 1, replicas: 4, available: 3, progressDeadlineExceeded: true }]));
    const result = await executor(kube).restart(target, { deadline: soon() });
    expect(result).toMatchObject({ outcome: 'failed', issued: true });
    expect(result.message).toMatch(/progress deadline.*timed out progressing/);
  });

  it('times out at the deadline with the last status, while the rollout hangs', async () => {
    kube = await startFakeKube(rollingDeployment([{ observedGeneration: 5, updated: 1, replicas: 4, available: 3 }]));
    const t0 = Date.now();
    const result = await executor(kube, { pollIntervalMs: 50 }).restart(target, { deadline: Date.now() + 400 });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(result).toMatchObject({ outcome: 'timed-out', issued: true, rollout: { updated: 1, desired: 3 } });
    expect(result.message).toMatch(/not finished by the deadline \(1 of 3 new replicas updated\)/);
  });

  it('a hung API server is cut off by the request timeout', async () => {
    kube = await startFakeKube(() => new Promise(() => undefined));
    const t0 = Date.now();
    const result = await executor(kube, { requestTimeoutMs: 200 }).restart(target, { deadline: soon() });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(result).toMatchObject({ outcome: 'failed', issued: false });
    expect(result.message).toMatch(/could not read deployment prod\/billing-api/);
  });

  it('the deployment disappearing mid-rollout ends the follow-up with not-found', async () => {
    let patched = false;
    kube = await startFakeKube((req) => {
      if (req.method === 'PATCH') {
        patched = true;
        return { status: 200, body: deployment('prod', 'billing-api', { generation: 2, observedGeneration: 1, replicas: 1, desired: 1, updated: 0, available: 1 }) };
      }
      return patched ? status(404, 'NotFound', 'gone') : { status: 200, body: deployment('prod', 'billing-api', { generation: 1, observedGeneration: 1, replicas: 1, desired: 1, updated: 1, available: 1 }) };
    });
    const result = await executor(kube).restart(target, { deadline: soon() });
    expect(result).toMatchObject({ outcome: 'not-found', issued: true });
    expect(result.message).toMatch(/^restart issued, but/);
  });

  it('rejects a target of another platform (a caller bug)', async () => {
    kube = await startFakeKube(() => status(500, 'x', 'x'));
    await expect(executor(kube).restart({ type: 'command', argv: ['true'], timeoutSeconds: 1 }, { deadline: soon() })).rejects.toThrow(TypeError);
  });
});

describe('KubernetesExecutor without a usable configuration', () => {
  it('reports a clear failure instead of throwing', async () => {
    const result = await new KubernetesExecutor({
      kubeConfig: () => {
        throw new Error('no Kubernetes configuration found');
      },
    }).restart(target, { deadline: soon() });
    expect(result).toMatchObject({ outcome: 'failed', issued: false, message: 'cannot reach Kubernetes: no Kubernetes configuration found' });
  });
});
