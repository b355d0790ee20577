// ECS executor: request shapes and the deployment follow-up, via aws-sdk-client-mock (no local ECS).
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand, type Deployment } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { RestartProgress } from '../../lib/remediation/index.ts';
import { EcsExecutor } from '../../lib/remediation/ecs.ts';

const ecsMock = mockClient(ECSClient);
afterEach(() => ecsMock.reset());

const target = { type: 'ecs' as const, cluster: 'prod', service: 'billing-api', region: 'eu-west-1' };
const client = new ECSClient({ region: 'eu-west-1' });
const regions: Array<string | null> = [];
const executor = (pollIntervalMs = 5) =>
  new EcsExecutor({
    clientFor: (region) => {
      regions.push(region);
      return client;
    },
    pollIntervalMs,
  });
const soon = () => Date.now() + 5_000;
const dep = (id: string, status: string, running: number, desired: number, rolloutState?: Deployment['rolloutState'], reason?: string): Deployment => ({
  id, status, runningCount: running, desiredCount: desired, rolloutState, rolloutStateReason: reason,
});
const described = (...deployments: Deployment[]) => ({ services: [{ serviceName: 'billing-api', deployments }], failures: [] });

describe('EcsExecutor', () => {
  it('forces a new deployment and follows the PRIMARY one to COMPLETED', async () => {
    ecsMock.on(UpdateServiceCommand).resolves({ service: { deployments: [dep('ecs-svc/new', 'PRIMARY', 0, 3, 'IN_PROGRESS'), dep('ecs-svc/old', 'ACTIVE', 3, 3, 'COMPLETED')] } });
    ecsMock
      .on(DescribeServicesCommand)
      .resolvesOnce(described(dep('ecs-svc/new', 'PRIMARY', 1, 3, 'IN_PROGRESS'), dep('ecs-svc/old', 'ACTIVE', 3, 3, 'COMPLETED')))
      .resolvesOnce(described(dep('ecs-svc/new', 'PRIMARY', 3, 3, 'IN_PROGRESS'), dep('ecs-svc/old', 'ACTIVE', 1, 0, 'COMPLETED')))
      .resolves(described(dep('ecs-svc/new', 'PRIMARY', 3, 3, 'COMPLETED')));
    const progress: RestartProgress[] = [];
    regions.length = 0;
    const result = await executor().restart(target, { deadline: soon(), onProgress: (p) => progress.push(p) });

    expect(result).toMatchObject({ outcome: 'completed', issued: true, target: 'ECS service prod/billing-api (eu-west-1)', rollout: { desired: 3, updated: 3, old: 0 } });
    expect(regions).toEqual(['eu-west-1']);
    const updates = ecsMock.commandCalls(UpdateServiceCommand);
    expect(updates).toHaveLength(1);
    expect(updates[0]!.args[0].input).toEqual({ cluster: 'prod', service: 'billing-api', forceNewDeployment: true });
    const describes = ecsMock.commandCalls(DescribeServicesCommand);
    expect(describes).toHaveLength(3);
    for (const d of describes) expect(d.args[0].input).toEqual({ cluster: 'prod', services: ['billing-api'] });
    expect(progress.map((p) => p.message)).toEqual([
      'new deployment started (ecs-svc/new); following it',
      '1/3 new tasks running, 3 old still running',
      '3/3 new tasks running, 1 old still running',
    ]);
  });

  it("a target that names no region uses the catalog's default region", async () => {
    ecsMock.on(UpdateServiceCommand).resolves({ service: { deployments: [dep('d1', 'PRIMARY', 1, 1, 'COMPLETED')] } });
    ecsMock.on(DescribeServicesCommand).resolves(described(dep('d1', 'PRIMARY', 1, 1, 'COMPLETED')));
    const seen: Array<string | null> = [];
    const withDefault = new EcsExecutor({ region: 'eu-west-3', clientFor: (region) => (seen.push(region), client), pollIntervalMs: 5 });
    await withDefault.restart({ ...target, region: null }, { deadline: soon() });
    await withDefault.restart(target, { deadline: soon() });
    expect(seen).toEqual(['eu-west-3', 'eu-west-1']);
  });

  it('reports a FAILED rollout (circuit breaker) with its reason', async () => {
    ecsMock.on(UpdateServiceCommand).resolves({ service: { deployments: [dep('d1', 'PRIMARY', 0, 2, 'IN_PROGRESS')] } });
    ecsMock.on(DescribeServicesCommand).resolves(described(dep('d1', 'PRIMARY', 0, 2, 'FAILED', 'ECS deployment circuit breaker: tasks failed to start.')));
    const result = await executor().restart(target, { deadline: soon() });
    expect(result).toMatchObject({ outcome: 'failed', issued: true });
    expect(result.message).toMatch(/deployment failed: ECS deployment circuit breaker: tasks failed to start\./);
  });

  it('without rollout states, done when running = desired and nothing old is left', async () => {
    ecsMock.on(UpdateServiceCommand).resolves({ service: { deployments: [dep('d1', 'PRIMARY', 0, 2)] } });
    ecsMock
      .on(DescribeServicesCommand)
      .resolvesOnce(described(dep('d1', 'PRIMARY', 2, 2), dep('d0', 'ACTIVE', 1, 0)))
      .resolves(described(dep('d1', 'PRIMARY', 2, 2)));
    const result = await executor().restart(target, { deadline: soon() });
    expect(result.outcome).toBe('completed');
    expect(ecsMock.commandCalls(DescribeServicesCommand)).toHaveLength(2);
  });

  it('follows a newer deployment that replaced ours, and says so', async () => {
    ecsMock.on(UpdateServiceCommand).resolves({ service: { deployments: [dep('ours', 'PRIMARY', 0, 1, 'IN_PROGRESS')] } });
    ecsMock.on(DescribeServicesCommand).resolves(described(dep('theirs', 'PRIMARY', 1, 1, 'COMPLETED')));
    const result = await executor().restart(target, { deadline: soon() });
    expect(result.outcome).toBe('completed');
    expect(result.message).toMatch(/a newer deployment theirs replaced ours/);
  });

  it('ServiceNotFoundException: not-found, nothing issued', async () => {
    ecsMock.on(UpdateServiceCommand).rejects(Object.assign(new Error('Service not found.'), { name: 'ServiceNotFoundException' }));
    const result = await executor().restart(target, { deadline: soon() });
    expect(result).toMatchObject({ outcome: 'not-found', issued: false });
    expect(result.message).toMatch(/ServiceNotFoundException: Service not found/);
    expect(ecsMock.commandCalls(DescribeServicesCommand)).toHaveLength(0);
  });

  it('AccessDeniedException: forbidden, with the permissions to grant', async () => {
    ecsMock.on(UpdateServiceCommand).rejects(Object.assign(new Error('User is not authorized to perform: ecs:UpdateService'), { name: 'AccessDeniedException' }));
    const result = await executor().restart(target, { deadline: soon() });
    expect(result).toMatchObject({ outcome: 'forbidden', issued: false });
    expect(result.message).toMatch(/grant ecs:UpdateService and ecs:DescribeServices/);
  });

  it('a service missing from DescribeServices is not-found after the restart was issued', async () => {
    ecsMock.on(UpdateServiceCommand).resolves({ service: { deployments: [dep('d1', 'PRIMARY', 0, 1)] } });
    ecsMock.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: 'arn:aws:ecs:eu-west-1:1:service/prod/billing-api', reason: 'MISSING' }] });
    const result = await executor().restart(target, { deadline: soon() });
    expect(result).toMatchObject({ outcome: 'not-found', issued: true });
    expect(result.message).toMatch(/MISSING/);
  });

  it('keeps polling through transient errors and times out at the deadline', async () => {
    ecsMock.on(UpdateServiceCommand).resolves({ service: { deployments: [dep('d1', 'PRIMARY', 0, 4, 'IN_PROGRESS')] } });
    ecsMock
      .on(DescribeServicesCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .resolves(described(dep('d1', 'PRIMARY', 2, 4, 'IN_PROGRESS'), dep('d0', 'ACTIVE', 4, 4, 'COMPLETED')));
    const t0 = Date.now();
    const result = await executor(20).restart(target, { deadline: Date.now() + 300 });
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(result).toMatchObject({ outcome: 'timed-out', issued: true, rollout: { updated: 2, desired: 4, old: 4 } });
    expect(result.message).toMatch(/not finished by the deadline \(2\/4 new tasks running, 4 old still running\)/);
  });

  it('rejects a target of another platform', async () => {
    await expect(executor().restart({ type: 'kubernetes', namespace: 'a', deployment: 'b' }, { deadline: soon() })).rejects.toThrow(TypeError);
  });
});
